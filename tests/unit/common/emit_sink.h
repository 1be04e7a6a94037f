/*
 * emit_sink.h - short names for testutil.h's jl_emit_fn sink in the unit
 * tests of piece-by-piece decoders (test_inflate_index.c,
 * test_lz4_index.c, test_xz_index.c), and a sink that stops the decoder.
 * Include after testutil.h.
 */
#ifndef JL_EMIT_SINK_H
#define JL_EMIT_SINK_H

#include "container.h"
#include "testutil.h"

typedef jl_test_sink sink;
#define collect jl_test_collect

/* collect, but stops the decoder at the third piece ("enough"). */
static inline int stop_at_two(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    sink *s = ctx;
    if (s->pieces == 2) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "enough");
    return collect(ctx, p, n, err);
}

#endif
