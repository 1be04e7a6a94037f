/*
 * atomtext.c - the text of atoms (see atomtext.h): JSON string escaping
 * of WTF-8 text, base64, decimal digits of ints and big ints, Python repr
 * of floats. Apart from render.c so that paths (path.c, keytext.c) write
 * key literals without the JSON renderer, which itself writes paths.
 */
#include "atomtext.h"

#include "half.h"
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Big ints longer than this many bytes (about 158,000 digits) are not
 * turned into decimal: the conversion is quadratic. */
#define JL_RENDER_INT_MAX_BYTES 65536u

/* ---- strings ----------------------------------------------------------- */

int jl_render_base64(jl_buf *b, const uint8_t *p, uint64_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4096];
    size_t o = 0;
    uint64_t i = 0;
    jl_buf_putc(b, '"');
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
        if (o == sizeof out) {
            jl_buf_append(b, out, o);
            o = 0;
        }
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8);
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = '=';
    }
    jl_buf_append(b, out, o);
    return jl_buf_putc(b, '"');
}

/* ---- numbers ----------------------------------------------------------- */

int jl_render_u64(jl_buf *b, uint64_t u, int neg) {
    char tmp[24];
    unsigned n = sizeof tmp;
    do tmp[--n] = (char)('0' + u % 10);
    while (u /= 10);
    if (neg) tmp[--n] = '-';
    return jl_buf_append(b, tmp + n, sizeof tmp - n);
}

int jl_render_i64(jl_buf *b, int64_t v) {
    return v < 0 ? jl_render_u64(b, 0 - (uint64_t)v, 1) : jl_render_u64(b, (uint64_t)v, 0);
}

/* Shortest digits of finite v >= 0 at the precision of `width` (2, 4 or
 * 8 bytes) that read back to the same value: digits (no dot, no trailing
 * zeros) into d, decimal exponent of the first digit in *e. */
static unsigned shortest_digits(double v, int width, char d[24], int *e) {
    /* The correctly rounded P-digit text is the shortest one padded with
     * zeros once P reaches the type's guaranteed precision (15, 6, 3
     * digits), so trying from there up finds it; subnormals have fewer
     * digits of precision and are tried from 1 digit. */
    int lo = width == 2 ? 3 : width == 4 ? 6 : 15, hi = width == 2 ? 5 : width == 4 ? 9 : 17;
    double smallest_normal = width == 2 ? 6.103515625e-05 : width == 4 ? 1.17549435082228750797e-38 : 2.2250738585072014e-308;
    if (v < smallest_normal) lo = 1;
    char s[40];
    for (int prec = lo; prec <= hi; prec++) {
        snprintf(s, sizeof s, "%.*e", prec - 1, v);
        double r = strtod(s, NULL);
        int ok = width == 2 ? jl_half_from_double(r) == jl_half_from_double(v)
                 : width == 4 ? (float)r == (float)v
                              : r == v;
        if (ok) break;
    }
    /* s = D[.DDDD]e[+-]XX */
    unsigned n = 0;
    const char *q = s;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9' && n < 23) d[n++] = *q;
    *e = *q == 'e' ? atoi(q + 1) : 0;
    while (n > 1 && d[n - 1] == '0') n--;
    d[n] = 0;
    return n;
}

/* Fast path for doubles with few decimals (prices, halves, counts): the
 * smallest k such that m = round(a * 10^k) < 2^53 gives back a as m / 10^k.
 * Both m and 10^k are exact doubles and IEEE division rounds correctly, so
 * that is exactly how strtod reads the decimal m * 10^-k; the smallest k
 * gives the fewest digits and the rounded m the closest of them. Returns 0
 * when it does not apply. */
static unsigned fast_digits(double a, char d[24], int *e) {
    static const double p10[] = { 1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
                                  1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17 };
    if (!(a >= 1e-4 && a < 1e15)) return 0;
    for (int k = 0; k < 18; k++) {
        double s = a * p10[k];
        if (s >= 9007199254740992.0) return 0;
        double m = nearbyint(s);
        if (m / p10[k] != a) continue;
        char tmp[24];
        unsigned n = 0;
        for (uint64_t u = (uint64_t)m; u; u /= 10) tmp[n++] = (char)('0' + u % 10);
        for (unsigned j = 0; j < n; j++) d[j] = tmp[n - 1 - j];
        *e = (int)n - 1 - k;
        while (n > 1 && d[n - 1] == '0') n--;
        d[n] = 0;
        return n;
    }
    return 0;
}

/* Lays out digits as Python's repr does: positional for 1e-4 <= |v| <
 * 1e16, else d.ddde+XX. */
int jl_render_float(jl_buf *b, double v, int width) {
    if (!isfinite(v)) return jl_buf_append(b, "null", 4);
    char d[24], out[64];
    size_t o = 0;
    int e;
    if (signbit(v)) out[o++] = '-';
    unsigned n = width == 8 ? fast_digits(fabs(v), d, &e) : 0;
    if (!n) n = shortest_digits(fabs(v), width, d, &e);
    if (e >= -4 && e < 16) {
        if (e >= 0) {
            for (int k = 0; k <= e; k++) out[o++] = (unsigned)k < n ? d[k] : '0';
            out[o++] = '.';
            if ((unsigned)e + 1 < n)
                for (unsigned k = (unsigned)e + 1; k < n; k++) out[o++] = d[k];
            else out[o++] = '0';
        } else {
            out[o++] = '0';
            out[o++] = '.';
            for (int k = 0; k < -e - 1; k++) out[o++] = '0';
            for (unsigned k = 0; k < n; k++) out[o++] = d[k];
        }
        return jl_buf_append(b, out, o);
    }
    out[o++] = d[0];
    if (n > 1) {
        out[o++] = '.';
        for (unsigned k = 1; k < n; k++) out[o++] = d[k];
    }
    o += (size_t)snprintf(out + o, sizeof out - o, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    return jl_buf_append(b, out, o);
}

int jl_render_double(jl_buf *b, double v) { return jl_render_float(b, v, 8); }

int jl_render_int(const jl_doc *doc, uint32_t id, jl_buf *b) {
    const jl_node *nd = &doc->nodes[id];
    if (nd->kind == JL_BOOL) return jl_buf_puts(b, nd->u.i ? "1" : "0");
    if (!(nd->flags & JL_F_BIG)) return jl_render_i64(b, nd->u.i);
    uint64_t n = nd->len;
    const uint8_t *p = doc->blocks[nd->block].p + nd->u.off;
    if (n == 0) return jl_buf_putc(b, '0');
    if (n > JL_RENDER_INT_MAX_BYTES) return JL_E_LIMIT;
    /* little-endian 32-bit limbs of the magnitude */
    uint64_t m = (n + 3) / 4;
    int neg = (p[n - 1] & 0x80) != 0;
    uint32_t *limb = jl_malloc(b->alloc, (size_t)m * sizeof *limb);
    /* decimal chunks of 9 digits, least significant first: 8n bits < 2.41n+1 digits */
    uint64_t maxchunks = (n * 241 / 100 + 2) / 9 + 2;
    uint32_t *chunk = jl_malloc(b->alloc, (size_t)maxchunks * sizeof *chunk);
    if (!limb || !chunk) {
        jl_free(b->alloc, limb);
        jl_free(b->alloc, chunk);
        b->failed = JL_E_NOMEM;
        return JL_E_NOMEM;
    }
    for (uint64_t k = 0; k < m; k++) {
        uint32_t v = 0;
        for (unsigned j = 0; j < 4; j++) {
            uint64_t at = k * 4 + j;
            uint8_t byte = at < n ? p[at] : (neg ? 0xFF : 0);
            v |= (uint32_t)byte << (8 * j);
        }
        limb[k] = v;
    }
    if (neg) { /* two's complement negation */
        uint64_t carry = 1;
        for (uint64_t k = 0; k < m; k++) {
            uint64_t v = (uint64_t)(uint32_t)~limb[k] + carry;
            limb[k] = (uint32_t)v;
            carry = v >> 32;
        }
    }
    uint64_t top = m, nch = 0;
    while (top > 0 && limb[top - 1] == 0) top--;
    while (top > 0 && nch < maxchunks) {
        uint64_t rem = 0;
        for (uint64_t k = top; k-- > 0;) {
            uint64_t cur = (rem << 32) | limb[k];
            limb[k] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        chunk[nch++] = (uint32_t)rem;
        while (top > 0 && limb[top - 1] == 0) top--;
    }
    if (neg) jl_buf_putc(b, '-');
    if (nch == 0) jl_buf_putc(b, '0');
    else {
        jl_buf_printf(b, "%u", chunk[nch - 1]);
        for (uint64_t k = nch - 1; k-- > 0;) jl_buf_printf(b, "%09u", chunk[k]);
    }
    jl_free(b->alloc, limb);
    jl_free(b->alloc, chunk);
    return b->failed;
}
