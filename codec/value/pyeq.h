/*
 * pyeq.h - Python's equality of dict keys on the value tree, and the merge
 * a Python dict display does with keys that are equal: what the writers
 * (JSON input, joblib_dict, joblib_group_dict) apply before a dict is
 * written, so that joblib.load returns the entries we show.
 */
#ifndef JL_PYEQ_H
#define JL_PYEQ_H

#include "value.h"

/* 1 when Python's == holds between keys a and b (and their hashes agree):
 * 1 == 1.0 == True == complex(1, 0), -0.0 == 0, an int beyond 64 bits
 * and the float of the same integer; str and bytes by their bytes (never
 * each other); tuples element by element; frozensets as sets. NaN equals
 * nothing; numpy scalars, objects and globals equal only themselves (the
 * same node). Nested deeper than JL_PYEQ_DEPTH: only the same node. */
int jl_py_key_eq(const jl_doc *doc, uint32_t a, uint32_t b);

#define JL_PYEQ_DEPTH 64

/* kv[0..2n) holds key, value pairs in order, as a dict display lists
 * them: merges the pairs whose keys are equal as Python's dict does, the
 * first key kept in its place with the last value, and returns the
 * number of pairs left in *out_pairs (kv compacted in place). JL_E_NOMEM
 * on allocation failure. */
int jl_py_dict_merge(const jl_doc *doc, uint32_t *kv, uint64_t n, uint64_t *out_pairs, jl_error *err);

#endif
