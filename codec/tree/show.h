/*
 * show.h - a subtree as indented text for people (joblib_show): one line
 * per node with its key, type, class, dtype, shape and a short preview of
 * its value, box-drawing branches, long containers elided, a depth limit.
 *
 *   $: list len=2
 *   ├── [0]: tuple len=2
 *   │   ├── [0]: str = 'a'
 *   │   └── [1]: list len=3
 *   │       ├── [0]: int = 1
 *   │       ├── [1]: int = 2
 *   │       └── [2]: int = 3
 *   └── [1]: tuple len=2
 *       ├── [0]: str = 'b'
 *       └── [1]: ndarray <i8 (10,) = [0, 1, 2, …, 7, 8, 9]
 *
 * A line is `KEY: TYPE[ CLASS][ DTYPE SHAPE][ len=N][ = PREVIEW]`:
 *   KEY      the root's path, then each child's path step ("[0]", ".coef_",
 *            '["a b"]', ".__args__"): a line's fullkey is the root path
 *            followed by the keys on its branch
 *   TYPE     the `type` word of joblib_tree (README "Paths, types and values")
 *   CLASS    module.Name of objects, globals, numpy scalars and ndarray
 *            subclasses (not for plain numpy.ndarray)
 *   DTYPE    arrays and scalars: numpy descr in native byte order, as the
 *            `dtype` column of joblib_tree; SHAPE as a Python tuple
 *   len=N    children of lists, tuples, sets, frozensets and dicts
 *   PREVIEW  atoms as Python writes them (None is not shown, True, 1.5,
 *            nan, (1+2j), 'text', b'bytes'), strings cut after max_chars
 *            characters with their full length; arrays as their first and
 *            last edge_items elements in C order, flattened
 *   refs     `KEY: ref → FULLKEY` naming the line where that node was
 *            expanded (each compound node is expanded once)
 *
 * A list, tuple, set or frozenset with more than max_children + 1
 * elements shows its first max_children - 1, a line "… N more", and its
 * last; dicts and objects the same with max_entries (the named parts of a
 * model are worth seeing in full more often than a list's elements). Nodes deeper than
 * `depth` levels below the root are not shown. Lines end with "\n" except
 * the last. Output is proportional to what is shown, not to the size of
 * the subtree: elided children and nodes below the depth limit are never
 * visited.
 */
#ifndef JL_SHOW_H
#define JL_SHOW_H

#include "value.h"

#define JL_SHOW_ALL UINT64_MAX /* depth: no limit */

typedef struct jl_show_opts {
    uint64_t depth;        /* levels shown below the root; JL_SHOW_ALL = all (still bounded by max_depth) */
    uint32_t max_children; /* elements listed per list/tuple/set/frozenset before eliding (>= 2) */
    uint32_t max_entries;  /* entries listed per dict/object before eliding (>= 2) */
    uint32_t edge_items;   /* array elements previewed at each end (>= 1) */
    uint32_t max_chars;    /* characters of a str/bytes preview (>= 1) */
} jl_show_opts;

/* depth JL_SHOW_ALL, max_children 10, max_entries 50, edge_items 3, max_chars 40. */
void jl_show_opts_default(jl_show_opts *o);

/* Appends the text of the subtree at node `root`, whose own path is
 * `root_path` ("$" or the path the user gave), to b. o may be NULL for the
 * defaults. May append nodes, arrays and dtypes to the doc while it runs
 * (previews, native dtypes); they are dropped again before it returns.
 * Errors: JL_E_NOMEM / JL_E_LIMIT (b->max reached, or deeper than
 * doc->limits.max_depth), with a message. */
int jl_show(jl_doc *doc, uint32_t root, const char *root_path, const jl_show_opts *o, jl_buf *b,
            jl_error *err);

#endif
