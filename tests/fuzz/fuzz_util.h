/*
 * fuzz_util.h - helpers the index fuzz targets share: a jl_emit_fn
 * consumer that appends what a decoder hands over, numbers picked from
 * the fuzzer's input, and the input made into bytes to compress.
 */
#ifndef JL_FUZZ_UTIL_H
#define JL_FUZZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc_check.h"

/* The emitted pieces, appended (p: malloc'd, the target frees it). */
typedef struct fuzz_sink {
    uint8_t *p;
    uint64_t len, cap;
} fuzz_sink;

static inline int fuzz_collect(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)err;
    fuzz_sink *s = ctx;
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->p = realloc(s->p, (size_t)s->cap);
        JL_CHECK(s->p != NULL, "out of memory in the fuzz target");
    }
    memcpy(s->p + s->len, p, (size_t)n);
    s->len += n;
    return JL_OK;
}

/* 4 bytes of d from *at on (wrapping), big-endian. */
static inline uint64_t fuzz_pick(const uint8_t *d, size_t size, size_t *at) {
    uint64_t v = 0;
    for (int i = 0; i < 4; i++) v = v << 8 | (size ? d[(*at)++ % size] : 0);
    return v;
}

/* A malloc'd copy of p[0..n). */
static inline uint8_t *fuzz_dup(const uint8_t *p, size_t n) {
    uint8_t *q = malloc(n ? n : 1);
    JL_CHECK(q != NULL, "out of memory in the fuzz target");
    if (n) memcpy(q, p, n);
    return q;
}

/* rest[0..nrest) (nrest >= 1) repeated into up to max bytes (*n; how
 * many times by rest[0]), each repetition shifted by a counter times
 * mode >> 6: malloc'd input for a compressor. */
static inline uint8_t *fuzz_raw(const uint8_t *rest, size_t nrest, uint8_t mode, uint64_t max, uint64_t *n) {
    *n = (uint64_t)nrest * (1 + rest[0] % 64);
    if (*n > max) *n = max;
    uint8_t *raw = malloc((size_t)*n);
    JL_CHECK(raw != NULL, "out of memory in the fuzz target");
    for (uint64_t i = 0; i < *n; i++) raw[i] = (uint8_t)(rest[i % nrest] + (i / nrest) * (mode >> 6));
    return raw;
}

#endif
