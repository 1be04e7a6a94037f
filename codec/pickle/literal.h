/*
 * literal.h - internal: the values of the opcodes whose argument is text
 * or a long's bytes (literal.c). Each makes a node in the run's doc from
 * the argument's p[0..n), at stream offset off, and returns 0 with *out
 * set, or fails with jl_vm_fail / the builder's error (-1).
 */
#ifndef JL_LITERAL_H
#define JL_LITERAL_H

#include "vmstate.h"

/* INT and LONG text longer than this many digits is refused: decimal to
 * binary is quadratic in the digits. CPython refuses the same ints by
 * default (sys.int_info.default_max_str_digits, 4300), so no pickle that
 * Python loads has more. */
#define JL_INT_TEXT_MAX_DIGITS 4300

typedef int (*jl_literal_fn)(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out);

/* INT: decimal text; "00" and "01" are False and True. */
int jl_lit_int(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out);
/* LONG: decimal text with an optional trailing 'L'. */
int jl_lit_long(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out);
/* LONG1, LONG4: two's complement, little-endian; past 8 bytes a big int
 * that refers to the stream. */
int jl_lit_long_le(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out);
/* FLOAT: float text. */
int jl_lit_float(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out);
/* STRING: a quoted repr with Python escapes, a Python 2 str. */
int jl_lit_string(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out);
/* UNICODE: raw-unicode-escape (bytes are code points, \uXXXX and
 * \UXXXXXXXX escapes the rest). */
int jl_lit_unicode(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out);
/* BINSTRING, SHORT_BINSTRING: the bytes as a Python 2 str (str when
 * ASCII, bytes otherwise). */
int jl_lit_py2_str(jl_vm *vm, const uint8_t *p, uint64_t n, uint64_t off, uint32_t *out);

/* The unsigned little-endian integer of n (at most 8) bytes. */
static inline uint64_t jl_le(const uint8_t *p, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

#endif
