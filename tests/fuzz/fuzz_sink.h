/*
 * fuzz_sink.h - what the index targets (fuzz_inflate_index,
 * fuzz_lz4_index) share: a jl_emit_fn that appends the pieces, numbers
 * picked from the fuzz input, and reads checked against the pieces.
 */
#ifndef JL_FUZZ_SINK_H
#define JL_FUZZ_SINK_H

#include <stdlib.h>
#include <string.h>

#include "doc_check.h"

/* The emitted bytes; p is owned, free() it. */
typedef struct fuzz_sink {
    uint8_t *p;
    uint64_t len, cap, pieces;
} fuzz_sink;

static inline int fuzz_collect(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)err;
    fuzz_sink *s = ctx;
    s->pieces++;
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->p = realloc(s->p, (size_t)s->cap);
        JL_CHECK(s->p != NULL, "out of memory in the fuzz target");
    }
    memcpy(s->p + s->len, p, (size_t)n);
    s->len += n;
    return JL_OK;
}

/* Four input bytes from d[*at] on (wrapping), as a number. */
static inline uint64_t fuzz_pick(const uint8_t *d, size_t size, size_t *at) {
    uint64_t v = 0;
    for (int i = 0; i < 4; i++) v = v << 8 | (size ? d[(*at)++ % size] : 0);
    return v;
}

/* Reads one index's bytes [off, off+len) of stream z (jl_*_index_read). */
typedef int (*fuzz_read_fn)(const void *ix, const uint8_t *z, uint64_t zn, uint64_t off, uint8_t *dst, uint64_t len,
                            jl_error *err);

/* 32 reads at offsets and lengths (up to max_len) the input picks, some
 * running 64 bytes past the emitted s->len. A read that succeeds gives
 * exactly the emitted bytes (past_end: it may also run past them, since
 * the index can decode what a cut stream never emitted); a failure has a
 * code and message, and is allowed only past the end unless !sound. */
static inline void fuzz_reads(const void *ix, fuzz_read_fn rd, const uint8_t *z, uint64_t zn, const uint8_t *data,
                              size_t size, const fuzz_sink *s, uint64_t max_len, int sound, int past_end) {
    uint8_t *dst = malloc((size_t)s->len + 64);
    JL_CHECK(dst != NULL, "out of memory in the fuzz target");
    size_t at = 2;
    for (int k = 0; k < 32 && s->len; k++) {
        uint64_t off = fuzz_pick(data, size, &at) % s->len, len = 1 + fuzz_pick(data, size, &at) % max_len;
        if (len > s->len - off + (k % 8 == 7 ? 64 : 0)) len = s->len - off + (k % 8 == 7 ? 64 : 0);
        jl_error err;
        jl_error_clear(&err);
        int r = rd(ix, z, zn, off, dst, len, &err);
        if (r == JL_OK) {
            JL_CHECK(off + len <= s->len || past_end, "read past the end (%llu+%llu of %llu) succeeded",
                     (unsigned long long)off, (unsigned long long)len, (unsigned long long)s->len);
            uint64_t cmp = off + len <= s->len ? len : s->len - off;
            JL_CHECK(memcmp(dst, s->p + off, (size_t)cmp) == 0, "read %llu+%llu differs from the whole decoding",
                     (unsigned long long)off, (unsigned long long)len);
        } else {
            JL_CHECK(err.code == (jl_code)r && err.message[0], "read error %d without its message", r);
            JL_CHECK(!sound || off + len > s->len, "read %llu+%llu of a sound stream failed: %s",
                     (unsigned long long)off, (unsigned long long)len, err.message);
        }
    }
    free(dst);
}

#endif
