/*
 * seek_index.h - random access into a compressed stream, whatever its
 * compressor: while the stream is decompressed once from the start (the
 * structure pass), the compressor's own index builder notes where it can
 * later start again (deflate: checkpoints with the 32 KiB window, see
 * inflate_index.h; lz4 frames: block starts, with the 64 KiB window for
 * linked blocks, see lz4_index.h; xz: the file's own Blocks, see
 * xz_index.h; bzip2: its blocks, see bz2_index.h); a later read of
 * bytes [off, off+len) starts at the
 * last such point before off. One row per compressor in seek_index.c; a
 * compressor with no row, or a stream whose format offers no place to
 * start again, gets no index (*out NULL) and its readers inflate from the
 * start (container.h's jl_decompress_each).
 */
#ifndef JL_SEEK_INDEX_H
#define JL_SEEK_INDEX_H

#include "container.h"

typedef struct jl_seek_index jl_seek_index;

/* Decompresses all of in[0..n), handing the output to emit exactly as
 * jl_decompress_each does (same errors, limit and truncation rule), and
 * builds the index (*out; free with jl_seek_index_free). *out is NULL on
 * an error, and when c has no index (or this stream offers none); on
 * JL_E_TRUNCATED it may be the index of the part before the cut. span 0
 * means each builder's default distance between points. piece (may be
 * NULL) offers the emit's own storage for the next piece (container.h);
 * a builder may use it or not. in_at (may be NULL): where a builder that
 * tracks it stores, before each emit, the input offset its decoder has
 * read up to (zlib and gzip do; the others leave *in_at alone). */
int jl_seek_index_build(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t span,
                        uint64_t max_out, jl_emit_fn emit, jl_piece_fn piece, uint64_t *in_at, void *ctx,
                        jl_seek_index **out, jl_error *err);

/* Copies bytes [off, off+len) of the uncompressed stream into dst, starting
 * at the last point at or before off. in/n must be the bytes the index was
 * built from. Errors: the stream's, JL_E_TRUNCATED when it ends before
 * off+len, JL_E_NOMEM. */
int jl_seek_index_read(const jl_seek_index *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst,
                       uint64_t len, jl_error *err);

/* Points held, the uncompressed length seen, the memory held (tests,
 * joblib_info, the cache's accounting). NULL gives 0. */
uint64_t jl_seek_index_points(const jl_seek_index *ix);
uint64_t jl_seek_index_total(const jl_seek_index *ix);
uint64_t jl_seek_index_bytes(const jl_seek_index *ix);

/* NULL is fine. */
void jl_seek_index_free(jl_seek_index *ix);

#endif
