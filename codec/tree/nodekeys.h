/*
 * nodekeys.h - node id -> the path where a walk first met it: the
 * first-occurrence table of joblib_tree (walk.c) and joblib_show (show.c),
 * whose later meetings of the same node print that path as a reference.
 * Open addressing on the node id; the paths live NUL-terminated in one
 * growing buffer.
 */
#ifndef JL_NODEKEYS_H
#define JL_NODEKEYS_H

#include "base.h"

typedef struct jl_nodekey {
    uint32_t node; /* JL_NONE (UINT32_MAX) = empty slot */
    uint64_t at;   /* offset of its path in names */
} jl_nodekey;

typedef struct jl_nodekeys {
    const jl_alloc *alloc;
    jl_nodekey *tab; /* owned; capacity a power of two */
    uint64_t cap, count;
    jl_buf names;
} jl_nodekeys;

/* JL_OK or JL_E_NOMEM (then jl_nodekeys_free is still safe). */
int jl_nodekeys_init(jl_nodekeys *m, const jl_alloc *a);
/* The path recorded for node, or NULL. Valid until the next put. */
const char *jl_nodekeys_get(const jl_nodekeys *m, uint32_t node);
/* Records node's path [key, key + n) (node not yet recorded): JL_OK or JL_E_NOMEM. */
int jl_nodekeys_put(jl_nodekeys *m, uint32_t node, const char *key, uint64_t n);
void jl_nodekeys_free(jl_nodekeys *m);

#endif
