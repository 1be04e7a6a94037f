/*
 * jsonin.h - JSON text into value-tree nodes (RFC 8259, strict), the way
 * Python's json.loads reads it: objects -> dict (str keys, in order, a
 * repeated key kept as written: Python keeps the last value), arrays ->
 * list, integers -> int (big ints beyond int64 as JL_F_BIG bytes),
 * numbers with a fraction or exponent -> float, true/false -> bool,
 * null -> None, strings -> str (UTF-8; \u escapes of lone surrogates
 * kept as WTF-8, as Python keeps them).
 *
 * The parser is iterative: nesting is bounded by doc->limits.max_depth
 * (and JL_JSON_MAX_DEPTH), never by the C stack.
 */
#ifndef JL_JSONIN_H
#define JL_JSONIN_H

#include "value.h"

/* Deepest nesting of arrays/objects accepted (the writer recurses on the
 * C stack, so deeper input could not be written anyway). */
#ifndef JL_JSON_MAX_DEPTH
#define JL_JSON_MAX_DEPTH 5000
#endif

/* Most digits in an integer literal (Python's default int/str limit). */
#ifndef JL_JSON_MAX_INT_DIGITS
#define JL_JSON_MAX_INT_DIGITS 4300
#endif

/* Parses the JSON text p[0..n) (one value, surrounded by optional
 * whitespace) into new nodes of doc; *out receives the root. Errors:
 * JL_E_FORMAT with the byte offset in the text and what was expected,
 * JL_E_LIMIT (depth, node count, digits), JL_E_NOMEM. On error the nodes
 * made so far stay in the doc, unreferenced. */
int jl_json_parse(jl_doc *doc, const char *p, size_t n, uint32_t *out, jl_error *err);

#endif
