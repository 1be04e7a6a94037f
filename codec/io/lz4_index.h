/*
 * lz4_index.h - random access into lz4 frame streams (the LZ4 frame
 * format, v1.6: frames of blocks, linked or independent, concatenated
 * frames as container.c decodes them). While the stream is decoded once
 * from the start (liblz4's LZ4F decoder, so output, errors and checksum
 * checks are jl_decompress_each's), a point is kept at the first block
 * start after every `span` bytes of output: its offsets in and out, the
 * frame's parameters and, for linked blocks, the 64 KiB of output before
 * it (the dictionary a linked block may refer back into; independent
 * blocks keep none). A read of bytes [off, off+len) later walks the
 * blocks from the point at or before off with liblz4's block decoder.
 */
#ifndef JL_LZ4_INDEX_H
#define JL_LZ4_INDEX_H

#include "container.h"

/* Output between points, by default (64 KiB of window per 4 MiB of
 * linked-block stream: under 2% of it). */
#define JL_LZ4_INDEX_SPAN ((uint64_t)4 << 20)

typedef struct jl_lz4_index jl_lz4_index;

/* Decodes all of in[0..n) (lz4 frames), handing the output to emit as
 * jl_decompress_each(JL_COMP_LZ4) does (same pieces, errors, limit and
 * truncation rule: whole JL_LAZY_CHUNKs before a cut), and builds the
 * index (*out; free with jl_lz4_index_free). On an error *out is NULL;
 * on JL_E_TRUNCATED it is the index of the part before the cut. *out is
 * also NULL when the stream decodes but its blocks cannot be walked
 * (never for frames liblz4 writes). span 0 means JL_LZ4_INDEX_SPAN. */
int jl_lz4_index_build(const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t span, uint64_t max_out,
                       jl_emit_fn emit, void *ctx, jl_lz4_index **out, jl_error *err);

/* Copies bytes [off, off+len) of the uncompressed stream into dst,
 * decoding blocks from the last point at or before off. in/n must be the
 * bytes the index was built from (checksums were checked then and are
 * not again). Errors: JL_E_TRUNCATED when the stream ends before off+len,
 * JL_E_FORMAT for a block that does not decode, JL_E_NOMEM. */
int jl_lz4_index_read(const jl_lz4_index *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst,
                      uint64_t len, jl_error *err);

/* Points held, the uncompressed length emitted, the memory held (windows
 * included). NULL gives 0. */
uint64_t jl_lz4_index_points(const jl_lz4_index *ix);
uint64_t jl_lz4_index_total(const jl_lz4_index *ix);
uint64_t jl_lz4_index_bytes(const jl_lz4_index *ix);

/* NULL is fine. */
void jl_lz4_index_free(jl_lz4_index *ix);

#endif
