/*
 * emit_sink.h - a jl_emit_fn for the unit tests of piece-by-piece
 * decoders (test_inflate_index.c, test_lz4_index.c): appends the pieces
 * and counts them, and the short ones. Include after testutil.h.
 */
#ifndef JL_EMIT_SINK_H
#define JL_EMIT_SINK_H

#include <stdlib.h>
#include <string.h>

#include "container.h"

/* The emitted bytes; p is owned, free() it. */
typedef struct sink {
    uint8_t *p;
    uint64_t len, cap, pieces, short_pieces;
} sink;

static inline int collect(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)err;
    sink *s = ctx;
    if (n != JL_LAZY_CHUNK) s->short_pieces++;
    s->pieces++;
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->p = realloc(s->p, (size_t)s->cap);
        assert_non_null(s->p);
    }
    memcpy(s->p + s->len, p, (size_t)n);
    s->len += n;
    return JL_OK;
}

/* collect, but stops the decoder at the third piece ("enough"). */
static inline int stop_at_two(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    sink *s = ctx;
    if (s->pieces == 2) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "enough");
    return collect(ctx, p, n, err);
}

#endif
