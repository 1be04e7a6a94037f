/*
 * hashable.c - Python's hashability of a node (hashable.h).
 */
#include "hashable.h"

int jl_value_hashable(const jl_doc *doc, uint32_t id, unsigned depth) {
    if (id == JL_NONE || id >= doc->nnodes) return 0;
    const jl_node *n = &doc->nodes[id];
    switch (n->kind) {
    case JL_LIST: case JL_DICT: case JL_SET: case JL_BYTEARRAY: case JL_NDARRAY:
        return 0;
    case JL_TUPLE: case JL_FROZENSET: {
        if (depth == 0) return 1; /* deeper than we look: let Python decide */
        const uint32_t *k = jl_kids_of(doc, id);
        for (uint32_t i = 0; i < n->len; i++)
            if (k[i] != id && !jl_value_hashable(doc, k[i], depth - 1)) return 0;
        return 1;
    }
    default:
        return 1;
    }
}
