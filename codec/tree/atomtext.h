/*
 * atomtext.h - the text of atoms, shared by paths (path.c, keytext.c) and
 * the JSON renderer (render.c, arraytext.c): base64 of bytes, ints and
 * big ints in decimal, floats as Python's repr. JSON strings are
 * core/text.h's jl_json_string. No node is visited here beyond the one int
 * jl_render_int reads.
 */
#ifndef JL_ATOMTEXT_H
#define JL_ATOMTEXT_H

#include "value.h"

/* ---- strings and bytes ---- */

/* Appends p[0..n) as a quoted base64 JSON string (standard alphabet, '='
 * padding). */
int jl_render_base64(jl_buf *b, const uint8_t *p, uint64_t n);

/* ---- numbers ---- */

/* Appends u in decimal, with a '-' before it when neg. */
int jl_render_u64(jl_buf *b, uint64_t u, int neg);
/* Appends v in decimal. */
int jl_render_i64(jl_buf *b, int64_t v);
/* Appends the decimal digits of an int node (small or JL_F_BIG; a bool as
 * 1 or 0). JL_E_LIMIT, nothing appended, for a big int of more than 64 KiB
 * (the conversion is quadratic). */
int jl_render_int(const jl_doc *doc, uint32_t id, jl_buf *b);
/* Appends v as Python's repr writes a float of `width` bytes (2: half,
 * 4: single, 8: double): the shortest digits that read back to the same
 * value at that precision, "1.0" for integral values, "1e+16" from 1e16
 * on; NaN and infinities as null. */
int jl_render_float(jl_buf *b, double v, int width);
/* jl_render_float of a double (width 8). */
int jl_render_double(jl_buf *b, double v);

#endif
