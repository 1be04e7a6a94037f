/*
 * render.h - text renderings of nodes: JSON (README "Paths, types and values")
 * and class names. The text of numbers and bytes (jl_render_int,
 * jl_render_double, ...) is in atomtext.h, JSON strings in core/text.h
 * (jl_json_string), numpy data in arraytext.h.
 */
#ifndef JL_RENDER_H
#define JL_RENDER_H

#include "value.h"

/* Appends node `id` as JSON: lists/tuples/sets as arrays, dicts as objects
 * (non-str keys as their JSON text), ndarrays nested by shape (object
 * arrays by their items; numbers by dtype; datetime64 as ISO text; bytes
 * and S as base64...), NaN/inf as null, bytes as base64, objects as
 * {"__class__": "module.Name", state entries..., "__args__", "__state__"},
 * globals as "module.Name". A node inside itself is written
 * {"__ref__": "$..."}, the path (path.h) of its enclosing occurrence from
 * the rendered value; depth beyond max_depth is an error; a shared node is
 * rendered again at each occurrence. */
int jl_render_json(const jl_doc *doc, uint32_t id, jl_buf *b, jl_error *err);

/* Appends "module.Name" of a global node. */
int jl_render_global(const jl_doc *doc, uint32_t id, jl_buf *b);

/* Appends the class name of a node for the `class` column: objects
 * (their class global), globals (themselves), scalars/ndarrays (numpy
 * dtype class for scalars, e.g. "numpy.float64"; the array subclass for
 * ndarray subclasses such as "numpy.matrix"). Returns 0 when there is none
 * (nothing appended). */
int jl_render_class(const jl_doc *doc, uint32_t id, jl_buf *b);

#endif
