/*
 * keytext.h - the literal text of a dict key as paths write it in a
 * "[literal]" step (README "Paths, types and values"): None, bools, ints and big ints,
 * floats (1e999 for inf), str as a JSON string, tuples as [a,b], numpy
 * scalars as their JSON value. Other keys (bytes, complex, frozenset,
 * object, global, NaN, NaT, structured scalars, ints of more than 64 KiB,
 * a str holding a surrogate pair as two code points,
 * a tuple holding one of those or nested deeper than 32) have none: path.c
 * then addresses their entry by position. Keys cannot hold cycles except through objects, and
 * objects have no literal, so no refs are written here.
 */
#ifndef JL_KEYTEXT_H
#define JL_KEYTEXT_H

#include "value.h"

/* Appends the literal of key node `key`; JL_E_ARG when it has none (then
 * part of it may have been appended: the caller cuts b back). */
int jl_key_literal(const jl_doc *doc, uint32_t key, jl_buf *b);
/* Appends str key node k as a JSON string; JL_E_ARG, nothing appended, for
 * a non-ASCII Python 2 str (bytes of unknown encoding), and for a str whose
 * JSON string a reader decodes as another str (a surrogate pair written as
 * two code points; bytes that are not WTF-8). */
int jl_key_str_literal(const jl_doc *doc, const jl_node *k, jl_buf *b);

#endif
