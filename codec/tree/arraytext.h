/*
 * arraytext.h - the JSON text of numpy data (README "Paths, types and values"):
 * numpy scalars and numeric (non-object) ndarrays, nested by shape, each
 * element by its dtype (bool, ints, floats at their precision, complex as
 * [re,im], S as text or base64, U, V as base64, datetime64 as ISO text,
 * structured dtypes as objects, subarrays as lists). Used by the JSON
 * renderer (render.c) and for numpy scalar dict keys (keytext.c, path.c).
 */
#ifndef JL_ARRAYTEXT_H
#define JL_ARRAYTEXT_H

#include "value.h"

/* What the array-data renderers write with: the output buffer, the error,
 * and a scratch buffer for unicode elements (bounded as b is: its failure
 * becomes b's). */
typedef struct jl_arraytext {
    const jl_doc *doc;
    jl_buf *b;
    jl_error *err;
    jl_buf *tmp;
} jl_arraytext;

/* Appends the JSON text of node `id` (< doc->nnodes), a numpy scalar or a
 * numeric ndarray, as jl_render_json writes it; a failed buffer is the
 * error of jl_render_array_nomem. */
int jl_render_array_json(const jl_doc *doc, uint32_t id, jl_buf *b, jl_error *err);

/* The JSON text of datetime64 value v of dtype dt: a quoted ISO-8601
 * string ("2020-01-01T00:00:00.000000000" for ns), null for NaT, the
 * count as a number when the date cannot be written. */
int jl_render_datetime(jl_buf *b, int64_t v, const jl_dtype *dt);

/* The same through c (the scalar or array's data read in one go). */
int jl_render_array_leaf(const jl_arraytext *c, uint32_t id);
/* An array with no elements of shape dims[0..nd): nested empty lists up to
 * the first zero dim (JL_E_LIMIT when that would exceed max_alloc bytes). */
int jl_render_empty_block(const jl_arraytext *c, const uint64_t *dims, unsigned nd);
/* Appends the brackets between flat elements k-1 and k of a block of shape
 * dims[0..nd): "]," and "[" for each dimension that ends there. */
void jl_render_block_sep(jl_buf *b, const uint64_t *dims, unsigned nd, uint64_t k);
/* Appends ch n times. */
void jl_render_brackets(jl_buf *b, char ch, unsigned n);
/* The error for c->b's failure: JL_E_LIMIT (JSON text longer than the
 * buffer limit) or JL_E_NOMEM. */
int jl_render_array_nomem(const jl_arraytext *c);

#endif
