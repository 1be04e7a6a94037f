/*
 * arena.c - a growable run of bytes in a shared block or from the
 * caller's allocator (arena.h).
 */
#include "arena.h"

#include <string.h>

#include "shared.h"

/* Small arenas (an index of a few points) stay on the heap; from this
 * size on they move into a shared block, whose huge pages save the faults. */
#define ARENA_FIRST ((uint64_t)64 << 10)
#define ARENA_SHARED_FROM ((uint64_t)2 << 20)

int jl_arena_reserve(jl_arena *ar, const jl_alloc *a, uint64_t need) {
    if (ar->cap - ar->len >= need) return JL_OK;
    uint64_t cap = ar->cap ? ar->cap * 2 : ARENA_FIRST, got = 0;
    while (cap - ar->len < need) {
        if (cap > UINT64_MAX / 2) return JL_E_NOMEM;
        cap *= 2;
    }
    if (ar->shared) {
        uint8_t *q = jl_shared_resize(ar->p, cap, &got);
        if (!q) return JL_E_NOMEM;
        ar->p = q;
        ar->cap = got;
        return JL_OK;
    }
    if (cap >= ARENA_SHARED_FROM) {
        uint8_t *q = jl_shared_new(cap, &got);
        if (q) { /* the heap run moves in */
            if (ar->len) memcpy(q, ar->p, (size_t)ar->len);
            jl_free(a, ar->p);
            ar->p = q;
            ar->cap = got;
            ar->shared = 1;
            return JL_OK;
        }
    }
    uint8_t *q = cap > SIZE_MAX ? NULL : jl_realloc(a, ar->p, (size_t)cap);
    if (!q) return JL_E_NOMEM;
    ar->p = q;
    ar->cap = cap;
    return JL_OK;
}

int jl_arena_append(jl_arena *ar, const jl_alloc *a, const void *p, uint64_t n, uint64_t *at) {
    *at = ar->len;
    if (n == 0) return JL_OK;
    int rc = jl_arena_reserve(ar, a, n);
    if (rc) return rc;
    memcpy(ar->p + ar->len, p, (size_t)n);
    ar->len += n;
    return JL_OK;
}

void jl_arena_free(jl_arena *ar, const jl_alloc *a) {
    if (ar->shared) jl_shared_unref(ar->p);
    else jl_free(a, ar->p);
    *ar = (jl_arena){ 0 };
}
