/*
 * framepath.h - paths into pandas frames by column label: after a path
 * that selects a DataFrame or Series, the step `.label` or `."label"`
 * selects that column as a list of its cells (the names of the joblib
 * table: index columns by their names too, `a:1` for a repeated label),
 * and `.__index__` the index: a list of its values, or of tuples for a
 * MultiIndex. Later steps go on from there: `$.amount[3]` is one cell.
 *
 * The raw view of the pickle comes first: a path that selects something
 * without these rules (`$._mgr`, `$._typ`, `$.attrs`, any path into the
 * object's parts) keeps selecting it, so a label equal to one of the
 * frame object's attribute names is reached only through the raw view.
 *
 * Cells are the values the table gives, as nodes: None for missing cells
 * (NaN, NaT, NA, masked, code -1), ints, floats, bools, the str or bytes
 * of object columns as they are, datetimes as ISO-8601 str (UTC with "Z"
 * when tz-aware), timedeltas as ints, categories as their values.
 */
#ifndef JL_FRAMEPATH_H
#define JL_FRAMEPATH_H

#include "value.h"

/* Resolves path (n bytes, starting with '$') from `root` as
 * jl_path_resolve does, then by the frame rules above when that selects
 * nothing. Appends nodes for the column it selects (scratch nodes: the
 * caller rolls the doc back). Errors: jl_path_resolve's (JL_E_PATH), a
 * frame that cannot be read as a table (its message), JL_E_NOMEM. */
int jl_frame_path_resolve(jl_doc *doc, uint32_t root, const char *path, size_t n, uint32_t *out, jl_error *err);

/* A dict node of frame `frame`'s columns, index columns first: the name
 * each has in the joblib table -> the list of its cells (what `.name`
 * selects). joblib_each lists it for a frame. Scratch nodes, as above. */
int jl_frame_columns(jl_doc *doc, uint32_t frame, const char *at, size_t atn, uint32_t *out, jl_error *err);

#endif
