/*
 * render.h - text renderings of nodes: JSON (SQL_API.md "JSON rendering")
 * and decimal text of big ints.
 */
#ifndef JL_RENDER_H
#define JL_RENDER_H

#include "value.h"

/* Appends node `id` as JSON: lists/tuples/sets as arrays, dicts as objects
 * (non-str keys as their JSON text), ndarrays nested by shape (object
 * arrays by their items; numbers by dtype; datetime64 as ISO text; bytes
 * and S as base64...), NaN/inf as null, bytes as base64, objects as
 * {"__class__": "module.Name", state entries..., "__args__", "__state__"},
 * globals as "module.Name". Cycles and depth beyond max_depth are errors;
 * a shared node is rendered again at each occurrence. */
int jl_render_json(const jl_doc *doc, uint32_t id, jl_buf *b, jl_error *err);

/* Appends the decimal digits of an int node (small or JL_F_BIG). */
int jl_render_int(const jl_doc *doc, uint32_t id, jl_buf *b);

/* Appends "module.Name" of a global node. */
int jl_render_global(const jl_doc *doc, uint32_t id, jl_buf *b);

/* Appends the class name of a node for the `class` column: objects
 * (their class global), globals (themselves), scalars/ndarrays (numpy
 * dtype class for scalars, e.g. "numpy.float64"; the array subclass for
 * ndarray subclasses such as "numpy.matrix"). Returns 0 when there is none
 * (nothing appended). */
int jl_render_class(const jl_doc *doc, uint32_t id, jl_buf *b);

/* ---- additions (path/render/walk helper) ------------------------------ */

/* Appends a double as Python's repr writes it (shortest round-trip digits,
 * "1.0" for integral values, "1e+16" from 1e16 on); NaN and infinities as
 * null. */
int jl_render_double(jl_buf *b, double v);

#endif
