/*
 * walk.h - iterating a subtree the way json_each / json_tree do: children
 * of a node, or the whole subtree depth-first, parents before children,
 * each compound node expanded once (later occurrences are refs), arrays
 * of numbers as leaves (tree) or rows (each over an array).
 *
 * Children of each kind:
 *   list/tuple/set/frozenset: [i] elements
 *   dict: entries, key step from jl_path_step_key
 *   object: .__args__ (when args are non-empty), .__kwargs__ (NEWOBJ_EX
 *           keyword arguments, when non-empty), then the state dict's
 *           entries (str keys as .name) or .__state__ when the state is
 *           not a dict, then .__items__ for APPEND/SETITEM-filled objects
 *   ndarray: rows [i] (each); in a tree only object arrays have children:
 *           elements [i] of a 1-D one, rows [i] of an N-D one (views of
 *           ndim-1, themselves object arrays) whose elements are [i][j]...
 */
#ifndef JL_WALK_H
#define JL_WALK_H

#include "value.h"

typedef struct jl_walk_row {
    uint64_t id;       /* row number in walk order, root = 0 */
    uint64_t parent;   /* row number of the parent row, UINT64_MAX for the root */
    uint32_t node;     /* node id */
    uint32_t key;      /* key node for dict entries, else JL_NONE */
    int64_t index;     /* list index / array row for indexed children, else -1 */
    /* the strings are NULL until jl_walk_strings fills them */
    const char *step;  /* the path step from parent ("[3]", ".name"), "" for root */
    const char *fullkey; /* full path of this node ("$..." ) NUL-terminated */
    const char *path;    /* full path of the parent ("$" for the root's children) */
    int is_ref;        /* 1 when the node was already expanded (type "ref") */
    const char *ref_fullkey; /* for refs: fullkey of the first occurrence */
    const char *attr;  /* object children: attribute name ("__args__", state key), else NULL */
    uint64_t depth;    /* 0 for the walk's root, 1 for its children, ... */
    int view;          /* 1 for a row of an N-D array: a view node the walk made, not
                        * an array of the bundle */
} jl_walk_row;

typedef struct jl_walk jl_walk;

/* Starts a walk at node `root` whose own path is `root_path` ("$" or the
 * path the user gave). mode 0 = each (children only), 1 = tree. */
int jl_walk_start(jl_doc *doc, uint32_t root, const char *root_path, int tree, jl_walk **out,
                  jl_error *err);
/* Next row: returns 1 and fills *row (valid until the next call), 0 at
 * the end, or a negative value with err set. */
int jl_walk_next(jl_walk *w, jl_walk_row *row, jl_error *err);
/* Fills step, fullkey, path (and ref_fullkey for refs) of the row the last
 * jl_walk_next returned; valid until the next call of either. Costs only
 * the steps that changed since the last row whose strings were asked for. */
int jl_walk_strings(jl_walk *w, jl_walk_row *row, jl_error *err);
/* Each mode only: narrows the walk to the one child at position `pos` of
 * its root (list index, dict entry, array row), with the id, type and
 * ref target it has in the full walk (id pos + 1). May be called again
 * after that row, with increasing positions, for the next child. Returns 1
 * when applied (a pos out of range leaves no rows), 0 when the root's
 * children are not positional (objects, tree mode, a leaf root): the walk
 * is unchanged then. */
int jl_walk_seek(jl_walk *w, uint64_t pos);
/* Each mode only: the number of positional children of the walk's root
 * (see jl_walk_seek), or -1 when they are not positional. */
int64_t jl_walk_positional(const jl_walk *w);
void jl_walk_free(jl_walk *w);

#endif
