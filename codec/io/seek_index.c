/*
 * seek_index.c - the table of index builders, one row per compressor
 * (seek_index.h): zlib and gzip (inflate_index.h), lz4 frames
 * (lz4_index.h), xz (xz_index.h; not lzma-alone, which has no index),
 * bzip2 (bz2_index.h), and the generic handle around the index each
 * builds.
 */
#include "seek_index.h"

#include "bz2_index.h"
#include "inflate_index.h"
#include "lz4_index.h"
#include "xz_index.h"

/* What a compressor's index offers; impl is its own index type. */
typedef struct seek_ops {
    jl_compression c;
    int (*build)(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t span,
                 uint64_t max_out, jl_emit_fn emit, jl_piece_fn piece, uint64_t *in_at, void *ctx, void **out, jl_error *err);
    int (*read)(const void *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst, uint64_t len,
                jl_error *err);
    uint64_t (*points)(const void *ix);
    uint64_t (*total)(const void *ix);
    uint64_t (*bytes)(const void *ix);
    void (*release)(void *ix);
} seek_ops;

struct jl_seek_index {
    const seek_ops *ops;
    const jl_alloc *a;
    void *impl;
};

/* deflate (zlib, gzip): inflate_index.h */
static int deflate_build(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t span,
                         uint64_t max_out, jl_emit_fn emit, jl_piece_fn piece, uint64_t *in_at, void *ctx, void **out, jl_error *err) {
    jl_inflate_index *ix = NULL;
    int rc = jl_inflate_index_build(c, in, n, a, span, max_out, emit, piece, in_at, ctx, &ix, err);
    *out = ix;
    return rc;
}
static int deflate_read(const void *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst, uint64_t len,
                        jl_error *err) {
    return jl_inflate_index_read(ix, in, n, off, dst, len, err);
}
static uint64_t deflate_points(const void *ix) { return jl_inflate_index_points(ix); }
static uint64_t deflate_total(const void *ix) { return jl_inflate_index_total(ix); }
static uint64_t deflate_bytes(const void *ix) { return jl_inflate_index_bytes(ix); }
static void deflate_release(void *ix) { jl_inflate_index_free(ix); }

#ifdef HAVE_LZ4
/* lz4 frames, linked or independent blocks: lz4_index.h */
static int lz4_build(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t span,
                     uint64_t max_out, jl_emit_fn emit, jl_piece_fn piece, uint64_t *in_at, void *ctx, void **out, jl_error *err) {
    (void)c, (void)piece, (void)in_at;
    jl_lz4_index *ix = NULL;
    int rc = jl_lz4_index_build(in, n, a, span, max_out, emit, ctx, &ix, err);
    *out = ix;
    return rc;
}
static int lz4_read(const void *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst, uint64_t len,
                    jl_error *err) {
    return jl_lz4_index_read(ix, in, n, off, dst, len, err);
}
static uint64_t lz4_points(const void *ix) { return jl_lz4_index_points(ix); }
static uint64_t lz4_total(const void *ix) { return jl_lz4_index_total(ix); }
static uint64_t lz4_bytes(const void *ix) { return jl_lz4_index_bytes(ix); }
static void lz4_release(void *ix) { jl_lz4_index_free(ix); }
#endif

#ifdef HAVE_LZMA
/* xz: the file's own Blocks (xz_index.h); span does not apply */
static int xz_build(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t span,
                    uint64_t max_out, jl_emit_fn emit, jl_piece_fn piece, uint64_t *in_at, void *ctx, void **out, jl_error *err) {
    (void)c, (void)span, (void)piece, (void)in_at;
    jl_xz_index *ix = NULL;
    int rc = jl_xz_index_build(in, n, a, max_out, emit, ctx, &ix, err);
    *out = ix;
    return rc;
}
static int xz_read(const void *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst, uint64_t len,
                   jl_error *err) {
    return jl_xz_index_read(ix, in, n, off, dst, len, err);
}
static uint64_t xz_points(const void *ix) { return jl_xz_index_points(ix); }
static uint64_t xz_total(const void *ix) { return jl_xz_index_total(ix); }
static uint64_t xz_bytes(const void *ix) { return jl_xz_index_bytes(ix); }
static void xz_release(void *ix) { jl_xz_index_free(ix); }
#endif
#ifdef HAVE_BZ2
/* bzip2: bz2_index.h (a point per block; span does not apply) */
static int bz2_build(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t span,
                     uint64_t max_out, jl_emit_fn emit, jl_piece_fn piece, uint64_t *in_at, void *ctx, void **out,
                     jl_error *err) {
    (void)c, (void)span, (void)piece, (void)in_at;
    jl_bz2_index *ix = NULL;
    int rc = jl_bz2_index_build(in, n, a, max_out, emit, ctx, &ix, err);
    *out = ix;
    return rc;
}
static int bz2_read(const void *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst, uint64_t len,
                    jl_error *err) {
    return jl_bz2_index_read(ix, in, n, off, dst, len, err);
}
static uint64_t bz2_points(const void *ix) { return jl_bz2_index_points(ix); }
static uint64_t bz2_total(const void *ix) { return jl_bz2_index_total(ix); }
static uint64_t bz2_bytes(const void *ix) { return jl_bz2_index_bytes(ix); }
static void bz2_release(void *ix) { jl_bz2_index_free(ix); }
#endif

static const seek_ops OPS[] = {
    { JL_COMP_ZLIB, deflate_build, deflate_read, deflate_points, deflate_total, deflate_bytes, deflate_release },
    { JL_COMP_GZIP, deflate_build, deflate_read, deflate_points, deflate_total, deflate_bytes, deflate_release },
#ifdef HAVE_LZ4
    { JL_COMP_LZ4, lz4_build, lz4_read, lz4_points, lz4_total, lz4_bytes, lz4_release },
#endif
#ifdef HAVE_LZMA
    { JL_COMP_XZ, xz_build, xz_read, xz_points, xz_total, xz_bytes, xz_release },
#endif
#ifdef HAVE_BZ2
    { JL_COMP_BZ2, bz2_build, bz2_read, bz2_points, bz2_total, bz2_bytes, bz2_release },
#endif
};

static const seek_ops *ops_of(jl_compression c) {
    for (size_t i = 0; i < sizeof OPS / sizeof *OPS; i++)
        if (OPS[i].c == c) return &OPS[i];
    return NULL;
}

int jl_seek_index_build(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t span,
                        uint64_t max_out, jl_emit_fn emit, jl_piece_fn piece, uint64_t *in_at, void *ctx,
                        jl_seek_index **out, jl_error *err) {
    *out = NULL;
    if (!a) a = jl_alloc_default();
    const seek_ops *ops = ops_of(c);
    if (!ops) {
        uint64_t total;
        return jl_decompress_each(c, in, n, a, max_out, emit, ctx, &total, err);
    }
    void *impl = NULL;
    int rc = ops->build(c, in, n, a, span, max_out, emit, piece, in_at, ctx, &impl, err);
    if (!impl) return rc;
    jl_seek_index *ix = jl_malloc(a, sizeof *ix);
    if (!ix) { /* the stream was read; only random access is lost */
        ops->release(impl);
        return rc;
    }
    *ix = (jl_seek_index){ ops, a, impl };
    *out = ix;
    return rc;
}

int jl_seek_index_read(const jl_seek_index *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst,
                       uint64_t len, jl_error *err) {
    return ix->ops->read(ix->impl, in, n, off, dst, len, err);
}

uint64_t jl_seek_index_points(const jl_seek_index *ix) { return ix ? ix->ops->points(ix->impl) : 0; }
uint64_t jl_seek_index_total(const jl_seek_index *ix) { return ix ? ix->ops->total(ix->impl) : 0; }
uint64_t jl_seek_index_bytes(const jl_seek_index *ix) { return ix ? sizeof *ix + ix->ops->bytes(ix->impl) : 0; }

void jl_seek_index_free(jl_seek_index *ix) {
    if (!ix) return;
    ix->ops->release(ix->impl);
    jl_free(ix->a, ix);
}
