/*
 * element.c - numpy elements from plain values (element.h): integer
 * ranges, float widths, UCS-4 text, byte order.
 */
#include "element.h"

#include "text.h"

#include <string.h>

#include "dtype.h"
#include "half.h"

const char jl_elem_unsupported[] = "not convertible to this dtype";

static void put_le(uint8_t *p, uint64_t v, unsigned n) {
    for (unsigned i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* The little-endian element at p made the dtype's byte order. */
static const char *done(const jl_doc *doc, uint32_t dt, uint8_t *p) {
    jl_dtype_swap(doc, dt, p, 1);
    return NULL;
}

const char *jl_elem_from_int(const jl_doc *doc, uint32_t dt, int64_t v, uint8_t *p) {
    const jl_dtype *d = &doc->dtypes[dt];
    unsigned n = (unsigned)d->itemsize;
    if (n == 0 || n > 8) return jl_elem_unsupported;
    switch (d->kind) {
    case 'b': p[0] = v != 0; return NULL;
    case 'i':
        if (n < 8 && (v < -((int64_t)1 << (8 * n - 1)) || v >= (int64_t)1 << (8 * n - 1))) return "out of range";
        break;
    case 'u':
        if (v < 0) return "negative";
        if (n < 8 && (uint64_t)v >= ((uint64_t)1 << (8 * n))) return "out of range";
        break;
    case 'M': case 'm': break;
    default: return jl_elem_unsupported;
    }
    put_le(p, (uint64_t)v, n);
    return done(doc, dt, p);
}

const char *jl_elem_from_double(const jl_doc *doc, uint32_t dt, double x, uint8_t *p) {
    const jl_dtype *d = &doc->dtypes[dt];
    if (d->kind == 'b') {
        p[0] = x != 0; /* NaN is true, as in numpy */
        return NULL;
    }
    if (d->kind != 'f' && d->kind != 'c') return jl_elem_unsupported;
    uint64_t part = d->kind == 'c' ? d->itemsize / 2 : d->itemsize; /* complex: real part, imaginary 0 */
    if (part == 8) memcpy(p, &x, 8);
    else if (part == 4) { float f = (float)x; memcpy(p, &f, 4); }
    else if (part == 2) put_le(p, jl_half_from_double(x), 2);
    else return jl_elem_unsupported;
    return done(doc, dt, p);
}

const char *jl_elem_from_bytes(const jl_doc *doc, uint32_t dt, const void *s, uint64_t n, uint8_t *p) {
    const jl_dtype *d = &doc->dtypes[dt];
    if (d->kind != 'S') return jl_elem_unsupported;
    if (n > d->itemsize) return "longer than the dtype's size";
    if (n) memcpy(p, s, (size_t)n);
    return NULL;
}

const char *jl_elem_from_utf8(const jl_doc *doc, uint32_t dt, const uint8_t *s, uint64_t n, uint8_t *p) {
    const jl_dtype *d = &doc->dtypes[dt];
    if (d->kind != 'U') return jl_elem_unsupported;
    uint64_t k = 0;
    for (uint64_t at = 0; at < n;) {
        uint32_t cp;
        unsigned l = jl_utf8_next(s + at, n - at, JL_UTF8_SURROGATES, &cp);
        if (l == 0) return "not UTF-8 text";
        if ((k + 1) * 4 > d->itemsize) return "longer than the dtype's size";
        put_le(p + 4 * k++, cp, 4);
        at += l;
    }
    return done(doc, dt, p);
}
