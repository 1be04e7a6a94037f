/*
 * inflate_index_zlib.h - internal: the zlib engine of inflate_index
 * (inflate_index_zlib.c): checkpoints at deflate block boundaries, reads
 * from them with a raw inflater.
 */
#ifndef JL_INFLATE_INDEX_ZLIB_H
#define JL_INFLATE_INDEX_ZLIB_H

#include "inflate_build.h"

/* Builds from the member starting at input `start`, the first `skip`
 * bytes of its output already put (the ISA-L engine hands a cut member
 * over: zlib's prefix of a cut stream is the one Python's reader gives);
 * checkpoints only when `points`. */
int jl_ix_build_zlib(jl_ix_build *b, uint64_t start, uint64_t skip, int points, jl_error *err);

/* Reads [off, off+len) from zlib point pt (NULL: the stream's start). */
int jl_ix_read_zlib(const jl_inflate_index *ix, const uint8_t *in, uint64_t n, const jl_ix_point *pt,
                    uint64_t off, uint8_t *dst, uint64_t len, jl_error *err);

#endif
