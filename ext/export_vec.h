/*
 * export_vec.h - joblib_export's vector columns: a BLOB column whose values
 * are all rows of one dtype and one shape becomes one (n, ...) ndarray
 * instead of an object array of bytes (README "Writing", joblib_export).
 *
 * A column stacks when, over every row of the result:
 *   - its declared type is a vector type, numpy's dtype name and the row
 *     shape as the joblib table declares its vector columns
 *     ("float32[384]", "int16[4][3]"), and every value is a BLOB of exactly
 *     that many bytes (the row's elements in native byte order); or
 *   - every value is a BLOB holding an ndarray bundle (what
 *     joblib_ndarray(v, '<f4') or joblib_extract give), all of one dtype
 *     and one shape, fixed-size elements (then stacked in native order).
 * Any other value (NULL, a number, TEXT, a BLOB of another size, dtype or
 * shape, a BLOB that is not an ndarray bundle) turns stacking off for the
 * column: it stays what it was (an object array of bytes). The rows are
 * copied into one buffer as they arrive: a declared column's rows only
 * there (they are its values), a bundle column's beside its values.
 */
#ifndef JL_EXPORT_VEC_H
#define JL_EXPORT_VEC_H

#include "ext.h"

enum { JL_VEC_UNSET = 0, JL_VEC_ON, JL_VEC_OFF };

typedef struct jl_vecstack {
    int state;          /* JL_VEC_*: UNSET until the first value */
    int declared;       /* 1 when the declared type gave dtype and shape */
    uint32_t dtype;     /* the rows' dtype in the export doc (native order) */
    unsigned ndim;      /* of one row */
    uint64_t dims[JL_MAX_WRITE_DIMS];
    uint64_t rowbytes;
    char *descr;        /* bundle rows: the first row's native descr (sqlite3_malloc) */
    uint8_t *buf;       /* the rows' bytes, row after row (doc allocator) */
    uint64_t len, cap;
} jl_vecstack;

/* Starts v for a column of the export doc with declared type `decl`
 * (NULL when none): a vector type sets dtype and shape. Returns 1 when
 * decl is a vector type. */
int jl_vecstack_init(jl_vecstack *v, jl_doc *doc, const char *decl);

/* Adds row `row`'s value (SQL type `type`, BLOB bytes p[0..n) when BLOB).
 * Turns stacking off when the value does not fit; JL_OK, or JL_E_NOMEM /
 * JL_E_LIMIT (max_alloc) with err set. */
int jl_vecstack_add(jl_vecstack *v, jl_doc *doc, int type, const uint8_t *p, uint64_t n, jl_error *err);

/* 1 when the column stacks: on, or declared with no rows at all. */
int jl_vecstack_ready(const jl_vecstack *v, uint64_t nrows);

/* The stacked (nrows, dims...) ndarray node (the buffer becomes a block of
 * the doc); JL_NONE with err set. */
uint32_t jl_vecstack_array(jl_vecstack *v, jl_doc *doc, uint64_t nrows, jl_error *err);

/* One ndarray node per row, of shape dims, over the rows' bytes (the
 * buffer becomes a block of the doc): ids[0..nrows). For a DataFrame
 * column or records, which cannot hold the rows as one N-D array. */
int jl_vecstack_rows(jl_vecstack *v, jl_doc *doc, uint64_t nrows, uint32_t *ids, jl_error *err);

/* A declared column's row r as added (its BLOB's bytes, v->rowbytes of
 * them), also after stacking turned off, until jl_vecstack_free; NULL
 * when there is none. The export keeps such rows only here while the
 * column still stacks. */
const uint8_t *jl_vecstack_raw_row(const jl_vecstack *v, uint64_t r);

void jl_vecstack_free(jl_vecstack *v, jl_doc *doc);

#endif
