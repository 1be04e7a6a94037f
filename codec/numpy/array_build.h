/*
 * array_build.h - the one way to make an array node in a doc being built
 * (constructors, aggregates, export, table cells): from dtype, shape,
 * order and data bytes (or the items of an object array), checked against
 * each other, every jl_array field set by one rule.
 */
#ifndef JL_ARRAY_BUILD_H
#define JL_ARRAY_BUILD_H

#include "value.h"

/* What an array is made of. */
typedef struct jl_array_spec {
    uint32_t dtype;        /* index in doc->dtypes */
    const uint64_t *dims;  /* ndim sizes (may be NULL when ndim is 0) */
    unsigned ndim;         /* at most JL_MAX_WRITE_DIMS */
    char order;            /* 'C' or 'F': layout of data (0 means 'C') */
    jl_ref data;           /* element bytes of a non-object dtype: exactly count * itemsize */
    uint32_t items;        /* object dtype: list node of count elements in C order; else JL_NONE */
} jl_array_spec;

/* The order an array is recorded with: numpy writes 'F' only for arrays
 * that are not also C-contiguous (more than one dimension above 1, and no
 * dimension 0); every other array is 'C'. */
char jl_array_layout_order(const uint64_t *dims, unsigned ndim, char order);

/* A new JL_NDARRAY node (origin JL_ORIGIN_BUILT, no class, no sidecar, no
 * stream offset) as s says; returns its id or JL_NONE with err set.
 * Errors: jl_shape_nbytes's (JL_E_FORMAT / JL_E_LIMIT) for a shape whose
 * size overflows; JL_E_ARG for parts that do not fit together, e.g.
 * "shape [2,3] of <f8 needs 48 bytes, data has 40". */
uint32_t jl_array_build(jl_doc *doc, const jl_array_spec *s, jl_error *err);

/* A new JL_SCALAR node (a 0-d record) of dtype over the itemsize bytes at
 * data, as a view of an existing array (origin JL_ORIGIN_VIEW). */
uint32_t jl_scalar_build(jl_doc *doc, uint32_t dtype, jl_ref data, jl_error *err);

/* The length of the 1-D array that len bytes of dtype make (shape not
 * given). JL_E_ARG "dtype V0 has no size: give a shape" or "data of 10
 * bytes is not a multiple of the itemsize 8 of <f8". */
int jl_array_infer_len(const jl_doc *doc, uint32_t dtype, uint64_t len, uint64_t *n, jl_error *err);

#endif
