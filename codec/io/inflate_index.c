/*
 * inflate_index.c - checkpoints in zlib and gzip streams (inflate_index.h):
 * the API over two engines, ISA-L's (inflate_index_isal.c) in builds that
 * have it, zlib's (inflate_index_zlib.c) otherwise; the bookkeeping they
 * share is inflate_build.c.
 */
#include "inflate_index.h"

#include <string.h>

#include "inflate_build.h"
#include "inflate_index_isal.h"
#include "inflate_index_zlib.h"

void jl_inflate_index_free(jl_inflate_index *ix) {
    if (!ix) return;
    jl_arena_free(&ix->arena, ix->a);
    jl_free(ix->a, ix->pts);
    jl_free(ix->a, ix);
}

uint64_t jl_inflate_index_points(const jl_inflate_index *ix) { return ix ? ix->n : 0; }
uint64_t jl_inflate_index_total(const jl_inflate_index *ix) { return ix ? ix->total : 0; }

uint64_t jl_inflate_index_bytes(const jl_inflate_index *ix) {
    return ix ? sizeof *ix + ix->cap * sizeof(jl_ix_point) + ix->arena.cap : 0;
}

int jl_inflate_index_build(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                           uint64_t span, uint64_t max_out, jl_emit_fn emit, jl_piece_fn piece, uint64_t *in_at,
                           void *ctx, jl_inflate_index **out, jl_error *err) {
    *out = NULL;
    if (c != JL_COMP_ZLIB && c != JL_COMP_GZIP)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "checkpoints are kept for zlib and gzip streams only, not %s",
                       jl_compression_name(c));
    if (!a) a = jl_alloc_default();
    static const uint8_t empty[1];
    if (!in) {
        in = empty;
        n = 0;
    }
    jl_inflate_index *ix = jl_malloc(a, sizeof *ix);
    uint8_t *buf = jl_malloc(a, (size_t)(JL_IX_WIN + JL_IX_PIECE));
    if (!ix || !buf) {
        jl_free(a, ix);
        jl_free(a, buf);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory in the %s decoder", JL_IX_NAME(c));
    }
    memset(ix, 0, sizeof *ix);
    ix->a = a;
    ix->c = c;
    memset(buf, 0, JL_IX_WIN); /* the "window" before the first byte: never referred to */
    uint64_t in_unused;
    jl_ix_build b = { ix, in, n, JL_IX_NAME(c), buf, 0, 0, 0, span ? span : JL_INDEX_SPAN, max_out, emit, NULL, ctx,
                      0, buf + JL_IX_WIN, in_at ? in_at : &in_unused };
#ifdef HAVE_ISAL
    b.piece = piece;
    int rc = piece ? piece(ctx, &b.out, err) : JL_OK;
    if (!rc) rc = jl_ix_build_isal(&b, err);
#else
    (void)piece; /* the zlib engine's checkpoints need the window before the piece */
    b.window = 1;
    int rc = jl_ix_build_zlib(&b, 0, 0, 1, err);
#endif
    if (rc == JL_OK || rc == JL_E_TRUNCATED) { /* a cut: what came before it, as joblib's reader */
        jl_error cut = *err;
        int frc = b.used ? emit(ctx, b.out, b.used, err) : JL_OK;
        if (frc) rc = frc;
        else *err = cut;
    }
    jl_free(a, buf);
    ix->total = b.total;
    if (rc && rc != JL_E_TRUNCATED) {
        jl_inflate_index_free(ix);
        return rc;
    }
    *out = ix;
    return rc;
}

int jl_inflate_index_read(const jl_inflate_index *ix, const uint8_t *in, uint64_t n, uint64_t off,
                          uint8_t *dst, uint64_t len, jl_error *err) {
    if (len == 0) return JL_OK;
    uint64_t lo = 0, hi = ix->n; /* the last checkpoint at or before off */
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (ix->pts[mid].out <= off) lo = mid + 1;
        else hi = mid;
    }
    const jl_ix_point *pt = lo ? &ix->pts[lo - 1] : NULL;
#ifdef HAVE_ISAL
    return jl_ix_read_isal(ix, in, n, pt, off, dst, len, err);
#else
    return jl_ix_read_zlib(ix, in, n, pt, off, dst, len, err);
#endif
}
