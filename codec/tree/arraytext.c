/*
 * arraytext.c - the JSON text of numpy data (see arraytext.h): numpy
 * scalars and numeric arrays, element by element by dtype. Apart from
 * render.c so that the literal of a numpy scalar dict key (keytext.c) is
 * written without the JSON renderer, which itself writes paths.
 *
 * Array data comes from jl_array_native_bytes (C order, native byte
 * order), so elements are read without regard to the stored byte order.
 */
#include "arraytext.h"

#include "atomtext.h"
#include "text.h"
#include "half.h"
#include "ndarray.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Nesting of dtypes inside one element (structured / subarray). */
#define JL_RENDER_MAX_DTYPE_LEVEL 32u

/* ---- elements ------------------------------------------------------------ */

/* Appends code point cp as WTF-8 (surrogates as 3 bytes); beyond U+10FFFF, U+FFFD. */
static void put_utf8(jl_buf *b, uint32_t cp) { jl_buf_put_utf8(b, cp > 0x10FFFF ? 0xFFFD : cp); }

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

/* ---- blocks and leaves ------------------------------------------------------ */

int jl_render_array_nomem(const jl_arraytext *c) {
    if (c->b->failed == JL_E_LIMIT)
        return jl_fail(c->err, JL_E_LIMIT, JL_NO_OFFSET, "JSON text longer than the buffer limit (%llu bytes)",
                       (unsigned long long)c->b->max);
    return jl_fail(c->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory rendering JSON");
}

/* Brackets between flat elements k-1 and k of a block of shape dims[0..nd). */
void jl_render_block_sep(jl_buf *b, const uint64_t *dims, unsigned nd, uint64_t k) {
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

void jl_render_brackets(jl_buf *b, char ch, unsigned n) {
    for (unsigned j = 0; j < n; j++) jl_buf_putc(b, ch);
}

/* Shape with no elements: nested empty lists up to the first zero dim.
 * The dims before the zero are bounded here: a shape such as
 * (2**40, 2**40, 0) holds no data but would print forever. */
int jl_render_empty_block(const jl_arraytext *c, const uint64_t *dims, unsigned nd) {
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
    jl_render_brackets(b, '[', z);
    for (uint64_t k = 0; k < m && !b->failed; k++) {
        if (k) jl_render_block_sep(b, dims, z, k);
        jl_buf_append(b, "[]", 2);
    }
    jl_render_brackets(b, ']', z);
    return b->failed;
}

static int render_elem(const jl_arraytext *c, uint32_t dt, const uint8_t *p, unsigned level);

/* count elements of dtype dt at p, nested by dims[0..nd). */
static int render_block(const jl_arraytext *c, uint32_t dt, const uint64_t *dims, unsigned nd, const uint8_t *p,
                        uint64_t count, unsigned level) {
    jl_buf *b = c->b;
    if (count == 0) return jl_render_empty_block(c, dims, nd);
    uint64_t esize = c->doc->dtypes[dt].itemsize;
    jl_render_brackets(b, '[', nd);
    for (uint64_t k = 0; k < count; k++) {
        if (k) jl_render_block_sep(b, dims, nd, k);
        int rc = render_elem(c, dt, p + k * esize, level);
        if (rc) return rc;
        if (b->failed) return b->failed;
    }
    jl_render_brackets(b, ']', nd);
    return b->failed;
}

static void put_unicode(const jl_arraytext *c, const uint8_t *p, uint64_t itemsize) {
    uint64_t n = itemsize / 4;
    uint32_t cp;
    while (n > 0) {
        memcpy(&cp, p + (n - 1) * 4, 4);
        if (cp) break;
        n--;
    }
    c->tmp->len = 0;
    for (uint64_t k = 0; k < n; k++) {
        memcpy(&cp, p + k * 4, 4);
        put_utf8(c->tmp, cp);
    }
    if (c->tmp->failed) {
        c->b->failed = c->tmp->failed;
        return;
    }
    jl_json_string(c->b, c->tmp->p ? (const uint8_t *)c->tmp->p : (const uint8_t *)"", c->tmp->len);
}

static void put_long_double(jl_buf *b, const uint8_t *p, uint64_t size) {
    if (size == sizeof(long double)) {
        long double v;
        memcpy(&v, p, sizeof v);
        jl_render_float(b, (double)v, 8);
    } else jl_buf_puts(b, "null");
}

/* An `S` element as a JSON string of one code point per byte (latin-1:
 * ASCII as itself, bytes 0x80-0xFF as \u0080-\u00ff), trailing NULs cut
 * as numpy does: one text for every byte string, read back byte for byte. */
static int put_latin1(jl_buf *b, const uint8_t *p, uint64_t n) {
    jl_buf_putc(b, '"');
    uint64_t run = 0;
    for (uint64_t k = 0; k < n; k++) {
        if (p[k] < 0x80) continue;
        jl_json_escape(b, p + run, k - run, JL_JSON_SHORT);
        jl_buf_printf(b, "\\u%04x", (unsigned)p[k]);
        run = k + 1;
    }
    jl_json_escape(b, p + run, n - run, JL_JSON_SHORT);
    return jl_buf_putc(b, '"');
}

/* One element of dtype dt (native byte order) at p. */
static int render_elem(const jl_arraytext *c, uint32_t dt, const uint8_t *p, unsigned level) {
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
        return d->kind == 'i' ? jl_render_i64(b, s) : jl_render_u64(b, u, 0);
    }
    case 'f':
        if (size == 2) {
            uint16_t h;
            memcpy(&h, p, 2);
            return jl_render_float(b, jl_half_to_double(h), 2);
        }
        if (size == 4) {
            float v;
            memcpy(&v, p, 4);
            return jl_render_float(b, v, 4);
        }
        if (size == 8) {
            double v;
            memcpy(&v, p, 8);
            return jl_render_float(b, v, 8);
        }
        put_long_double(b, p, size);
        return b->failed;
    case 'c':
        jl_buf_putc(b, '[');
        if (size == 8) {
            float v[2];
            memcpy(v, p, 8);
            jl_render_float(b, v[0], 4);
            jl_buf_putc(b, ',');
            jl_render_float(b, v[1], 4);
        } else if (size == 16) {
            double v[2];
            memcpy(v, p, 16);
            jl_render_float(b, v[0], 8);
            jl_buf_putc(b, ',');
            jl_render_float(b, v[1], 8);
        } else {
            put_long_double(b, p, size / 2);
            jl_buf_putc(b, ',');
            put_long_double(b, p + size / 2, size / 2);
        }
        return jl_buf_putc(b, ']');
    case 'S': {
        uint64_t n = size;
        while (n > 0 && p[n - 1] == 0) n--;
        return put_latin1(b, p, n);
    }
    case 'U':
        put_unicode(c, p, size);
        return b->failed;
    case 'V': return jl_render_base64(b, p, size);
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

int jl_render_datetime(jl_buf *b, int64_t v, const jl_dtype *dt) { return put_datetime(b, v, dt); }

/* A numeric (non-object) array or a scalar, rendered in one go. */
int jl_render_array_leaf(const jl_arraytext *c, uint32_t id) {
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
    if (!rc && c->b->failed) rc = jl_render_array_nomem(c);
    return rc;
}

int jl_render_array_json(const jl_doc *doc, uint32_t id, jl_buf *b, jl_error *err) {
    jl_buf tmp;
    jl_buf_init(&tmp, b->alloc, b->max);
    jl_arraytext c = { doc, b, err, &tmp };
    int rc = jl_render_array_leaf(&c, id);
    /* buffer failures carry no message yet */
    if (b->failed && (rc == JL_OK || rc == b->failed)) rc = jl_render_array_nomem(&c);
    jl_buf_free(&tmp);
    return rc;
}
