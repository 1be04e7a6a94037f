/*
 * inflate_build.c - the bookkeeping both engines of inflate_index share
 * (inflate_build.h): checkpoints added to the index, the builder's output
 * pieces and the limit, gzip members, the messages of a read that runs
 * past the stream or is given another stream.
 */
#include "inflate_build.h"

#include <string.h>

#define ULL(x) ((unsigned long long)(x))

int jl_ix_fail_ended(const char *name, uint64_t at, uint64_t want, jl_error *err) {
    return jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET, "file is truncated: the %s stream ends after %llu bytes, before byte %llu",
                   name, ULL(at), ULL(want));
}

int jl_ix_fail_other(const char *name, jl_error *err) {
    return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "the %s stream is not the one its index was built from", name);
}

uint64_t jl_ix_next_member(const uint8_t *in, uint64_t n, uint64_t pos) {
    while (pos < n && in[pos] == 0) pos++;
    return pos < n && jl_detect(in + pos, n - pos) == JL_COMP_GZIP ? pos : n;
}

int jl_ix_add_point(jl_inflate_index *ix, uint64_t out, uint64_t in, int bits, const void *p1, uint64_t n1,
                    const void *p2, uint64_t n2, jl_error *err) {
    if (ix->n == ix->cap) {
        uint64_t cap = ix->cap ? ix->cap * 2 : 16;
        jl_ix_point *p = jl_realloc(ix->a, ix->pts, (size_t)(cap * sizeof *p));
        if (!p) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory for a checkpoint of the %s stream", JL_IX_NAME(ix->c));
        ix->pts = p;
        ix->cap = cap;
    }
    uint64_t at, at2;
    if (jl_arena_reserve(&ix->arena, ix->a, n1 + n2))
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory for a checkpoint of the %s stream", JL_IX_NAME(ix->c));
    (void)jl_arena_append(&ix->arena, ix->a, p1, n1, &at); /* room reserved: cannot fail */
    (void)jl_arena_append(&ix->arena, ix->a, p2, n2, &at2);
    ix->pts[ix->n++] = (jl_ix_point){ out, in, bits, n1 + n2, at };
    return JL_OK;
}

int jl_ix_put(jl_ix_build *b, uint64_t got, jl_error *err) {
    if (got > b->max_out - b->total)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "decompressed size exceeds the limit of %llu bytes", ULL(b->max_out));
    b->used += got;
    b->total += got;
    if (b->used < JL_IX_PIECE) return JL_OK;
    int rc = b->emit(b->ctx, b->out, JL_IX_PIECE, err);
    if (b->window) memmove(b->buf, b->buf + JL_IX_PIECE, JL_IX_WIN);
    b->used = 0;
    if (!rc && b->piece) rc = b->piece(b->ctx, &b->out, err);
    return rc;
}
