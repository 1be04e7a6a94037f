/*
 * hashable.h - Python's rule for dict keys and set elements, on the value
 * tree: whether a node may be hashed.
 */
#ifndef JL_HASHABLE_H
#define JL_HASHABLE_H

#include "value.h"

/* How deep into nested tuples / frozensets the writer side looks. */
#define JL_HASHABLE_DEPTH 64

/* 1 when node id may be a dict key / set element in Python (None, bool,
 * int, float, complex, str, bytes, numpy scalars, globals, objects, and
 * tuples / frozensets of those); 0 for list, dict, set, bytearray,
 * ndarray. Bounded by `depth` levels of nested tuples (deeper: 1, Python
 * decides). */
int jl_value_hashable(const jl_doc *doc, uint32_t id, unsigned depth);

#endif
