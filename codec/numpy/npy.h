/*
 * npy.h - .npy headers (numpy format versions 1.0, 2.0 and 3.0): parsing
 * them (legacy sidecars of joblib < 0.10, .npy files) and writing the
 * header numpy.save writes (the writer's legacy 'npy' layout).
 */
#ifndef JL_NPY_H
#define JL_NPY_H

#include "dtype.h"

typedef struct jl_npy_header {
    uint32_t dtype;       /* parsed descr */
    int fortran_order;
    unsigned ndim;
    int64_t dims[JL_MAX_DIMS];
    uint64_t data_offset; /* where the data starts in the file */
} jl_npy_header;

/* Parses a .npy header (versions 1.0, 2.0, 3.0) at p[0..n): magic,
 * version, header length, and the bounded Python dict literal (both quote
 * styles, True/False, L suffixes, nested tuples in structured descrs). */
int jl_npy_parse_header(jl_doc *doc, const uint8_t *p, uint64_t n, jl_npy_header *h, jl_error *err);

/* Appends to `out` the .npy header numpy.save (numpy 1.24) writes for an
 * array of dtype dt, shape dims[0..ndim) and that fortran_order: magic,
 * version (1.0; 2.0 past 65535 header bytes; 3.0 when a field name is not
 * latin-1), length, the dict literal {'descr': ..., 'fortran_order': ...,
 * 'shape': (...), } with numpy's 21 - len(growth dim) spare spaces, then
 * spaces and '\n' up to a multiple of 64 bytes. The data goes right after. */
int jl_npy_write_header(const jl_doc *doc, uint32_t dt, int fortran_order, const uint64_t *dims, unsigned ndim,
                        jl_buf *out, jl_error *err);

#endif
