/*
 * npy_file.h - a whole .npy image (numpy.save's output, a legacy sidecar or
 * an .npz member): its header parsed and its data located and checked to
 * be all there. Turning it into an array node is the decoder's
 * (jl_layout_npy_array, which also reads object arrays' pickled data).
 */
#ifndef JL_NPY_FILE_H
#define JL_NPY_FILE_H

#include "npy.h"

/* 1 when p[0..n) starts with the .npy magic \x93NUMPY. */
int jl_npy_magic(const uint8_t *p, uint64_t n);

/* Parses the header of the image p[0..n) and sets *nbytes to the bytes of
 * data its dtype and shape need (0 for object dtypes, whose data is a
 * pickle). Data shorter than that fails with JL_E_TRUNCATED:
 * "truncated .npy: the header needs N bytes of data, M are present". */
int jl_npy_locate(jl_doc *doc, const uint8_t *p, uint64_t n, jl_npy_header *h, uint64_t *nbytes,
                  jl_error *err);

#endif
