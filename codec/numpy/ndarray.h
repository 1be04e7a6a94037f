/*
 * ndarray.h - array data as the SQL surface wants it: elements in C order
 * and native byte order, rows along the first axis as view nodes.
 */
#ifndef JL_NDARRAY_H
#define JL_NDARRAY_H

#include "value.h"

/* The bytes of array/scalar node `id` in C order, native byte order.
 * When the stored bytes already are (C order or 1-D, native), *p points
 * into the doc and *owned is NULL (zero copy); otherwise a converted copy
 * is made with doc->alloc and returned in both *p and *owned (the caller
 * frees *owned with jl_free(&doc->alloc, ...)). Object arrays are an
 * error (they have no fixed-size bytes). */
int jl_array_native_bytes(const jl_doc *doc, uint32_t id, const uint8_t **p, uint64_t *n,
                          uint8_t **owned, jl_error *err);

/* A node for row `i` (0-based) of ndarray node `id` along its first axis:
 * a scalar node for a 1-D array (the element of an object array), an
 * ndarray view (ndim-1) otherwise. Appends nodes/arrays to the doc.
 * Returns JL_NONE with err clear when i is out of range. */
uint32_t jl_array_row(jl_doc *doc, uint32_t id, uint64_t i, jl_error *err);

/* Row `i` along the first axis of fixed-size ndarray node `id` (ndim >= 1;
 * the caller checked that the data covers the shape and i < dims[0]):
 * its prod(dims[1:]) elements copied into dst in C order and native byte
 * order, as jl_array_native_bytes gives the whole array. F-order data is
 * gathered element by element. */
void jl_array_row_copy(const jl_doc *doc, const jl_array *a, uint64_t i, uint8_t *dst);

/* Shape as a JSON array text "[2,3]" into b. */
int jl_array_shape_json(const jl_doc *doc, const jl_array *a, jl_buf *b);

#endif
