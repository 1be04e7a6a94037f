/*
 * container.h - the compression layer around a bundle's stream: detection
 * by full magic and whole-stream (de)compression for zlib, gzip, bz2, xz,
 * lzma-alone, lz4 frame and joblib's legacy ZF layout.
 *
 * Detection never trusts a file name or a 2-byte prefix (a raw pickle may
 * begin with "BZ"). Decompression is bounded: it fails with JL_E_LIMIT as
 * soon as the output would exceed max_out, whatever the input claims.
 * Codecs missing from this build (HAVE_BZ2, HAVE_LZMA, HAVE_LZ4 not
 * defined) report "this build has no <name> support".
 */
#ifndef JL_CONTAINER_H
#define JL_CONTAINER_H

#include "base.h"

/* The compressions a bundle's stream may have, by magic bytes. */
typedef enum jl_compression {
    JL_COMP_NONE = 0, JL_COMP_ZLIB, JL_COMP_GZIP, JL_COMP_BZ2, JL_COMP_LZMA, JL_COMP_XZ,
    JL_COMP_LZ4, JL_COMP_ZF, JL_COMP_COUNT
} jl_compression;

/* The container of a stream from its first bytes (n may be short). */
jl_compression jl_detect(const uint8_t *p, uint64_t n);

/* "none", "zlib", "gzip", "bz2", "lzma", "xz", "lz4", "zf". */
const char *jl_compression_name(jl_compression c);
/* 1 when this build can (de)compress c. */
int jl_compression_available(jl_compression c);

/* Decompresses all of in[0..n) (a complete container of kind c) into a new
 * buffer allocated with `a` (*out, *out_len; free with jl_free). For ZF
 * the header is parsed and the announced length is checked. Trailing
 * bytes after the end of a zlib/ZF stream are ignored; concatenated
 * gzip/bz2/xz/lz4 members are decoded as one stream (as Python does). */
int jl_decompress(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                  uint64_t max_out, uint8_t **out, uint64_t *out_len, jl_error *err);

/* The same for a doc's block: an output that grows past JL_SHARED_MIN is a
 * shared block (shared.h) instead of an allocation. *owner says which
 * (JL_BLOCK_SHARED or JL_BLOCK_HEAP); free with jl_decompressed_free, or
 * hand to jl_block_add with that owner. Same errors and limits. */
int jl_decompress_block(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                        uint64_t max_out, uint8_t **out, uint64_t *out_len, uint8_t *owner,
                        jl_error *err);
void jl_decompressed_free(const jl_alloc *a, uint8_t *p, uint8_t owner);

/* jl_decompress_block as joblib's readers decompress: lazily. When the
 * input ends before the stream does (JL_E_TRUNCATED, "file is truncated:
 * the <name> stream stops after N compressed bytes, ..."), *out still
 * holds the bytes joblib can read before the end (possibly none; free
 * them as above): a pickle complete within them loads in joblib.
 *   zlib, gzip     everything decoded: joblib's BinaryZlibFile ends
 *                  quietly where the input ends;
 *   bz2, lzma, xz, lz4  whole JL_LAZY_CHUNKs only: joblib reads them
 *                  through a 1 MiB io.BufferedReader whose fill raises
 *                  EOFError on the chunk holding the cut;
 *   ZF             nothing: joblib inflates it whole. */
#define JL_LAZY_CHUNK ((uint64_t)1 << 20)
int jl_decompress_lazy(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                       uint64_t max_out, uint8_t **out, uint64_t *out_len, uint8_t *owner,
                       jl_error *err);

/* Streaming decompression for every kind but ZF and none: the output goes
 * to `emit` in pieces of JL_LAZY_CHUNK bytes (the last one shorter), never
 * held whole; a window of that size is the only buffer. A nonzero return
 * of emit (with err set) stops decoding and is returned. *total is the
 * number of bytes emitted. Same errors and limit as jl_decompress; on
 * JL_E_TRUNCATED the emitted bytes are what jl_decompress_lazy keeps. */
typedef int (*jl_emit_fn)(void *ctx, const uint8_t *p, uint64_t n, jl_error *err);
/* Optional, beside an emit: hands out the JL_LAZY_CHUNK bytes the next
 * piece may be inflated into (the emit's own storage, so that the emit
 * that follows, given that pointer, need not copy). */
typedef int (*jl_piece_fn)(void *ctx, uint8_t **dst, jl_error *err);
int jl_decompress_each(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                       uint64_t max_out, jl_emit_fn emit, void *ctx, uint64_t *total,
                       jl_error *err);

/* jl_decompress_each that also tells `member` (when not NULL), after each
 * member it decodes whole, where the member lies in the input, [start,
 * end), and how many bytes it decoded to (out): a seek index checks the
 * member's own index against them (xz_index.h). */
typedef void (*jl_member_fn)(void *mctx, uint64_t start, uint64_t end, uint64_t out);
int jl_decompress_members(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                          uint64_t max_out, jl_emit_fn emit, void *ctx, jl_member_fn member,
                          void *mctx, uint64_t *total, jl_error *err);

/* Decoder memory liblzma may use (the dictionary an xz/lzma header asks
 * for); joblib's presets need at most 65 MiB. */
#ifndef JL_LZMA_MEMLIMIT
#define JL_LZMA_MEMLIMIT ((uint64_t)128 << 20)
#endif

#ifdef HAVE_LZMA
/* A liblzma decoder's failure r (an lzma_ret) in this file's words, for
 * the xz or lzma (name) stream at compressed byte `at`; memusage is what
 * the decoder asked for (for LZMA_MEMLIMIT_ERROR). Returns the code. */
int jl_lzma_fail(int r, uint64_t memusage, const char *name, uint64_t at, jl_error *err);
#endif

/* Compresses in[0..n) into a complete container of kind c at `level`
 * (1-9; lz4 0-16) with the exact framing joblib writes (docs/FORMAT.md 2.2).
 * ZF is written with the 19-byte length field. */
int jl_compress(jl_compression c, int level, const uint8_t *in, uint64_t n, const jl_alloc *a,
                uint8_t **out, uint64_t *out_len, jl_error *err);

#endif
