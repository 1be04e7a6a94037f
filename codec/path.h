/*
 * path.h - paths that select a node: "$", "[N]", "[#-N]", "[literal]",
 * ".name", ."any text"", ".__args__", ".__state__" (SQL_API.md "Paths"),
 * and the path steps that joblib_tree writes into fullkey.
 */
#ifndef JL_PATH_H
#define JL_PATH_H

#include "value.h"

/* Resolves path (n bytes, must start with '$') from node `root`.
 * *out is the node, or JL_NONE when the path is well-formed but selects
 * nothing. A malformed path is JL_E_PATH naming the column where it
 * fails. May append view nodes (array rows) to the doc. */
int jl_path_resolve(jl_doc *doc, uint32_t root, const char *path, size_t n, uint32_t *out,
                    jl_error *err);

/* Appends the step that selects a dict entry with key node `key`:
 * ".name" for identifier-like str keys, ."text" for other str keys,
 * "[literal]" otherwise (int, float, bool, None, bytes?, tuple of those). */
int jl_path_step_key(const jl_doc *doc, uint32_t key, jl_buf *b);
/* Appends "[i]". */
int jl_path_step_index(jl_buf *b, uint64_t i);

#endif
