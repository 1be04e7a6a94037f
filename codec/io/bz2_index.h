/*
 * bz2_index.h - random access into bzip2 streams by their block
 * boundaries. A bzip2 stream ("BZh<level>", then blocks each opened by the
 * 48-bit magic 0x314159265359 at any bit position, then 0x177245385090
 * and the stream's combined CRC) has blocks that decode on their own: a
 * block's bits, shifted to a byte boundary and wrapped as a one-block
 * stream (the stream header, the block, the end magic and the block's own
 * CRC as the combined one), are a complete stream for libbz2. Building
 * decodes the stream block by block that way and notes each block's bit
 * offset and first output byte; a read of [off, off+len) decodes only the
 * blocks that hold it.
 *
 * Every block is a point: a block holds at most 900 kB after bzip2's
 * first run-length step (more output only for long runs of a byte), so a
 * read decodes at most one block's start it does not need, and a point
 * costs 32 bytes (under 0.01% of the stream).
 *
 * Building gives exactly what jl_decompress_each(JL_COMP_BZ2) gives
 * (pieces, errors, limit, truncation rule, concatenated streams): the
 * block path hands over only output plain decoding would have handed over
 * too, and on anything it does not take for a clean stream (a bad block,
 * a wrong combined CRC, a cut, the limit, more than a few magics found
 * inside one block's compressed bits) it decodes again from the start
 * with libbz2 and passes on only what it has not passed on yet. The cost
 * of a damaged stream is then one more decoding; the errors are plain
 * decoding's own.
 */
#ifndef JL_BZ2_INDEX_H
#define JL_BZ2_INDEX_H

#include "container.h"

typedef struct jl_bz2_index jl_bz2_index;

/* Decompresses all of in[0..n) as jl_decompress_each(JL_COMP_BZ2) does,
 * handing the output to emit, and builds the index (*out; free with
 * jl_bz2_index_free). *out is NULL on an error other than JL_E_TRUNCATED
 * (then it indexes the blocks before the cut) and when the stream offers
 * no blocks to index. Without libbz2 in the build: the container's
 * "no bz2 support" error. */
int jl_bz2_index_build(const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t max_out, jl_emit_fn emit,
                       void *ctx, jl_bz2_index **out, jl_error *err);

/* Copies bytes [off, off+len) of the uncompressed stream into dst,
 * decoding from the block holding off. in/n must be the bytes the index
 * was built from. Errors: JL_E_TRUNCATED past the indexed output, the
 * block's corruption, JL_E_ARG for other input, JL_E_NOMEM. */
int jl_bz2_index_read(const jl_bz2_index *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst,
                      uint64_t len, jl_error *err);

/* Blocks held, the uncompressed length they cover, the memory held. */
uint64_t jl_bz2_index_points(const jl_bz2_index *ix);
uint64_t jl_bz2_index_total(const jl_bz2_index *ix);
uint64_t jl_bz2_index_bytes(const jl_bz2_index *ix);

/* NULL is fine. */
void jl_bz2_index_free(jl_bz2_index *ix);

#endif
