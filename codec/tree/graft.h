/*
 * graft.h - copying the subtree at a node of one doc into another doc.
 *
 * Used when a bundle nests inside a value being written (a bundle BLOB
 * passed to joblib_dumps, joblib_list, an aggregate ...): the value it
 * holds is grafted into the doc being built, losing nothing. Sharing and
 * cycles are kept (a node reached twice in the source is one node in the
 * destination), and so are dtypes (shared dtype records stay shared),
 * arrays (dims, order, class, data bytes, object items), objects
 * (class, args, kwargs, state, list/dict items) and globals.
 *
 * Byte references (str, bytes, big ints, array data, names) are either
 * copied into the destination's heap, or, when the source doc outlives
 * the destination (`borrow`), the source's blocks are added to the
 * destination as borrowed blocks and nothing is copied.
 *
 * The copy is iterative: a worklist, no recursion over nodes (dtypes
 * recurse, bounded by JL_DTYPE_MAX_DEPTH).
 */
#ifndef JL_GRAFT_H
#define JL_GRAFT_H

#include "value.h"

/* One grafting session from `src` into `dst`: several roots grafted
 * through the same session share what they share in the source. */
typedef struct jl_grafter {
    jl_doc *dst;          /* not owned */
    const jl_doc *src;    /* not owned; must stay unchanged during the session */
    int borrow;           /* 1: src's blocks outlive dst, refer to them */
    /* node map src id -> dst id: open addressing, key JL_NONE = empty; owned (dst->alloc) */
    uint32_t *keys, *vals;
    uint64_t cap, len;
    uint32_t *dtypes;     /* src dtype id -> dst dtype id (JL_NONE = not yet); owned */
    uint32_t *blocks;     /* borrow mode: src block -> dst block (JL_NONE = not yet); owned */
    uint32_t *work;       /* src nodes created but not filled yet; owned */
    uint64_t nwork, cap_work;
    uint32_t *scratch;    /* child ids being appended; owned */
    uint64_t cap_scratch;
} jl_grafter;

/* Starts a session; allocates nothing yet. */
void jl_graft_init(jl_grafter *g, jl_doc *dst, const jl_doc *src, int borrow);
/* Grafts node `id` of src: *out is its copy in dst. On error the nodes
 * made so far stay in dst, unreferenced. */
int jl_graft_node(jl_grafter *g, uint32_t id, uint32_t *out, jl_error *err);
/* Frees the session's tables (not the docs). */
void jl_graft_free(jl_grafter *g);

/* A one-root session. */
int jl_graft(jl_doc *dst, const jl_doc *src, uint32_t id, int borrow, uint32_t *out, jl_error *err);

#endif
