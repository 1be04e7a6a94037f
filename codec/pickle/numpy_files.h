/*
 * numpy_files.h - numpy's own files as sources: an .npy file (numpy.save)
 * is a doc whose root is its array; an .npz archive (numpy.savez,
 * savez_compressed) a doc whose root is a dict of its members by key,
 * in archive order. decode.c dispatches here on the magic of the stream.
 */
#ifndef JL_NUMPY_FILES_H
#define JL_NUMPY_FILES_H

#include "vm.h"

/* 1 when the stream p[0..n) is an .npy file or a zip archive. */
int jl_numpy_file_is(const uint8_t *p, uint64_t n);

/* Builds dec->doc's root from block 0 (format JL_FMT_NPY or JL_FMT_NPZ).
 * Arrays refer to their data in place (zero copy from a mapped .npy);
 * object arrays' pickled data runs through the VM. */
int jl_numpy_file_decode(jl_decoder *dec, jl_error *err);

#endif
