/*
 * inflate_index_isal.h - internal: the ISA-L engine of inflate_index
 * (inflate_index_isal.c; HAVE_ISAL builds only): checkpoints that are
 * copies of ISA-L's decoder state, reads that restore them.
 */
#ifndef JL_INFLATE_INDEX_ISAL_H
#define JL_INFLATE_INDEX_ISAL_H

#include "inflate_build.h"

#ifdef HAVE_ISAL
/* The whole structure pass (the builder's output, checkpoints). */
int jl_ix_build_isal(jl_ix_build *b, jl_error *err);

/* Reads [off, off+len) from ISA-L point pt (NULL: the stream's start). */
int jl_ix_read_isal(const jl_inflate_index *ix, const uint8_t *in, uint64_t n, const jl_ix_point *pt,
                    uint64_t off, uint8_t *dst, uint64_t len, jl_error *err);
#endif

#endif
