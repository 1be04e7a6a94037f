/*
 * text.h - the codec's one copy of each text helper: UTF-8 decoding,
 * validation and encoding, ASCII and hex-digit checks, JSON \u escapes
 * and JSON string escaping, and decimal digits to integers.
 *
 * Text in the codec is WTF-8: UTF-8 that may also hold encoded lone
 * surrogates (ED A0..BF xx), as Python's "surrogatepass" reads and
 * writes them.
 */
#ifndef JL_TEXT_H
#define JL_TEXT_H

#include "base.h"

/* The value of a numeric macro as a string literal, for messages:
 * JL_XSTR(JL_MAX_DIMS) is "64". */
#define JL_STR_(x) #x
#define JL_XSTR(x) JL_STR_(x)

/* ---- UTF-8 --------------------------------------------------------------- */

/* What jl_utf8_next accepts. */
#define JL_UTF8_STRICT 0u     /* well-formed UTF-8 (RFC 3629) only */
#define JL_UTF8_SURROGATES 1u /* also encoded lone surrogates: WTF-8 */
/* Any lead byte C0..FF (F8..FF as 4-byte leads) with its continuation
 * bytes, no overlong, surrogate or range check. */
#define JL_UTF8_LAX 2u

/* The sequence at p[0..n) (n > 0) as flags accept it: its length (1-4)
 * with its code point in *cp, or 0 (and *cp untouched) when the bytes are
 * not one (bad lead byte, missing continuation byte, truncated; unless
 * JL_UTF8_LAX: overlong, above U+10FFFF; unless JL_UTF8_SURROGATES: a
 * surrogate). */
unsigned jl_utf8_next(const uint8_t *p, uint64_t n, unsigned flags, uint32_t *cp);

/* 1 when p[0..n) is UTF-8 as Python's surrogatepass codec reads it
 * (WTF-8: encoded lone surrogates allowed; overlong forms, code points
 * beyond U+10FFFF and truncated sequences are not); else 0 with the offset
 * of the first bad sequence in *bad (if not NULL). */
int jl_utf8_valid(const uint8_t *p, uint64_t n, uint64_t *bad);

/* Code point cp (<= 0x10FFFF) as UTF-8 into out, surrogates as 3 bytes
 * (WTF-8, as the decoder keeps them); returns the byte count (1-4). */
unsigned jl_utf8_encode(uint32_t cp, uint8_t out[4]);
/* Appends code point cp as jl_utf8_encode writes it. */
int jl_buf_put_utf8(jl_buf *b, uint32_t cp);

/* 1 when no byte of p[0..n) is above 0x7F. */
int jl_is_ascii(const void *p, uint64_t n);

/* ---- hex digits and JSON \u escapes ------------------------------------- */

/* The value of hex digit c (either case), or -1. */
int jl_hex_digit(int c);

/* 1 with the value in *v when p[0..n) starts with 4 hex digits, else 0. */
int jl_hex4(const void *p, uint64_t n, uint32_t *v);

/* The code point of a JSON \u escape, p[0..n) being the text after "\u":
 * returns 4 (the hex digits read), 10 when a high surrogate is followed by
 * "\u" and a low surrogate (the pair read as one code point), or 0 when
 * the 4 digits are not hex. Lone surrogates are returned as they are. */
unsigned jl_json_u_escape(const void *p, uint64_t n, uint32_t *cp);

/* ---- JSON string escaping ------------------------------------------------ */

/* How jl_json_escape writes what it must escape; with no flag, " and \
 * as \" \\, controls as \u00xx, every other byte as it is. */
#define JL_JSON_SHORT 1u /* \n \r \t \b \f for those controls */
/* Non-ASCII read as WTF-8: lone surrogates as \udxxx, bytes that are not
 * UTF-8 as \ufffd (one per byte), the rest as it is. */
#define JL_JSON_WTF8 2u
#define JL_JSON_RENDER (JL_JSON_SHORT | JL_JSON_WTF8) /* the JSON of nodes */

/* Appends p[0..n) escaped for the inside of a JSON string (no quotes).
 * Returns the buffer's state (JL_OK or its failure). */
int jl_json_escape(jl_buf *b, const void *p, uint64_t n, unsigned flags);
/* Appends p[0..n) as a quoted JSON string, escaped as JL_JSON_RENDER. */
int jl_json_string(jl_buf *b, const void *p, uint64_t n);

/* ---- decimal digits ------------------------------------------------------- */

/* d[0..nd) is decimal digits only ('0'..'9', nd >= 1, leading zeros
 * allowed), the value negated when neg. The byte conversion is quadratic in
 * nd: callers bound nd (JSON: JL_JSON_MAX_INT_DIGITS; pickle text: its
 * line limit, 65536 bytes). */

/* 1 with the value in *v when it fits an int64, else 0. */
int jl_decimal_int64(const uint8_t *d, uint64_t nd, int neg, int64_t *v);

/* The bytes jl_decimal_le may use for nd digits. */
#define JL_DECIMAL_LE_CAP(nd) ((uint64_t)(nd) / 2 + 2)

/* Writes the value as little-endian two's complement into
 * out[0..JL_DECIMAL_LE_CAP(nd)), shortest form (no redundant sign byte);
 * returns its length (>= 1). */
uint64_t jl_decimal_le(const uint8_t *d, uint64_t nd, int neg, uint8_t *out);

#endif
