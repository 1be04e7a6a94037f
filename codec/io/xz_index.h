/*
 * xz_index.h - random access into .xz files by their own index: an xz
 * stream ends with an Index listing each of its Blocks (compressed and
 * uncompressed size), and a Block can be decoded alone from its header.
 * Files from `xz -T0`, `xz --block-size=...` or pixz have many Blocks;
 * Python's lzma (joblib.dump's "xz") writes one, which gives no index.
 *
 * Building decodes the whole input once exactly as jl_decompress_each
 * does (same output pieces, errors, limit, concatenated streams and zero
 * padding), noting where each stream lies; when that succeeded, each
 * stream's footer and Index are read (every size checked against the
 * stream's bytes) and must agree with what was decoded. The result is a
 * table of the non-empty Blocks. A read of [off, off+len) decodes the
 * Block holding off alone (its header, then lzma_block_decoder with the
 * stream's check type) and the following Blocks until len is covered;
 * a Block's check is verified when a read runs to its end (the whole-
 * file pass verified every one already).
 * Needs liblzma (HAVE_LZMA); lzma-alone files have no index.
 */
#ifndef JL_XZ_INDEX_H
#define JL_XZ_INDEX_H

#include "container.h"

/* Most Blocks an index keeps (40 bytes each): a file with more gets no
 * index and is read from the start. */
#ifndef JL_XZ_INDEX_MAX_BLOCKS
#define JL_XZ_INDEX_MAX_BLOCKS ((uint64_t)1 << 20)
#endif

typedef struct jl_xz_index jl_xz_index;

/* Decodes all of in[0..n) (xz) handing the output to emit exactly as
 * jl_decompress_each does and returns what it returns. *out is the index
 * (free with jl_xz_index_free), or NULL: on any error (a truncated file
 * included), when the file has fewer than two non-empty Blocks, more than
 * JL_XZ_INDEX_MAX_BLOCKS, a check type liblzma cannot verify, or an
 * Index that disagrees with the decoded streams (readers then decode from
 * the start). */
int jl_xz_index_build(const uint8_t *in, uint64_t n, const jl_alloc *a, uint64_t max_out, jl_emit_fn emit,
                      void *ctx, jl_xz_index **out, jl_error *err);

/* Copies bytes [off, off+len) of the uncompressed file into dst, decoding
 * from the start of the Block holding off. in/n must be the bytes the
 * index was built from. Errors: JL_E_TRUNCATED when the file ends before
 * off+len, the Block's (in container.c's words), JL_E_NOMEM, JL_E_ARG
 * when in/n cannot be the indexed file. */
int jl_xz_index_read(const jl_xz_index *ix, const uint8_t *in, uint64_t n, uint64_t off, uint8_t *dst,
                     uint64_t len, jl_error *err);

/* Blocks held, the uncompressed length, the memory held. */
uint64_t jl_xz_index_points(const jl_xz_index *ix);
uint64_t jl_xz_index_total(const jl_xz_index *ix);
uint64_t jl_xz_index_bytes(const jl_xz_index *ix);

/* NULL is fine. */
void jl_xz_index_free(jl_xz_index *ix);

#endif
