/*
 * element.h - one numpy element from a plain value, as numpy casts it:
 * an integer, a float, bytes or UTF-8 text into the itemsize bytes of a
 * plain (not structured, not subarray) dtype, in the dtype's byte order.
 *
 * Each writes at p, which holds itemsize zero bytes, and returns NULL, or
 * why the value does not fit ("out of range", "negative", "longer than the
 * dtype's size"), or jl_elem_unsupported when the dtype's kind or size
 * does not take such a value.
 */
#ifndef JL_ELEMENT_H
#define JL_ELEMENT_H

#include "value.h"

extern const char jl_elem_unsupported[];

/* Kinds b (v != 0), i and u (range-checked), M and m (INT64_MIN is NaT). */
const char *jl_elem_from_int(const jl_doc *doc, uint32_t dt, int64_t v, uint8_t *p);
/* Kinds b (x != 0; NaN is true), f (2, 4, 8 bytes) and c (real part; 8, 16 bytes). */
const char *jl_elem_from_double(const jl_doc *doc, uint32_t dt, double x, uint8_t *p);
/* Kind S: the bytes, zero-padded. */
const char *jl_elem_from_bytes(const jl_doc *doc, uint32_t dt, const void *s, uint64_t n, uint8_t *p);
/* Kind U: valid UTF-8 text (the caller checks) as UCS-4, zero-padded. */
const char *jl_elem_from_utf8(const jl_doc *doc, uint32_t dt, const uint8_t *s, uint64_t n, uint8_t *p);

#endif
