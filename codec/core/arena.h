/*
 * arena.h - a growable run of bytes for an index's saved windows or
 * decoder states, one after another (lz4_index.c, inflate_build.c): the
 * caller's allocator while it is small (a few points), then, from 2 MiB,
 * a shared block (shared.h) when one can be had, so that its pages come
 * as huge pages (a fresh 4 KiB page costs a fault each, ~16 us in a VM).
 * It may move as it grows: keep offsets.
 */
#ifndef JL_ARENA_H
#define JL_ARENA_H

#include "base.h"

typedef struct jl_arena {
    uint8_t *p;        /* owned: jl_shared_unref if shared, else jl_free(a) */
    uint64_t len, cap; /* bytes used; held */
    int shared;
} jl_arena;

/* Room for `need` more bytes (cap doubles from 64 KiB). JL_OK, or
 * JL_E_NOMEM with the arena untouched (the caller says what failed). */
int jl_arena_reserve(jl_arena *ar, const jl_alloc *a, uint64_t need);

/* Appends n bytes (reserving room first); *at = their offset. */
int jl_arena_append(jl_arena *ar, const jl_alloc *a, const void *p, uint64_t n, uint64_t *at);

void jl_arena_free(jl_arena *ar, const jl_alloc *a);

#endif
