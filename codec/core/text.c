/*
 * text.c - the codec's text helpers (see text.h): the UTF-8 decoder,
 * validator and encoder, hex digits and JSON \u escapes, the JSON string
 * escaper, and decimal digits to int64 or two's complement bytes.
 */
#include "text.h"

#include <string.h>

/* ---- UTF-8 --------------------------------------------------------------- */

unsigned jl_utf8_next(const uint8_t *p, uint64_t n, unsigned flags, uint32_t *cp) {
    static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
    uint8_t c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    unsigned len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len == 0 || len > n) return 0;
    if (c >= 0xF8 && !(flags & JL_UTF8_LAX)) return 0;
    uint32_t v = c & (0x7Fu >> len);
    for (unsigned k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[k] & 0x3F);
    }
    if (!(flags & JL_UTF8_LAX)) {
        if (v < min[len] || v > 0x10FFFF) return 0;
        if (!(flags & JL_UTF8_SURROGATES) && v >= 0xD800 && v <= 0xDFFF) return 0;
    }
    *cp = v;
    return len;
}

int jl_utf8_valid(const uint8_t *p, uint64_t n, uint64_t *bad) {
    uint64_t i = 0;
    while (i < n) {
        if (i + 8 <= n) { /* eight ASCII bytes at a time */
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        unsigned l = jl_utf8_next(p + i, n - i, JL_UTF8_SURROGATES, &cp);
        if (!l) {
            if (bad) *bad = i;
            return 0;
        }
        i += l;
    }
    return 1;
}

unsigned jl_utf8_encode(uint32_t cp, uint8_t out[4]) {
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 63));
        out[2] = (uint8_t)(0x80 | (cp & 63));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 63));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 63));
    out[3] = (uint8_t)(0x80 | (cp & 63));
    return 4;
}

int jl_buf_put_utf8(jl_buf *b, uint32_t cp) {
    uint8_t u[4];
    return jl_buf_append(b, u, jl_utf8_encode(cp, u));
}

int jl_is_ascii(const void *p, uint64_t n) {
    const uint8_t *s = p;
    for (uint64_t i = 0; i < n; i++)
        if (s[i] >= 0x80) return 0;
    return 1;
}

/* ---- hex digits and JSON \u escapes ------------------------------------- */

int jl_hex_digit(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int jl_hex4(const void *p, uint64_t n, uint32_t *v) {
    const uint8_t *s = p;
    if (n < 4) return 0;
    uint32_t x = 0;
    for (unsigned i = 0; i < 4; i++) {
        int d = jl_hex_digit(s[i]);
        if (d < 0) return 0;
        x = (x << 4) | (uint32_t)d;
    }
    *v = x;
    return 1;
}

unsigned jl_json_u_escape(const void *p, uint64_t n, uint32_t *cp) {
    const uint8_t *s = p;
    uint32_t hi, lo;
    if (!jl_hex4(s, n, &hi)) return 0;
    *cp = hi;
    if (hi >= 0xD800 && hi <= 0xDBFF && n >= 10 && s[4] == '\\' && s[5] == 'u' && jl_hex4(s + 6, n - 6, &lo) &&
        lo >= 0xDC00 && lo <= 0xDFFF) {
        *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        return 10;
    }
    return 4;
}

/* ---- JSON string escaping ------------------------------------------------ */

/* 1 when byte c goes out as it is. */
static inline int json_plain(uint8_t c, unsigned flags) {
    if (c < 0x20 || c == '"' || c == '\\') return 0;
    return c < 0x80 || !(flags & JL_JSON_WTF8);
}

/* \n \r \t \b \f for those controls (JL_JSON_SHORT), else NULL. */
static const char *json_short(uint8_t c) {
    switch (c) {
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case '\f': return "\\f";
    default: return NULL;
    }
}

int jl_json_escape(jl_buf *b, const void *text, uint64_t n, unsigned flags) {
    const uint8_t *p = text;
    uint64_t i = 0, start = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (json_plain(c, flags)) {
            i++;
            continue;
        }
        if (i > start) jl_buf_append(b, p + start, i - start);
        const char *sh;
        if (c == '"' || c == '\\') {
            char e[2] = { '\\', (char)c };
            jl_buf_append(b, e, 2);
            i++;
        } else if (c < 0x20) {
            if ((flags & JL_JSON_SHORT) && (sh = json_short(c))) jl_buf_append(b, sh, 2);
            else jl_buf_printf(b, "\\u%04x", c);
            i++;
        } else { /* non-ASCII under JL_JSON_WTF8 */
            uint32_t cp;
            unsigned len = jl_utf8_next(p + i, n - i, JL_UTF8_SURROGATES, &cp);
            if (len == 0) {
                jl_buf_append(b, "\\ufffd", 6);
                i++;
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                jl_buf_printf(b, "\\u%04x", (unsigned)cp);
                i += len;
            } else {
                jl_buf_append(b, p + i, len);
                i += len;
            }
        }
        start = i;
    }
    if (i > start) jl_buf_append(b, p + start, i - start);
    return b->failed;
}

int jl_json_string(jl_buf *b, const void *p, uint64_t n) {
    jl_buf_putc(b, '"');
    jl_json_escape(b, p, n, JL_JSON_RENDER);
    return jl_buf_putc(b, '"');
}

/* ---- decimal digits ------------------------------------------------------- */

int jl_decimal_int64(const uint8_t *d, uint64_t nd, int neg, int64_t *v) {
    /* accumulate the negative value (one more on that side) */
    int64_t x = 0;
    for (uint64_t k = 0; k < nd; k++) {
        int dgt = d[k] - '0';
        if (x < (INT64_MIN + dgt) / 10) return 0;
        x = x * 10 - dgt;
    }
    if (!neg) {
        if (x == INT64_MIN) return 0;
        x = -x;
    }
    *v = x;
    return 1;
}

uint64_t jl_decimal_le(const uint8_t *d, uint64_t nd, int neg, uint8_t *out) {
    /* |value| < 10^nd < 2^(4 nd): 4 nd bits, plus a sign byte */
    memset(out, 0, (size_t)JL_DECIMAL_LE_CAP(nd));
    uint64_t used = 0;
    for (uint64_t k = 0; k < nd; k++) { /* out = out * 10 + digit */
        unsigned carry = (unsigned)(d[k] - '0');
        for (uint64_t q = 0; q < used; q++) {
            unsigned t = out[q] * 10u + carry;
            out[q] = (uint8_t)t;
            carry = t >> 8;
        }
        if (carry) out[used++] = (uint8_t)carry;
    }
    used++; /* room for the sign bit */
    if (neg) {
        unsigned c = 1;
        for (uint64_t k = 0; k < used; k++) {
            unsigned t = (uint8_t)~out[k] + c;
            out[k] = (uint8_t)t;
            c = t >> 8;
        }
    }
    /* trim redundant sign bytes */
    while (used > 1 && ((out[used - 1] == 0 && !(out[used - 2] & 0x80)) ||
                        (out[used - 1] == 0xFF && (out[used - 2] & 0x80))))
        used--;
    return used;
}
