/*
 * path.h - paths that select a node: "$", "[N]", "[#-N]", "[literal]",
 * ".name", ."any text"", ".__args__", ".__state__" (README "Paths, types and values"),
 * and the path steps that joblib_tree writes into fullkey. The text of a
 * [literal] key step comes from keytext.h; the JSON renderer (render.h)
 * writes its refs with these steps.
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
 * "[literal]" otherwise (int, float, bool, None, numpy scalar, tuple of
 * those: jl_key_literal, keytext.h). */
int jl_path_step_key(const jl_doc *doc, uint32_t key, jl_buf *b);
/* Appends "[i]". */
int jl_path_step_index(jl_buf *b, uint64_t i);

/* ---- additions (path/render/walk helper) --------------------------------
 * A dict key with no JSON literal (bytes, complex, frozenset, object,
 * global, NaN, a tuple holding one of those) has no [literal] step:
 * jl_path_step_key then appends nothing and returns JL_E_ARG, and the
 * entry is addressed by position with [#-K] (K-th entry from the end),
 * which jl_path_resolve accepts on dicts and on objects' state dicts. */

/* Appends the step selecting entry `pair` (0-based) of dict node `dict`:
 * the key step when the key has one, else "[#-K]". */
int jl_path_step_entry(const jl_doc *doc, uint32_t dict, uint64_t pair, jl_buf *b);

/* Children of an object node, in the order joblib_tree and the JSON
 * rendering show them. A slot names one child. */
#define JL_SLOT_ARGS 0   /* .__args__ (shown when non-empty) */
#define JL_SLOT_KWARGS 1 /* .__kwargs__ (NEWOBJ_EX keyword arguments, when non-empty) */
#define JL_SLOT_STATE 2  /* .__state__ (a state that is not a dict) */
#define JL_SLOT_ITEMS 3  /* .__items__ (APPENDed list items, else SETITEM dict items) */
#define JL_SLOT_CLASS 4  /* .__class__ (never listed as a child; the JSON "__class__") */
#define JL_SLOT_ENTRY 8  /* + i: entry i of the state dict */

/* Next child of object node `obj`: *cursor starts at 0. Returns 1 with
 * *child and *slot set, or 0 at the end. */
int jl_object_next_child(const jl_doc *doc, uint32_t obj, uint64_t *cursor, uint32_t *child,
                         uint64_t *slot);
/* Appends the step selecting child `slot` of object node `obj`: ".__args__",
 * ".name" / ."text" / "[literal]" / "[#-K]" for state dict entries (state
 * keys that collide with the reserved names above are written quoted). */
int jl_path_step_object(const jl_doc *doc, uint32_t obj, uint64_t slot, jl_buf *b);

/* The end of the step that starts at path[i] (its '.' or '['): the index
 * just past it, at most n. */
size_t jl_path_step_end(const char *path, size_t n, size_t i);

/* Length of the parent path of a well-formed path: the path without its
 * last step ("$.a[2]" -> 3, i.e. "$.a"); 1 for "$". */
size_t jl_path_parent_len(const char *path, size_t n);

#endif
