/*
 * dtype.h - the numpy dtype model: dtypes from pickled numpy.dtype objects
 * (REDUCE args + BUILD state, numpy 1.x and 2.x, Python 2 and 3), from
 * descr strings ("<f8", "|S5", "<U10", "<M8[ns]", "f8", "int64") and from
 * .npy header descrs (a string or a list of (name, descr[, shape])
 * tuples); descr strings back out; byte-order conversion.
 *
 * Dtypes live in doc->dtypes (jl_dtype, value.h); fields in doc->fields.
 */
#ifndef JL_DTYPE_H
#define JL_DTYPE_H

#include "value.h"

/* Deepest nesting of structured fields / subarrays accepted (numpy has no
 * real limit; real dtypes nest a few levels). Recursion over a dtype is
 * bounded by this. */
#define JL_DTYPE_MAX_DEPTH 32
/* Largest itemsize accepted (numpy's own limit: a C int). */
#define JL_DTYPE_MAX_ITEMSIZE ((uint64_t)INT32_MAX)

/* From a pickled numpy.dtype: `args` is the REDUCE argument tuple node
 * (typestr or class, align, copy) and `state` the BUILD state tuple node
 * (or JL_NONE). Handles every state version 0-4, int flags (py2), py2
 * byte strings for byte order and unit, `_codecs.encode`-decoded units.
 * Field dtypes are nested numpy.dtype object nodes whose jl_object.dtype
 * is already set (the decoder parses inner dtypes at their BUILD). */
int jl_dtype_from_pickle(jl_doc *doc, uint32_t args, uint32_t state, uint32_t *out, jl_error *err);

/* From a descr string: "<f8", ">i4", "|b1", "?", "b1", "S5", "|S5", "<U3",
 * "V8", "<M8[ns]", "m8[5s]", "|O", "O8", "f8" (native '<' on this
 * little-endian build), and numpy names ("float64", "int32", "uint8",
 * "bool", "complex128", "object", "str"?). Errors say which string. */
int jl_dtype_parse(jl_doc *doc, const char *s, size_t n, uint32_t *out, jl_error *err);

/* From a JSON descr: a string as above, or a list of [name, descr] /
 * [name, descr, shape] entries (shape a list of ints), nested for
 * structured fields. */
int jl_dtype_parse_json(jl_doc *doc, const char *json, size_t n, uint32_t *out, jl_error *err);
/* Either of the two: JSON when is_json, or when the text starts (after
 * white space) with '[' or '"'; a descr string otherwise. */
int jl_dtype_parse_text(jl_doc *doc, const char *s, size_t n, int is_json, uint32_t *out, jl_error *err);

/* Appends the numpy descr to b: "<f8", "|S5", "<U10", "<M8[ns]", "|O";
 * structured dtypes as a JSON list [["x","<i4"],["y",">f8",[2]]] like
 * numpy's dtype.descr (padding entries ["","|V4"] included). */
int jl_dtype_descr(const jl_doc *doc, uint32_t dt, jl_buf *b);
/* The same into out[0..cap) for messages: cut to cap - 1 bytes, "?" when
 * it cannot be made. */
void jl_dtype_descr_text(const jl_doc *doc, uint32_t dt, char *out, size_t cap);

/* Same dtype with every byte order made native (little-endian);
 * returns dt itself when already native. May append dtypes. */
int jl_dtype_native(jl_doc *doc, uint32_t dt, uint32_t *out, jl_error *err);
/* 1 when some part of dt is big-endian (a conversion is needed). */
int jl_dtype_needs_swap(const jl_doc *doc, uint32_t dt);
/* Converts `count` elements of dt at data (itemsize bytes each) to native
 * byte order in place, field by field. */
void jl_dtype_swap(const jl_doc *doc, uint32_t dt, uint8_t *data, uint64_t count);

/* The numpy 1.x scalar class of dt for the `class` column: "numpy.float64",
 * "numpy.int32", "numpy.bool_", "numpy.str_", "numpy.bytes_", "numpy.void"
 * (structured and subarray too), "numpy.datetime64", "numpy.timedelta64",
 * "numpy.complex128", "numpy.float16", "numpy.longdouble" (f12/f16),
 * "numpy.clongdouble" (c24/c32), "numpy.object_". Copied into buf when buf
 * is not NULL (truncated to cap) and buf returned; else a static string. */
const char *jl_dtype_scalar_class(const jl_doc *doc, uint32_t dt, char *buf, size_t cap);

/* Appends numpy's dtype.name of dt to b: "float32", "int64", "bool",
 * "complex128", "datetime64[ns]" (with its multiplier: "datetime64[10ms]"),
 * "timedelta64[s]", "bytes80" / "str160" / "void64" (bits) for S, U, V and
 * structured or subarray dtypes. The byte order is not part of it. */
int jl_dtype_name(const jl_doc *doc, uint32_t dt, jl_buf *b);

/* The size in bytes of shape dims[0..ndim) of dt: checked product. Returns
 * JL_E_LIMIT/JL_E_FORMAT on overflow or a negative dim (dims are signed
 * in the pickle; callers pass them as int64). */
int jl_shape_nbytes(const int64_t *dims, unsigned ndim, uint64_t itemsize, uint64_t *count,
                    uint64_t *nbytes, jl_error *err);

#endif
