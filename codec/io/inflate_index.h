/*
 * inflate_index.h - random access into zlib and gzip streams: while the
 * stream is inflated once from the start, a checkpoint is kept every
 * `span` bytes of output, and reading bytes [off, off+len) later starts
 * at the checkpoint at or before off instead of at byte 0.
 *
 * Two engines, one per build. With ISA-L (HAVE_ISAL) the stream is
 * inflated by isal_inflate and a checkpoint is a copy of ISA-L's decoder
 * state (its Huffman tables, bit buffer and 32 KiB history) at the span
 * mark, with the input offset (inflate_index_isal.c tells why resuming
 * from it is exact). Without ISA-L, zlib inflates with Z_BLOCK and a
 * checkpoint is kept at the first deflate block boundary after the mark:
 * the offsets in and out, the bits of the last input byte that belong to
 * the next block, and the 32 KiB window before it (inflatePrime and
 * inflateSetDictionary resume there; zlib's examples/zran.c technique).
 *
 * Concatenated gzip members are followed as Python's reader does; bytes
 * after the end of a zlib stream are ignored. A stream cut short gives
 * zlib's prefix and words in both builds (the ISA-L build hands the cut
 * member to zlib).
 */
#ifndef JL_INFLATE_INDEX_H
#define JL_INFLATE_INDEX_H

#include "container.h"

/* Output between checkpoints, by default (4 MiB: 32 KiB of window per
 * 4 MiB of stream, under 1% of it). */
#define JL_INDEX_SPAN ((uint64_t)4 << 20)

typedef struct jl_inflate_index jl_inflate_index;

/* Inflates all of in[0..n) (c is JL_COMP_ZLIB or JL_COMP_GZIP), handing
 * the output to emit as jl_decompress_each does (same pieces, errors,
 * limit and truncation rule), and builds the index (*out; free with
 * jl_inflate_index_free). On an error *out is NULL; on JL_E_TRUNCATED it
 * is the index of the part before the cut. span 0 means JL_INDEX_SPAN.
 * piece may be NULL; the ISA-L engine inflates into what it hands out.
 * in_at may be NULL; else before each emit it holds the input offset the
 * decoder has read up to (pull.c hands the pages before it back). */
int jl_inflate_index_build(jl_compression c, const uint8_t *in, uint64_t n, const jl_alloc *a,
                           uint64_t span, uint64_t max_out, jl_emit_fn emit, jl_piece_fn piece, uint64_t *in_at,
                           void *ctx, jl_inflate_index **out, jl_error *err);

/* Copies bytes [off, off+len) of the uncompressed stream into dst,
 * inflating from the last checkpoint at or before off. in/n must be the
 * bytes the index was built from. Errors: the stream's (corrupt data,
 * JL_E_TRUNCATED when it ends before off+len), JL_E_NOMEM. */
int jl_inflate_index_read(const jl_inflate_index *ix, const uint8_t *in, uint64_t n, uint64_t off,
                          uint8_t *dst, uint64_t len, jl_error *err);

/* Checkpoints held and the uncompressed length seen (tests, joblib_info). */
uint64_t jl_inflate_index_points(const jl_inflate_index *ix);
uint64_t jl_inflate_index_total(const jl_inflate_index *ix);
/* The memory the index holds (its checkpoints' data included: about 54
 * KiB each with ISA-L, 32 KiB with zlib). */
uint64_t jl_inflate_index_bytes(const jl_inflate_index *ix);

void jl_inflate_index_free(jl_inflate_index *ix);

#endif
