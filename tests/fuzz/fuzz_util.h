/*
 * fuzz_util.h - more helpers the index fuzz targets share (beside
 * fuzz_sink.h): copies, and the input made into bytes to compress.
 */
#ifndef JL_FUZZ_UTIL_H
#define JL_FUZZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc_check.h"
#include "fuzz_sink.h" /* fuzz_sink, fuzz_collect, fuzz_pick */

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
