/*
 * pynames.h - the names Python 3 gives to what a pickle names (pynames.c):
 * the Python 2 module and class names that pickle's Unpickler maps when
 * it loads a protocol 0-2 stream (Lib/_compat_pickle.py: IMPORT_MAPPING,
 * NAME_MAPPING), and the name of a class that cloudpickle builds inside
 * the pickle (_make_skeleton_class). For display only: the nodes keep the
 * names as written.
 */
#ifndef JL_PYNAMES_H
#define JL_PYNAMES_H

#include "value.h"

/* The Python 3 module (and name, or NULL for the name as written) under
 * which Python loads global `g` of `doc`: 1 with *module and *name set
 * when the name is mapped, 0 when it is kept (protocol 3 and later are
 * never mapped, as in Python). */
int jl_py3_name(const jl_doc *doc, const jl_global *g, const char **module, const char **name);

/* When node `cls` is a class cloudpickle builds in the pickle (an object
 * made by _make_skeleton_class(type_constructor, name, bases, type_kwargs,
 * class_tracker_id, extra)): 1 with *name its name and *module the
 * '__module__' of its type_kwargs or class dict (len 0 when none). */
int jl_skeleton_class(const jl_doc *doc, uint32_t cls, jl_ref *module, jl_ref *name);

/* Whether global node `fn` is one of cloudpickle's class builders:
 * _make_skeleton_class (which = 0) or _class_setstate (which = 1). */
int jl_is_cloudpickle_fn(const jl_doc *doc, uint32_t fn, int which);

#endif
