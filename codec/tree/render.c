/*
 * render.c - text renderings of nodes (see render.h): the JSON text of any
 * node (SQL_API.md "JSON rendering"), decimal digits of big ints, Python
 * repr of floats, class names (JSON strings: jl_json_string, text.h).
 *
 * The JSON renderer is iterative: an explicit stack of frames, one per open
 * container, so a 100,000-deep list costs memory, not C stack. Depth is
 * bounded by doc->limits.max_depth (0 = no bound); a node met again while
 * it is still open is a cycle, rendered as {"__ref__": "$..."} (the path of
 * the enclosing occurrence from the rendered value); a node shared
 * elsewhere is simply rendered again.
 *
 * Array data comes from jl_array_native_bytes (C order, native byte
 * order), so elements are read without regard to the stored byte order.
 */
#include "render.h"

#include "dtype.h"
#include "ndarray.h"
#include "path.h"
#include "slots.h"
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Big ints longer than this many bytes (about 158,000 digits) are not
 * turned into decimal: the conversion is quadratic. */
#define JL_RENDER_INT_MAX_BYTES 65536u
/* Nesting of dtypes inside one element (structured / subarray) and of
 * non-str dict keys rendered as JSON text inside keys. */
#define JL_RENDER_MAX_DTYPE_LEVEL 32u
#define JL_RENDER_MAX_KEY_LEVEL 8u
/* Below this depth, cycles are found by scanning the stack; deeper, by a
 * bitmap over node ids made on demand. */
#define JL_RENDER_SCAN_DEPTH 64u

/* ---- strings ----------------------------------------------------------- */

static int put_base64(jl_buf *b, const uint8_t *p, uint64_t n) {
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

/* Appends code point cp as WTF-8 (surrogates as 3 bytes); beyond U+10FFFF, U+FFFD. */
static void put_utf8(jl_buf *b, uint32_t cp) { jl_buf_put_utf8(b, cp > 0x10FFFF ? 0xFFFD : cp); }

/* ---- numbers ----------------------------------------------------------- */

static int put_u64(jl_buf *b, uint64_t u, int neg) {
    char tmp[24];
    unsigned n = sizeof tmp;
    do tmp[--n] = (char)('0' + u % 10);
    while (u /= 10);
    if (neg) tmp[--n] = '-';
    return jl_buf_append(b, tmp + n, sizeof tmp - n);
}

static int put_i64(jl_buf *b, int64_t v) {
    return v < 0 ? put_u64(b, 0 - (uint64_t)v, 1) : put_u64(b, (uint64_t)v, 0);
}

static double half_to_double(uint16_t h) {
    int e = (h >> 10) & 31;
    double m = h & 1023;
    double v;
    if (e == 0) v = ldexp(m, -24);
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

/* Nearest half (ties to even) of a finite double, as bits. */
static uint16_t double_to_half(double v) {
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    v = fabs(v);
    if (v >= 65520.0) return sign | 0x7C00; /* rounds to infinity */
    int e;
    frexp(v, &e); /* v = f * 2^e, f in [0.5, 1) */
    int q = e - 11 < -24 ? -24 : e - 11; /* quantum exponent: 11 significant bits, subnormals at 2^-24 */
    double m = nearbyint(ldexp(v, -q));  /* default rounding mode: ties to even */
    /* m * 2^q with m < 2^11 (or == 2^11 after rounding up) */
    if (q == -24 && m < 1024) return sign | (uint16_t)m;
    if (m >= 2048) { m /= 2; q++; }
    int be = q + 25; /* biased exponent of m * 2^q = (1.x) * 2^(q+10) */
    if (be >= 31) return sign | 0x7C00;
    return sign | (uint16_t)(be << 10) | (uint16_t)((uint32_t)m & 1023);
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
        int ok = width == 2 ? double_to_half(r) == double_to_half(v)
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
static int put_float_text(jl_buf *b, double v, int width) {
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

int jl_render_double(jl_buf *b, double v) { return put_float_text(b, v, 8); }

int jl_render_int(const jl_doc *doc, uint32_t id, jl_buf *b) {
    const jl_node *nd = &doc->nodes[id];
    if (nd->kind == JL_BOOL) return jl_buf_puts(b, nd->u.i ? "1" : "0");
    if (!(nd->flags & JL_F_BIG)) return put_i64(b, nd->u.i);
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

/* ---- names -------------------------------------------------------------- */

int jl_render_global(const jl_doc *doc, uint32_t id, jl_buf *b) {
    const jl_global *g = jl_global_of(doc, id);
    jl_buf_append(b, jl_ref_ptr(doc, g->module), g->module.len);
    jl_buf_putc(b, '.');
    return jl_buf_append(b, jl_ref_ptr(doc, g->name), g->name.len);
}

static int valid_node(const jl_doc *doc, uint32_t id) { return id < doc->nnodes; }

int jl_render_class(const jl_doc *doc, uint32_t id, jl_buf *b) {
    if (!valid_node(doc, id)) return 0;
    const jl_node *nd = &doc->nodes[id];
    switch (nd->kind) {
    case JL_GLOBAL: jl_render_global(doc, id, b); return 1;
    case JL_OBJECT: {
        uint32_t cls = jl_object_of(doc, id)->cls;
        if (!valid_node(doc, cls) || doc->nodes[cls].kind != JL_GLOBAL) return 0;
        jl_render_global(doc, cls, b);
        return 1;
    }
    case JL_SCALAR: {
        const jl_array *a = jl_array_of(doc, id);
        if (a->dtype >= doc->ndtypes) return 0;
        char buf[128];
        const char *s = jl_dtype_scalar_class(doc, a->dtype, buf, sizeof buf);
        if (!s) return 0;
        jl_buf_puts(b, s);
        return 1;
    }
    case JL_NDARRAY: {
        uint32_t cls = jl_array_of(doc, id)->cls;
        if (!valid_node(doc, cls) || doc->nodes[cls].kind != JL_GLOBAL) return 0;
        if (jl_ref_eq(doc, jl_global_of(doc, cls)->name, "ndarray")) return 0;
        jl_render_global(doc, cls, b);
        return 1;
    }
    default: return 0;
    }
}

/* ---- datetime64 ---------------------------------------------------------- */

enum { U_YEAR, U_MONTH, U_DAY, U_HOUR, U_MIN, U_SEC };

/* numpy datetime units: how a count converts and how much is shown. */
static const struct {
    const char *name;
    uint8_t base;     /* U_* the count is converted to */
    int64_t mult;     /* base units per unit */
    uint8_t show;     /* last field shown */
    uint8_t frac;     /* digits of fraction of a second */
} dt_units[] = {
    { "Y", U_YEAR, 1, U_YEAR, 0 },   { "M", U_MONTH, 1, U_MONTH, 0 },
    { "W", U_DAY, 7, U_DAY, 0 },     { "D", U_DAY, 1, U_DAY, 0 },
    { "h", U_SEC, 3600, U_HOUR, 0 }, { "m", U_SEC, 60, U_MIN, 0 },
    { "s", U_SEC, 1, U_SEC, 0 },     { "ms", U_SEC, 1, U_SEC, 3 },
    { "us", U_SEC, 1, U_SEC, 6 },    { "ns", U_SEC, 1, U_SEC, 9 },
    { "ps", U_SEC, 1, U_SEC, 12 },   { "fs", U_SEC, 1, U_SEC, 15 },
    { "as", U_SEC, 1, U_SEC, 18 },
};

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* Proleptic Gregorian date of a day count from 1970-01-01. */
static void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d) {
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                     /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Appends a datetime64 value as numpy prints it ("2020-01-02T03:04:05"),
 * null for NaT, the bare count for units it cannot place on a calendar. */
static int put_datetime(jl_buf *b, int64_t v, const jl_dtype *dt) {
    if (v == INT64_MIN) return jl_buf_puts(b, "null");
    unsigned u = 0, nu = sizeof dt_units / sizeof dt_units[0];
    while (u < nu && strcmp(dt_units[u].name, dt->unit) != 0) u++;
    int64_t num = dt->unit_num ? (int64_t)dt->unit_num : 1, count;
    if (u == nu || __builtin_mul_overflow(v, num, &count) ||
        __builtin_mul_overflow(count, dt_units[u].mult, &count))
        return jl_buf_printf(b, "%lld", (long long)v);
    char s[96];
    int64_t year, days = 0, sod = 0, frac = 0;
    unsigned month = 1, day = 1;
    switch (dt_units[u].base) {
    case U_YEAR:
        if (__builtin_add_overflow(count, 1970, &year)) return jl_buf_printf(b, "%lld", (long long)v);
        snprintf(s, sizeof s, "\"%04lld\"", (long long)year);
        return jl_buf_puts(b, s);
    case U_MONTH:
        year = 1970 + floor_div(count, 12);
        snprintf(s, sizeof s, "\"%04lld-%02u\"", (long long)year, (unsigned)(count - floor_div(count, 12) * 12 + 1));
        return jl_buf_puts(b, s);
    case U_DAY: days = count; break;
    default: {
        int64_t secs = count;
        if (dt_units[u].frac) {
            int64_t per = 1;
            for (unsigned k = 0; k < dt_units[u].frac; k++) per *= 10;
            secs = floor_div(count, per);
            frac = count - secs * per;
        }
        days = floor_div(secs, 86400);
        sod = secs - days * 86400;
    }
    }
    if (days > INT64_MAX - 719468 - 146097) return jl_buf_printf(b, "%lld", (long long)v);
    civil_from_days(days, &year, &month, &day);
    int o = snprintf(s, sizeof s, "\"%04lld-%02u-%02u", (long long)year, month, day);
    uint8_t show = dt_units[u].show;
    if (show >= U_HOUR) o += snprintf(s + o, sizeof s - (size_t)o, "T%02u", (unsigned)(sod / 3600));
    if (show >= U_MIN) o += snprintf(s + o, sizeof s - (size_t)o, ":%02u", (unsigned)(sod / 60 % 60));
    if (show >= U_SEC) o += snprintf(s + o, sizeof s - (size_t)o, ":%02u", (unsigned)(sod % 60));
    if (dt_units[u].frac)
        o += snprintf(s + o, sizeof s - (size_t)o, ".%0*lld", (int)dt_units[u].frac, (long long)frac);
    snprintf(s + o, sizeof s - (size_t)o, "\"");
    return jl_buf_puts(b, s);
}

/* ---- the renderer ---------------------------------------------------------- */

enum { F_SEQ, F_DICT, F_OBJ, F_OARR };

typedef struct rframe {
    uint32_t node;
    uint8_t type;  /* F_* */
    uint8_t flag;  /* F_OBJ: __class__ written; F_OARR: items shown flat (count != shape) */
    uint32_t last; /* F_OBJ: slot of the child being rendered */
    uint64_t i;    /* next child (F_OBJ: jl_object_next_child cursor) */
} rframe;

typedef struct rctx {
    const jl_doc *doc;
    jl_buf *b;
    jl_error *err;
    rframe *st; /* owned (b->alloc) */
    uint64_t n, cap;
    uint8_t *mark; /* owned: bit per node id "open on the stack", made when deep */
    unsigned key_level;
    jl_buf tmp; /* owned: scratch for keys and unicode elements */
} rctx;

static int render_node(const jl_doc *doc, uint32_t id, jl_buf *b, jl_error *err, unsigned key_level);

static int nomem(rctx *c) {
    if (c->b->failed == JL_E_LIMIT)
        return jl_fail(c->err, JL_E_LIMIT, JL_NO_OFFSET, "JSON text longer than the buffer limit (%llu bytes)",
                       (unsigned long long)c->b->max);
    return jl_fail(c->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory rendering JSON");
}

/* Writes the path of the child being rendered at the top of the stack. */
static void frame_path_upto(rctx *c, jl_buf *p, uint64_t upto) {
    const jl_doc *doc = c->doc;
    jl_buf_putc(p, '$');
    for (uint64_t j = 0; j < upto && !p->failed; j++) {
        const rframe *f = &c->st[j];
        switch (f->type) {
        case F_SEQ: jl_path_step_index(p, f->i - 1); break;
        case F_DICT: jl_path_step_entry(doc, f->node, f->i - 1, p); break;
        case F_OBJ: jl_path_step_object(doc, f->node, f->last, p); break;
        case F_OARR: {
            const jl_array *a = jl_array_of(doc, f->node);
            uint64_t k = f->i - 1, idx[256];
            unsigned nd = f->flag ? 1 : a->ndim;
            if (f->flag) idx[0] = k;
            else
                for (unsigned d = nd; d-- > 0;) {
                    uint64_t dim = doc->dims[a->dims_at + d];
                    idx[d] = dim ? k % dim : 0;
                    k = dim ? k / dim : 0;
                }
            for (unsigned d = 0; d < nd; d++) jl_path_step_index(p, idx[d]);
            break;
        }
        }
    }
}

static int on_stack(rctx *c, uint32_t id) {
    if (c->mark) return (c->mark[id >> 3] >> (id & 7)) & 1;
    if (c->n < JL_RENDER_SCAN_DEPTH) {
        for (uint64_t j = 0; j < c->n; j++)
            if (c->st[j].node == id) return 1;
        return 0;
    }
    c->mark = jl_malloc(c->b->alloc, (size_t)((c->doc->nnodes + 7) / 8));
    if (!c->mark) return -1;
    memset(c->mark, 0, (size_t)((c->doc->nnodes + 7) / 8));
    for (uint64_t j = 0; j < c->n; j++) c->mark[c->st[j].node >> 3] |= (uint8_t)(1u << (c->st[j].node & 7));
    return (c->mark[id >> 3] >> (id & 7)) & 1;
}

#define CYCLE_RENDERED (-2) /* push() wrote a back-reference instead of opening a frame */

static int push(rctx *c, uint32_t id, uint8_t type) {
    uint64_t max = c->doc->limits.max_depth;
    if (max && c->n >= max)
        return jl_fail(c->err, JL_E_LIMIT, JL_NO_OFFSET,
                       "JSON nesting deeper than max_depth (%llu)", (unsigned long long)max);
    int on = on_stack(c, id);
    if (on < 0) return jl_fail(c->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory rendering JSON");
    if (on) {
        /* a value inside itself: render the back-reference as
         * {"__ref__": path of the enclosing occurrence, relative to the
         * rendered value}, the way joblib_tree shows it as a ref row */
        uint64_t j = 0;
        while (j < c->n && c->st[j].node != id) j++;
        jl_buf_puts(c->b, "{\"" JL_SLOT_NAME_REF "\":\"");
        frame_path_upto(c, c->b, j);
        jl_buf_puts(c->b, "\"}");
        return CYCLE_RENDERED;
    }
    if (c->n == c->cap && jl_grow(c->b->alloc, (void **)&c->st, &c->cap, c->n + 1, sizeof(rframe), 0))
        return jl_fail(c->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory rendering JSON");
    rframe *f = &c->st[c->n++];
    f->node = id;
    f->type = type;
    f->flag = 0;
    f->last = 0;
    f->i = 0;
    if (c->mark) c->mark[id >> 3] |= (uint8_t)(1u << (id & 7));
    return JL_OK;
}

static void pop(rctx *c) {
    uint32_t id = c->st[--c->n].node;
    if (c->mark) c->mark[id >> 3] &= (uint8_t)~(1u << (id & 7));
}

/* Brackets between flat elements k-1 and k of a block of shape dims[0..nd). */
static void block_sep(jl_buf *b, const uint64_t *dims, unsigned nd, uint64_t k) {
    unsigned closes = 0;
    for (unsigned j = nd; j-- > 1;) {
        if (dims[j] == 0 || k % dims[j] != 0) break;
        k /= dims[j];
        closes++;
    }
    for (unsigned j = 0; j < closes; j++) jl_buf_putc(b, ']');
    jl_buf_putc(b, ',');
    for (unsigned j = 0; j < closes; j++) jl_buf_putc(b, '[');
}

static void brackets(jl_buf *b, char ch, unsigned n) {
    for (unsigned j = 0; j < n; j++) jl_buf_putc(b, ch);
}

/* Shape with no elements: nested empty lists up to the first zero dim.
 * The dims before the zero are bounded here: a shape such as
 * (2**40, 2**40, 0) holds no data but would print forever. */
static int empty_block(rctx *c, const uint64_t *dims, unsigned nd) {
    jl_buf *b = c->b;
    unsigned z = 0;
    while (z < nd && dims[z] != 0) z++;
    uint64_t m = 1, bytes;
    for (unsigned j = 0; j < z; j++)
        if (jl_mul_overflow(m, dims[j], &m)) m = UINT64_MAX;
    if (jl_mul_overflow(m, 3, &bytes) || bytes > c->doc->limits.max_alloc)
        return jl_fail(c->err, JL_E_LIMIT, JL_NO_OFFSET,
                       "an empty array's shape would print more than max_alloc (%llu) bytes",
                       (unsigned long long)c->doc->limits.max_alloc);
    brackets(b, '[', z);
    for (uint64_t k = 0; k < m && !b->failed; k++) {
        if (k) block_sep(b, dims, z, k);
        jl_buf_append(b, "[]", 2);
    }
    brackets(b, ']', z);
    return b->failed;
}

static int render_elem(rctx *c, uint32_t dt, const uint8_t *p, unsigned level);

/* count elements of dtype dt at p, nested by dims[0..nd). */
static int render_block(rctx *c, uint32_t dt, const uint64_t *dims, unsigned nd, const uint8_t *p,
                        uint64_t count, unsigned level) {
    jl_buf *b = c->b;
    if (count == 0) return empty_block(c, dims, nd);
    uint64_t esize = c->doc->dtypes[dt].itemsize;
    brackets(b, '[', nd);
    for (uint64_t k = 0; k < count; k++) {
        if (k) block_sep(b, dims, nd, k);
        int rc = render_elem(c, dt, p + k * esize, level);
        if (rc) return rc;
        if (b->failed) return b->failed;
    }
    brackets(b, ']', nd);
    return b->failed;
}

static void put_unicode(rctx *c, const uint8_t *p, uint64_t itemsize) {
    uint64_t n = itemsize / 4;
    uint32_t cp;
    while (n > 0) {
        memcpy(&cp, p + (n - 1) * 4, 4);
        if (cp) break;
        n--;
    }
    c->tmp.len = 0;
    for (uint64_t k = 0; k < n; k++) {
        memcpy(&cp, p + k * 4, 4);
        put_utf8(&c->tmp, cp);
    }
    if (c->tmp.failed) {
        c->b->failed = c->tmp.failed;
        return;
    }
    jl_json_string(c->b, c->tmp.p ? (const uint8_t *)c->tmp.p : (const uint8_t *)"", c->tmp.len);
}

static void put_long_double(jl_buf *b, const uint8_t *p, uint64_t size) {
    if (size == sizeof(long double)) {
        long double v;
        memcpy(&v, p, sizeof v);
        put_float_text(b, (double)v, 8);
    } else jl_buf_puts(b, "null");
}

/* One element of dtype dt (native byte order) at p. */
static int render_elem(rctx *c, uint32_t dt, const uint8_t *p, unsigned level) {
    const jl_doc *doc = c->doc;
    jl_buf *b = c->b;
    if (dt >= doc->ndtypes) return jl_buf_puts(b, "null");
    if (level > JL_RENDER_MAX_DTYPE_LEVEL)
        return jl_fail(c->err, JL_E_LIMIT, JL_NO_OFFSET, "dtype nested more than %u levels",
                       JL_RENDER_MAX_DTYPE_LEVEL);
    const jl_dtype *d = &doc->dtypes[dt];
    if (d->sub_ndim && d->sub_base < doc->ndtypes) {
        const uint64_t *dims = doc->dims + d->sub_dims_at;
        uint64_t count = 1, bytes;
        for (unsigned j = 0; j < d->sub_ndim; j++)
            if (jl_mul_overflow(count, dims[j], &count)) return jl_buf_puts(b, "null");
        if (jl_mul_overflow(count, doc->dtypes[d->sub_base].itemsize, &bytes) || bytes > d->itemsize)
            return jl_buf_puts(b, "null");
        return render_block(c, d->sub_base, dims, d->sub_ndim, p, count, level + 1);
    }
    if (d->nfields) {
        jl_buf_putc(b, '{');
        for (uint32_t j = 0; j < d->nfields; j++) {
            const jl_field *f = &doc->fields[d->fields_at + j];
            if (j) jl_buf_putc(b, ',');
            jl_json_string(b, jl_ref_ptr(doc, f->name), f->name.len);
            jl_buf_putc(b, ':');
            uint64_t end;
            if (f->dtype >= doc->ndtypes || jl_add_overflow(f->offset, doc->dtypes[f->dtype].itemsize, &end) ||
                end > d->itemsize) {
                jl_buf_puts(b, "null");
                continue;
            }
            int rc = render_elem(c, f->dtype, p + f->offset, level + 1);
            if (rc) return rc;
        }
        return jl_buf_putc(b, '}');
    }
    uint64_t size = d->itemsize;
    switch (d->kind) {
    case 'b': return jl_buf_puts(b, size && p[0] ? "true" : "false");
    case 'i':
    case 'u': {
        uint64_t u = 0;
        int64_t s = 0;
        switch (size) {
        case 1: { int8_t v; memcpy(&v, p, 1); s = v; u = (uint8_t)v; break; }
        case 2: { int16_t v; memcpy(&v, p, 2); s = v; u = (uint16_t)v; break; }
        case 4: { int32_t v; memcpy(&v, p, 4); s = v; u = (uint32_t)v; break; }
        case 8: { int64_t v; memcpy(&v, p, 8); s = v; u = (uint64_t)v; break; }
        default: return jl_buf_puts(b, "null");
        }
        return d->kind == 'i' ? put_i64(b, s) : put_u64(b, u, 0);
    }
    case 'f':
        if (size == 2) {
            uint16_t h;
            memcpy(&h, p, 2);
            return put_float_text(b, half_to_double(h), 2);
        }
        if (size == 4) {
            float v;
            memcpy(&v, p, 4);
            return put_float_text(b, v, 4);
        }
        if (size == 8) {
            double v;
            memcpy(&v, p, 8);
            return put_float_text(b, v, 8);
        }
        put_long_double(b, p, size);
        return b->failed;
    case 'c':
        jl_buf_putc(b, '[');
        if (size == 8) {
            float v[2];
            memcpy(v, p, 8);
            put_float_text(b, v[0], 4);
            jl_buf_putc(b, ',');
            put_float_text(b, v[1], 4);
        } else if (size == 16) {
            double v[2];
            memcpy(v, p, 16);
            put_float_text(b, v[0], 8);
            jl_buf_putc(b, ',');
            put_float_text(b, v[1], 8);
        } else {
            put_long_double(b, p, size / 2);
            jl_buf_putc(b, ',');
            put_long_double(b, p + size / 2, size / 2);
        }
        return jl_buf_putc(b, ']');
    case 'S': {
        uint64_t n = size;
        while (n > 0 && p[n - 1] == 0) n--;
        if (jl_is_ascii(p, n)) return jl_json_string(b, p, n);
        return put_base64(b, p, n);
    }
    case 'U':
        put_unicode(c, p, size);
        return b->failed;
    case 'V': return put_base64(b, p, size);
    case 'M':
    case 'm': {
        int64_t v;
        if (size != 8) return jl_buf_puts(b, "null");
        memcpy(&v, p, 8);
        if (d->kind == 'M') return put_datetime(b, v, d);
        if (v == INT64_MIN) return jl_buf_puts(b, "null");
        return jl_buf_printf(b, "%lld", (long long)v);
    }
    default: return jl_buf_puts(b, "null");
    }
}

/* A numeric (non-object) array or a scalar, rendered in one go. */
static int render_array_leaf(rctx *c, uint32_t id) {
    const jl_doc *doc = c->doc;
    const jl_array *a = jl_array_of(doc, id);
    if (a->dtype >= doc->ndtypes) return jl_buf_puts(c->b, "null");
    const uint8_t *p;
    uint64_t n, count = 1, need;
    uint8_t *owned = NULL;
    const uint64_t *dims = doc->dims + a->dims_at;
    unsigned nd = a->is_scalar ? 0 : a->ndim;
    for (unsigned j = 0; j < nd; j++)
        if (jl_mul_overflow(count, dims[j], &count))
            return jl_fail(c->err, JL_E_FORMAT, JL_NO_OFFSET, "array shape overflows");
    if (jl_mul_overflow(count, doc->dtypes[a->dtype].itemsize, &need))
        return jl_fail(c->err, JL_E_FORMAT, JL_NO_OFFSET, "array size overflows");
    int rc = jl_array_native_bytes(doc, id, &p, &n, &owned, c->err);
    if (rc) return rc;
    if (n < need) rc = jl_fail(c->err, JL_E_FORMAT, JL_NO_OFFSET,
                               "array data has %llu bytes, its shape needs %llu", (unsigned long long)n,
                               (unsigned long long)need);
    else if (nd == 0) rc = render_elem(c, a->dtype, p, 0);
    else rc = render_block(c, a->dtype, dims, nd, p, count, 0);
    jl_free(&doc->alloc, owned);
    if (!rc && c->b->failed) rc = nomem(c);
    return rc;
}

/* A dict key: str keys as themselves, others as their JSON text. */
static int render_key(rctx *c, uint32_t key) {
    const jl_doc *doc = c->doc;
    if (!valid_node(doc, key)) return jl_buf_puts(c->b, "\"null\"");
    const jl_node *k = &doc->nodes[key];
    if (k->kind == JL_STR) {
        const uint8_t *p = doc->blocks[k->block].p + k->u.off;
        if (!(k->flags & JL_F_PY2) || jl_is_ascii(p, k->len)) return jl_json_string(c->b, p, k->len);
    }
    if (k->kind == JL_INT && !(k->flags & JL_F_BIG)) {
        jl_buf_putc(c->b, '"');
        put_i64(c->b, k->u.i);
        return jl_buf_putc(c->b, '"');
    }
    if (k->kind == JL_FLOAT && !isfinite(k->u.f)) /* as Python's json.dumps writes them */
        return jl_buf_puts(c->b, isnan(k->u.f) ? "\"NaN\"" : k->u.f > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    if (c->key_level >= JL_RENDER_MAX_KEY_LEVEL)
        return jl_fail(c->err, JL_E_LIMIT, JL_NO_OFFSET, "dict keys nested in keys more than %u levels",
                       JL_RENDER_MAX_KEY_LEVEL);
    c->tmp.len = 0;
    int rc = render_node(doc, key, &c->tmp, c->err, c->key_level + 1);
    if (rc) return rc;
    if (c->tmp.len && c->tmp.p[0] == '"') return jl_buf_append(c->b, c->tmp.p, c->tmp.len);
    return jl_json_string(c->b, c->tmp.p, c->tmp.len);
}

/* Renders an atom, or opens a compound node (pushes its frame). */
static int visit(rctx *c, uint32_t id) {
    const jl_doc *doc = c->doc;
    jl_buf *b = c->b;
    if (!valid_node(doc, id)) return jl_buf_puts(b, "null");
    const jl_node *nd = &doc->nodes[id];
    const uint8_t *p = nd->kind >= JL_COMPLEX && nd->kind <= JL_BYTEARRAY /* byte-carrying kinds */
                           ? doc->blocks[nd->block].p + nd->u.off
                           : NULL;
    int rc;
    switch (nd->kind) {
    case JL_NULL: return jl_buf_puts(b, "null");
    case JL_BOOL: return jl_buf_puts(b, nd->u.i ? "true" : "false");
    case JL_INT:
        rc = jl_render_int(doc, id, b);
        if (rc == JL_E_LIMIT && !b->failed)
            return jl_fail(c->err, JL_E_LIMIT, JL_NO_OFFSET, "an int of %u bytes is too long to write in decimal",
                           nd->len);
        return rc;
    case JL_FLOAT: return put_float_text(b, nd->u.f, 8);
    case JL_COMPLEX: {
        double v[2];
        if (nd->len != 16) return jl_buf_puts(b, "null");
        memcpy(v, p, 16);
        jl_buf_putc(b, '[');
        put_float_text(b, v[0], 8);
        jl_buf_putc(b, ',');
        put_float_text(b, v[1], 8);
        return jl_buf_putc(b, ']');
    }
    case JL_STR:
        if ((nd->flags & JL_F_PY2) && !jl_is_ascii(p, nd->len)) return put_base64(b, p, nd->len);
        return jl_json_string(b, p, nd->len);
    case JL_BYTES:
    case JL_BYTEARRAY: return put_base64(b, p, nd->len);
    case JL_GLOBAL: {
        const jl_global *g = jl_global_of(doc, id);
        jl_buf_putc(b, '"');
        jl_json_escape(b, jl_ref_ptr(doc, g->module), g->module.len, JL_JSON_RENDER);
        jl_buf_putc(b, '.');
        jl_json_escape(b, jl_ref_ptr(doc, g->name), g->name.len, JL_JSON_RENDER);
        return jl_buf_putc(b, '"');
    }
    case JL_SCALAR: return render_array_leaf(c, id);
    case JL_NDARRAY: {
        const jl_array *a = jl_array_of(doc, id);
        int obj = a->dtype < doc->ndtypes && doc->dtypes[a->dtype].has_object;
        if (!obj && a->items == JL_NONE) return render_array_leaf(c, id);
        if (!valid_node(doc, a->items) || !jl_is_container(doc->nodes[a->items].kind))
            return jl_buf_puts(b, "null");
        uint64_t count = jl_array_count(doc, a), have = doc->nodes[a->items].len;
        const uint64_t *dims = doc->dims + a->dims_at;
        if (count == have && count == 0) return empty_block(c, dims, a->ndim);
        if ((rc = push(c, id, F_OARR))) return rc == CYCLE_RENDERED ? b->failed : rc;
        rframe *f = &c->st[c->n - 1];
        f->flag = count != have;
        brackets(b, '[', f->flag ? 1 : a->ndim);
        return b->failed;
    }
    case JL_LIST:
    case JL_TUPLE:
    case JL_SET:
    case JL_FROZENSET:
        if ((rc = push(c, id, F_SEQ))) return rc == CYCLE_RENDERED ? b->failed : rc;
        return jl_buf_putc(b, '[');
    case JL_DICT:
        if ((rc = push(c, id, F_DICT))) return rc == CYCLE_RENDERED ? b->failed : rc;
        return jl_buf_putc(b, '{');
    case JL_OBJECT:
        if ((rc = push(c, id, F_OBJ))) return rc == CYCLE_RENDERED ? b->failed : rc;
        return jl_buf_putc(b, '{');
    default: return jl_buf_puts(b, "null");
    }
}

static const char *const slot_names[] = { JL_SLOT_NAME_TABLE("\"", "\":") };

/* Advances the frame at the top of the stack by one child (or closes it). */
static int step(rctx *c) {
    const jl_doc *doc = c->doc;
    jl_buf *b = c->b;
    rframe *f = &c->st[c->n - 1];
    const jl_node *nd = &doc->nodes[f->node];
    switch (f->type) {
    case F_SEQ:
        if (f->i < nd->len) {
            uint32_t child = jl_kids_of(doc, f->node)[f->i];
            if (f->i) jl_buf_putc(b, ',');
            f->i++;
            return visit(c, child);
        }
        pop(c);
        return jl_buf_putc(b, ']');
    case F_DICT:
        if (f->i < nd->len / 2) {
            const uint32_t *k = jl_kids_of(doc, f->node) + 2 * f->i;
            if (f->i) jl_buf_putc(b, ',');
            f->i++;
            int rc = render_key(c, k[0]);
            if (rc) return rc;
            jl_buf_putc(b, ':');
            return visit(c, k[1]);
        }
        pop(c);
        return jl_buf_putc(b, '}');
    case F_OBJ: {
        const jl_object *o = jl_object_of(doc, f->node);
        if (!f->flag) {
            f->flag = 1;
            f->last = JL_SLOT_CLASS;
            jl_buf_puts(b, slot_names[JL_SLOT_CLASS]);
            return visit(c, o->cls); /* a global: "module.Name" */
        }
        uint32_t child;
        uint64_t slot;
        if (jl_object_next_child(doc, f->node, &f->i, &child, &slot)) {
            f->last = (uint32_t)slot;
            jl_buf_putc(b, ',');
            if (slot >= JL_SLOT_ENTRY) {
                int rc = render_key(c, jl_kids_of(doc, o->state)[2 * (slot - JL_SLOT_ENTRY)]);
                if (rc) return rc;
                jl_buf_putc(b, ':');
            } else jl_buf_puts(b, slot_names[slot]);
            return visit(c, child);
        }
        pop(c);
        return jl_buf_putc(b, '}');
    }
    case F_OARR: {
        const jl_array *a = jl_array_of(doc, f->node);
        const jl_node *items = &doc->nodes[a->items];
        uint64_t flat[1] = { items->len };
        const uint64_t *dims = f->flag ? flat : doc->dims + a->dims_at;
        unsigned ndim = f->flag ? 1 : a->ndim;
        if (f->i < items->len) {
            uint32_t child = jl_kids_of(doc, a->items)[f->i];
            if (f->i) block_sep(b, dims, ndim, f->i);
            f->i++;
            return visit(c, child);
        }
        pop(c);
        brackets(b, ']', ndim);
        return b->failed;
    }
    }
    return JL_OK;
}

static int render_node(const jl_doc *doc, uint32_t id, jl_buf *b, jl_error *err, unsigned key_level) {
    rctx c;
    memset(&c, 0, sizeof c);
    c.doc = doc;
    c.b = b;
    c.err = err;
    c.key_level = key_level;
    jl_buf_init(&c.tmp, b->alloc, b->max);
    int rc = visit(&c, id);
    while (!rc && c.n > 0) {
        rc = step(&c);
        if (!rc && b->failed) rc = b->failed;
    }
    /* buffer failures carry no message yet */
    if (b->failed && (rc == JL_OK || rc == b->failed)) rc = nomem(&c);
    jl_free(b->alloc, c.st);
    jl_free(b->alloc, c.mark);
    jl_buf_free(&c.tmp);
    return rc;
}

int jl_render_json(const jl_doc *doc, uint32_t id, jl_buf *b, jl_error *err) {
    return render_node(doc, id, b, err, 0);
}
