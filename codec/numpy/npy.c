/*
 * npy.c - .npy headers (numpy format versions 1.0, 2.0 and 3.0), as in the
 * legacy sidecars joblib < 0.10 wrote next to a bundle:
 *
 *   93 'NUMPY' major minor | u16 LE HLEN (1.0) or u32 LE HLEN (2.0, 3.0)
 *   | HLEN bytes: a Python dict literal, latin-1 (1.0, 2.0) or UTF-8 (3.0)
 *     {'descr': '<i8', 'fortran_order': False, 'shape': (5,), }  + spaces, \n
 *   | data
 *
 * The literal is read by a tiny bounded parser (no evaluation): dicts,
 * tuples, lists, str/bytes literals in both quote styles with Python
 * escapes, ints with an optional Python 2 'L', True/False/None. A
 * structured descr (a list of (name, descr[, shape]) tuples) is turned
 * into JSON text and read by jl_dtype_parse_json.
 *
 * Headers are also written (jl_npy_write_header, for compress='npy'
 * sidecars) byte for byte as numpy 1.24's np.save writes them: the descr
 * spelled with Python's repr, numpy's spare spaces, 64-byte padding.
 */
#include "npy.h"
#include "text.h"

#include <stdio.h>
#include <string.h>

#define NPY_MAX_HEADER ((uint64_t)1 << 20) /* bytes of dict literal accepted */
#define NPY_MAX_NESTING 64                 /* brackets inside the literal */

typedef enum { L_STR, L_INT, L_BOOL, L_NONE, L_TUPLE, L_LIST, L_DICT } lkind;

/* One literal value; children are a first-child / next-sibling chain
 * (a dict's children alternate key, value). */
typedef struct lit {
    uint8_t kind;
    uint32_t first, next, count;
    int64_t i;          /* L_INT, L_BOOL */
    uint64_t soff, slen;/* L_STR: UTF-8 bytes in the string buffer */
    uint64_t at;        /* offset in the file, for messages */
} lit;

typedef struct lctx {
    const uint8_t *p;
    uint64_t n, pos, base; /* header bytes p[0..n), p[0] at file offset base */
    int utf8;              /* 3.0 headers are UTF-8, older ones latin-1 */
    lit *v;
    uint64_t nv, cap;
    jl_buf str;
    jl_doc *doc;
    jl_error *err;
} lctx;

static int lfail(lctx *c, const char *what) {
    return jl_fail(c->err, JL_E_FORMAT, c->base + c->pos, "npy header: %s at byte %llu", what,
                   (unsigned long long)(c->base + c->pos));
}

static void lws(lctx *c) {
    while (c->pos < c->n && (c->p[c->pos] == ' ' || c->p[c->pos] == '\t' || c->p[c->pos] == '\n' ||
                             c->p[c->pos] == '\r' || c->p[c->pos] == '\f' || c->p[c->pos] == '\v'))
        c->pos++;
}

static int lpeek(lctx *c) { lws(c); return c->pos < c->n ? c->p[c->pos] : -1; }

static uint32_t lnew(lctx *c, lkind kind) {
    if (c->nv >= UINT32_MAX - 1 ||
        jl_grow(&c->doc->alloc, (void **)&c->v, &c->cap, c->nv + 1, sizeof(lit), c->doc->limits.max_alloc)) {
        jl_fail(c->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory reading an npy header");
        return JL_NONE;
    }
    lit *l = &c->v[c->nv];
    memset(l, 0, sizeof *l);
    l->kind = (uint8_t)kind;
    l->first = l->next = JL_NONE;
    l->at = c->base + c->pos;
    return (uint32_t)c->nv++;
}

/* A quoted literal (after an optional u/b prefix); escapes as Python's. */
static int lstring(lctx *c, uint32_t *out) {
    int bytes = 0;
    if (c->p[c->pos] != '\'' && c->p[c->pos] != '"') {
        bytes = c->p[c->pos] == 'b' || c->p[c->pos] == 'B';
        c->pos++;
    }
    uint8_t q = c->p[c->pos++];
    uint32_t id = lnew(c, L_STR);
    if (id == JL_NONE) return JL_E_NOMEM;
    uint64_t start = c->str.len;
    for (;;) {
        if (c->pos >= c->n) return lfail(c, "unterminated string");
        uint8_t ch = c->p[c->pos++];
        if (ch == q) break;
        if (ch == '\n') return lfail(c, "newline in a string");
        if (ch != '\\') {
            if (ch < 0x80 || c->utf8) jl_buf_putc(&c->str, (char)ch);
            else jl_buf_put_utf8(&c->str, ch); /* latin-1 */
            continue;
        }
        if (c->pos >= c->n) return lfail(c, "unterminated string");
        uint8_t e = c->p[c->pos++];
        uint32_t cp = 0;
        int digits = 0;
        switch (e) {
        case '\n': continue; /* line continuation */
        case '\\': case '\'': case '"': cp = e; break;
        case 'a': cp = 7; break;
        case 'b': cp = 8; break;
        case 'f': cp = 12; break;
        case 'n': cp = 10; break;
        case 'r': cp = 13; break;
        case 't': cp = 9; break;
        case 'v': cp = 11; break;
        case 'x': digits = 2; break;
        case 'u': digits = bytes ? 0 : 4; break;
        case 'U': digits = bytes ? 0 : 8; break;
        default:
            if (e >= '0' && e <= '7') { /* up to three octal digits */
                cp = (uint32_t)(e - '0');
                for (int k = 0; k < 2 && c->pos < c->n && c->p[c->pos] >= '0' && c->p[c->pos] <= '7'; k++)
                    cp = cp * 8 + (uint32_t)(c->p[c->pos++] - '0');
                break;
            }
            /* an unknown escape keeps its backslash */
            jl_buf_putc(&c->str, '\\');
            c->pos--;
            continue;
        }
        if ((e == 'u' || e == 'U') && bytes) { /* no \u in bytes literals */
            jl_buf_putc(&c->str, '\\');
            cp = e;
        }
        for (int k = 0; k < digits; k++) {
            int h = c->pos < c->n ? jl_hex_digit(c->p[c->pos]) : -1;
            if (h < 0) return lfail(c, "bad escape in a string");
            cp = cp << 4 | (uint32_t)h;
            c->pos++;
        }
        if (cp > 0x10FFFF) return lfail(c, "escape beyond U+10FFFF");
        jl_buf_put_utf8(&c->str, cp);
    }
    if (c->str.failed) return jl_fail(c->err, c->str.failed, JL_NO_OFFSET, "out of memory reading an npy header");
    c->v[id].soff = start;
    c->v[id].slen = c->str.len - start;
    *out = id;
    return JL_OK;
}

static int lint(lctx *c, uint32_t *out) {
    int neg = 0;
    if (c->p[c->pos] == '-' || c->p[c->pos] == '+') neg = c->p[c->pos++] == '-';
    lws(c);
    uint64_t v = 0;
    uint64_t start = c->pos;
    while (c->pos < c->n && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
        if (v > (UINT64_MAX - 9) / 10) return lfail(c, "integer too large");
        v = v * 10 + (uint64_t)(c->p[c->pos++] - '0');
    }
    if (c->pos == start) return lfail(c, "expected a number");
    if (c->pos < c->n && (c->p[c->pos] == 'L' || c->p[c->pos] == 'l')) c->pos++; /* Python 2 long */
    if (c->pos < c->n && (c->p[c->pos] == '.' || c->p[c->pos] == 'e' || c->p[c->pos] == 'E' ||
                          c->p[c->pos] == 'x' || c->p[c->pos] == '_' || c->p[c->pos] == 'j'))
        return lfail(c, "only decimal integers are allowed");
    if (v > (uint64_t)INT64_MAX) return lfail(c, "integer too large");
    uint32_t id = lnew(c, L_INT);
    if (id == JL_NONE) return JL_E_NOMEM;
    c->v[id].i = neg ? -(int64_t)v : (int64_t)v;
    *out = id;
    return JL_OK;
}

static int lvalue(lctx *c, unsigned depth, uint32_t *out);

/* Items up to `close`, separated by commas, trailing comma allowed. For a
 * dict, items are key ':' value. For '(' a single item without a comma
 * is a parenthesized value, not a tuple. */
static int lseq(lctx *c, unsigned depth, lkind kind, int close, uint32_t *out) {
    uint64_t open_at = c->pos;
    c->pos++;
    uint32_t id = lnew(c, kind), last = JL_NONE;
    if (id == JL_NONE) return JL_E_NOMEM;
    int comma = 0;
    while (lpeek(c) != close) {
        if (c->v[id].count && !comma) return lfail(c, "expected ','");
        uint32_t item;
        int rc = lvalue(c, depth + 1, &item);
        if (rc) return rc;
        if (kind == L_DICT) {
            if (lpeek(c) != ':') return lfail(c, "expected ':'");
            c->pos++;
            uint32_t val;
            if ((rc = lvalue(c, depth + 1, &val))) return rc;
            c->v[item].next = val;
        }
        if (last == JL_NONE) c->v[id].first = item;
        else c->v[last].next = item;
        last = kind == L_DICT ? c->v[item].next : item;
        c->v[id].count++;
        comma = lpeek(c) == ',';
        if (comma) c->pos++;
        else if (lpeek(c) != close) {
            if (lpeek(c) < 0) {
                c->pos = open_at;
                return lfail(c, "unclosed bracket");
            }
            return lfail(c, "expected ',' or a closing bracket");
        }
    }
    c->pos++;
    if (kind == L_TUPLE && c->v[id].count == 1 && !comma) {
        *out = c->v[id].first; /* (x) is x */
        return JL_OK;
    }
    *out = id;
    return JL_OK;
}

static int lword(lctx *c, const char *w) {
    size_t n = strlen(w);
    if (c->n - c->pos < n || memcmp(c->p + c->pos, w, n)) return 0;
    uint64_t end = c->pos + n;
    if (end < c->n) {
        uint8_t ch = c->p[end];
        if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_')
            return 0;
    }
    c->pos = end;
    return 1;
}

static int lvalue(lctx *c, unsigned depth, uint32_t *out) {
    if (depth > NPY_MAX_NESTING) return lfail(c, "literal nested too deeply");
    int ch = lpeek(c);
    switch (ch) {
    case -1: return lfail(c, "header ends before a value");
    case '{': return lseq(c, depth, L_DICT, '}', out);
    case '(': return lseq(c, depth, L_TUPLE, ')', out);
    case '[': return lseq(c, depth, L_LIST, ']', out);
    case '\'': case '"': return lstring(c, out);
    case '-': case '+': return lint(c, out);
    default: break;
    }
    if (ch >= '0' && ch <= '9') return lint(c, out);
    if (strchr("uUbB", ch) && c->pos + 1 < c->n && (c->p[c->pos + 1] == '\'' || c->p[c->pos + 1] == '"'))
        return lstring(c, out);
    uint32_t id;
    int t = lword(c, "True");
    if (t || lword(c, "False")) {
        if ((id = lnew(c, L_BOOL)) == JL_NONE) return JL_E_NOMEM;
        c->v[id].i = t;
    } else if (lword(c, "None")) {
        if ((id = lnew(c, L_NONE)) == JL_NONE) return JL_E_NOMEM;
    } else {
        return lfail(c, "unexpected character");
    }
    *out = id;
    return JL_OK;
}

static int lstr_is(lctx *c, uint32_t id, const char *s) {
    size_t n = strlen(s);
    return c->v[id].kind == L_STR && c->v[id].slen == n && memcmp(c->str.p + c->v[id].soff, s, n) == 0;
}

/* A descr literal as JSON text (tuples and lists both become arrays). */
static int ljson(lctx *c, uint32_t id, jl_buf *b) {
    const lit *l = &c->v[id];
    switch (l->kind) {
    case L_STR:
        jl_buf_putc(b, '"');
        if (l->slen) jl_json_escape(b, c->str.p + l->soff, l->slen, 0); /* the bytes as they are */
        return jl_buf_putc(b, '"');
    case L_INT:
        return jl_buf_printf(b, "%lld", (long long)l->i);
    case L_TUPLE: case L_LIST: {
        jl_buf_putc(b, '[');
        int k = 0;
        for (uint32_t ch = l->first; ch != JL_NONE; ch = c->v[ch].next) {
            if (k++) jl_buf_putc(b, ',');
            int rc = ljson(c, ch, b);
            if (rc) return rc;
        }
        return jl_buf_putc(b, ']');
    }
    default:
        c->pos = l->at - c->base;
        return lfail(c, "descr holds a value that is not a string, int, list or tuple");
    }
}

int jl_npy_parse_header(jl_doc *doc, const uint8_t *p, uint64_t n, jl_npy_header *h, jl_error *err) {
    static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    int rc = JL_OK;
    if (n < 8) return jl_fail(err, JL_E_TRUNCATED, n, "npy header: %llu bytes, shorter than the magic and version",
                              (unsigned long long)n);
    if (memcmp(p, magic, 6) != 0) return jl_fail(err, JL_E_FORMAT, 0, "not an .npy file (no \\x93NUMPY magic)");
    uint8_t major = p[6], minor = p[7];
    if (major < 1 || major > 3 || minor != 0)
        return jl_fail(err, JL_E_UNSUPPORTED, 6, "npy format version %u.%u is not supported", major, minor);
    uint64_t start = major == 1 ? 10 : 12, hlen;
    if (n < start) return jl_fail(err, JL_E_TRUNCATED, n, "npy header: input ends inside the header length");
    hlen = major == 1 ? (uint64_t)p[8] | (uint64_t)p[9] << 8
                      : (uint64_t)p[8] | (uint64_t)p[9] << 8 | (uint64_t)p[10] << 16 | (uint64_t)p[11] << 24;
    if (hlen > NPY_MAX_HEADER)
        return jl_fail(err, JL_E_LIMIT, 8, "npy header of %llu bytes is larger than %llu",
                       (unsigned long long)hlen, (unsigned long long)NPY_MAX_HEADER);
    if (hlen > n - start)
        return jl_fail(err, JL_E_TRUNCATED, n, "npy header claims %llu bytes but only %llu follow",
                       (unsigned long long)hlen, (unsigned long long)(n - start));

    lctx c = {p + start, hlen, 0, start, major == 3, NULL, 0, 0, {0}, doc, err};
    jl_buf_init(&c.str, &doc->alloc, 0);
    jl_buf json;
    jl_buf_init(&json, &doc->alloc, 0);
    uint32_t root, descr = JL_NONE, fortran = JL_NONE, shape = JL_NONE;

    if (lpeek(&c) != '{') {
        rc = lfail(&c, "the header is not a dict");
        goto done;
    }
    if ((rc = lvalue(&c, 0, &root))) goto done;
    if (lpeek(&c) != -1) {
        rc = lfail(&c, "text after the header dict");
        goto done;
    }
    for (uint32_t k = c.v[root].first; k != JL_NONE; k = c.v[c.v[k].next].next) {
        uint32_t v = c.v[k].next;
        if (lstr_is(&c, k, "descr")) descr = v;
        else if (lstr_is(&c, k, "fortran_order")) fortran = v;
        else if (lstr_is(&c, k, "shape")) shape = v;
        else {
            c.pos = c.v[k].at - c.base;
            rc = lfail(&c, "unknown key (expected descr, fortran_order, shape)");
            goto done;
        }
    }
    if (descr == JL_NONE || fortran == JL_NONE || shape == JL_NONE) {
        c.pos = 0;
        rc = lfail(&c, descr == JL_NONE ? "no 'descr' key" : fortran == JL_NONE ? "no 'fortran_order' key"
                                                                                 : "no 'shape' key");
        goto done;
    }
    if (c.v[fortran].kind != L_BOOL) {
        c.pos = c.v[fortran].at - c.base;
        rc = lfail(&c, "fortran_order is not True or False");
        goto done;
    }
    h->fortran_order = (int)c.v[fortran].i;
    if (c.v[shape].kind != L_TUPLE) {
        c.pos = c.v[shape].at - c.base;
        rc = lfail(&c, "shape is not a tuple");
        goto done;
    }
    h->ndim = 0;
    for (uint32_t d = c.v[shape].first; d != JL_NONE; d = c.v[d].next) {
        c.pos = c.v[d].at - c.base;
        if (c.v[d].kind != L_INT) {
            rc = lfail(&c, "shape holds a value that is not an int");
            goto done;
        }
        if (h->ndim == JL_MAX_DIMS) {
            rc = lfail(&c, "shape has more than " JL_XSTR(JL_MAX_DIMS) " dimensions");
            goto done;
        }
        h->dims[h->ndim++] = c.v[d].i;
    }
    if (c.v[descr].kind == L_STR) {
        rc = jl_dtype_parse(doc, c.str.p + c.v[descr].soff, (size_t)c.v[descr].slen, &h->dtype, err);
    } else if (c.v[descr].kind == L_LIST) {
        if (!(rc = ljson(&c, descr, &json))) {
            if (json.failed) rc = jl_fail(err, json.failed, JL_NO_OFFSET, "out of memory reading an npy header");
            else rc = jl_dtype_parse_json(doc, json.p, (size_t)json.len, &h->dtype, err);
        } else if (json.failed) { /* a failed append returns its code without a message */
            rc = jl_fail(err, json.failed, JL_NO_OFFSET, "out of memory reading an npy header");
        }
    } else {
        c.pos = c.v[descr].at - c.base;
        rc = lfail(&c, "descr is not a string or a list of fields");
    }
    if (rc) {
        if (err) err->offset = c.v[descr].at; /* where the descr is in the file */
        goto done;
    }
    rc = jl_shape_nbytes(h->dims, h->ndim, doc->dtypes[h->dtype].itemsize, NULL, NULL, err);
    if (rc) {
        if (err) err->offset = c.v[shape].at;
        goto done;
    }
    h->data_offset = start + hlen;
done:
    jl_free(&doc->alloc, c.v);
    jl_buf_free(&c.str);
    jl_buf_free(&json);
    return rc;
}

/* ---- writing headers ------------------------------------------------------ */

/* numpy.lib.format (1.24): ARRAY_ALIGN and GROWTH_AXIS_MAX_DIGITS. */
#define NPY_ALIGN 64
#define NPY_GROWTH_DIGITS 21

/* The descr JSON of jl_dtype_descr, re-spelled as the Python literal
 * numpy's repr gives: strings with Python quoting, fields as tuples,
 * subarray shapes as tuples. The JSON is our own output, so this reads
 * only that grammar: descr = string | [field, ...];
 * field = [name | [title, name], descr(, [int, ...])]. */
typedef struct pyw {
    const char *s;
    uint64_t n, pos;
    jl_buf *out;
    jl_buf tmp; /* one decoded string; owned */
} pyw;

static int pyw_bad(pyw *w) {
    (void)w;
    return JL_E_ARG;
}

static int pyw_eat(pyw *w, char c) {
    if (w->pos >= w->n || w->s[w->pos] != c) return pyw_bad(w);
    w->pos++;
    return JL_OK;
}

static int pyw_peek(const pyw *w) { return w->pos < w->n ? (unsigned char)w->s[w->pos] : -1; }

/* Decodes one UTF-8 sequence at p[0..n) (JL_UTF8_LAX): its code point
 * and length (invalid bytes are taken one at a time as their latin-1
 * value). */
static uint32_t utf8_next(const uint8_t *p, uint64_t n, unsigned *len) {
    uint32_t cp;
    *len = jl_utf8_next(p, n, JL_UTF8_LAX, &cp);
    if (*len) return cp;
    *len = 1;
    return p[0];
}

/* A JSON string (our escapes: \" \\ \uXXXX) as Python's repr of a str. */
static int pyw_str(pyw *w) {
    int rc = pyw_eat(w, '"');
    if (rc) return rc;
    w->tmp.len = 0;
    for (;;) {
        int c = pyw_peek(w);
        if (c < 0) return pyw_bad(w);
        w->pos++;
        if (c == '"') break;
        if (c != '\\') {
            jl_buf_putc(&w->tmp, (char)c);
            continue;
        }
        int e = pyw_peek(w);
        w->pos++;
        if (e == 'u') {
            uint32_t cp;
            if (!jl_hex4(w->s + w->pos, w->n - w->pos, &cp)) return pyw_bad(w);
            w->pos += 4;
            jl_buf_put_utf8(&w->tmp, cp);
        } else if (e == '"' || e == '\\' || e == '/') {
            jl_buf_putc(&w->tmp, (char)e);
        } else {
            static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
            const char *f = e > 0 ? strchr(from, e) : NULL;
            if (!f) return pyw_bad(w);
            jl_buf_putc(&w->tmp, to[f - from]);
        }
    }
    if (w->tmp.failed) return w->tmp.failed;
    const uint8_t *p = (const uint8_t *)w->tmp.p;
    uint64_t n = w->tmp.len;
    /* Python prefers ' and switches to " only when the text has ' but no " */
    int has_sq = n && memchr(p, '\'', (size_t)n) != NULL, has_dq = n && memchr(p, '"', (size_t)n) != NULL;
    char q = has_sq && !has_dq ? '"' : '\'';
    jl_buf *o = w->out;
    jl_buf_putc(o, q);
    for (uint64_t i = 0; i < n;) {
        unsigned len;
        uint32_t cp = utf8_next(p + i, n - i, &len);
        if (cp == (uint32_t)q || cp == '\\') {
            jl_buf_putc(o, '\\');
            jl_buf_putc(o, (char)cp);
        } else if (cp == '\t') {
            jl_buf_puts(o, "\\t");
        } else if (cp == '\n') {
            jl_buf_puts(o, "\\n");
        } else if (cp == '\r') {
            jl_buf_puts(o, "\\r");
        } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD) {
            jl_buf_printf(o, "\\x%02x", (unsigned)cp); /* not printable: Python escapes */
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            jl_buf_printf(o, "\\u%04x", (unsigned)cp); /* a lone surrogate (WTF-8) */
        } else {
            jl_buf_append(o, p + i, len);
        }
        i += len;
    }
    return jl_buf_putc(o, q);
}

/* [int, ...] as a Python tuple: (3,) or (2, 3). */
static int pyw_shape(pyw *w) {
    int rc = pyw_eat(w, '[');
    if (rc) return rc;
    jl_buf_putc(w->out, '(');
    unsigned k = 0;
    while (pyw_peek(w) != ']') {
        if (k && (rc = pyw_eat(w, ','))) return rc;
        uint64_t start = w->pos;
        while (pyw_peek(w) >= '0' && pyw_peek(w) <= '9') w->pos++;
        if (w->pos == start) return pyw_bad(w);
        if (k) jl_buf_puts(w->out, ", ");
        jl_buf_append(w->out, w->s + start, w->pos - start);
        k++;
    }
    w->pos++;
    return jl_buf_puts(w->out, k == 1 ? ",)" : ")");
}

static int pyw_descr(pyw *w, unsigned depth);

static int pyw_field(pyw *w, unsigned depth) {
    int rc = pyw_eat(w, '[');
    if (rc) return rc;
    jl_buf_putc(w->out, '(');
    if (pyw_peek(w) == '[') { /* (title, name) */
        w->pos++;
        jl_buf_putc(w->out, '(');
        if ((rc = pyw_str(w)) || (rc = pyw_eat(w, ','))) return rc;
        jl_buf_puts(w->out, ", ");
        if ((rc = pyw_str(w)) || (rc = pyw_eat(w, ']'))) return rc;
        jl_buf_putc(w->out, ')');
    } else if ((rc = pyw_str(w))) {
        return rc;
    }
    if ((rc = pyw_eat(w, ','))) return rc;
    jl_buf_puts(w->out, ", ");
    if ((rc = pyw_descr(w, depth + 1))) return rc;
    if (pyw_peek(w) == ',') {
        w->pos++;
        jl_buf_puts(w->out, ", ");
        if ((rc = pyw_shape(w))) return rc;
    }
    if ((rc = pyw_eat(w, ']'))) return rc;
    return jl_buf_putc(w->out, ')');
}

static int pyw_descr(pyw *w, unsigned depth) {
    if (depth > JL_DTYPE_MAX_DEPTH + 1) return pyw_bad(w);
    if (pyw_peek(w) == '"') return pyw_str(w);
    int rc = pyw_eat(w, '[');
    if (rc) return rc;
    jl_buf_putc(w->out, '[');
    for (unsigned k = 0; pyw_peek(w) != ']'; k++) {
        if (k) {
            if ((rc = pyw_eat(w, ','))) return rc;
            jl_buf_puts(w->out, ", ");
        }
        if ((rc = pyw_field(w, depth))) return rc;
    }
    w->pos++;
    return jl_buf_putc(w->out, ']');
}

/* Re-encodes UTF-8 text in place as latin-1; 0 when a code point is above
 * U+00FF (the text is then left as it was). */
static int to_latin1(jl_buf *b) {
    const uint8_t *p = (const uint8_t *)b->p;
    for (uint64_t i = 0; i < b->len;) {
        unsigned len;
        if (utf8_next(p + i, b->len - i, &len) > 0xFF) return 0;
        i += len;
    }
    uint64_t o = 0;
    for (uint64_t i = 0; i < b->len;) {
        unsigned len;
        uint32_t cp = utf8_next(p + i, b->len - i, &len);
        b->p[o++] = (char)cp;
        i += len;
    }
    b->len = o;
    b->p[o] = 0;
    return 1;
}

int jl_npy_write_header(const jl_doc *doc, uint32_t dt, int fortran_order, const uint64_t *dims, unsigned ndim,
                        jl_buf *out, jl_error *err) {
    if (dt >= doc->ndtypes) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "npy header: no dtype %u", dt);
    jl_buf descr, text;
    jl_buf_init(&descr, &doc->alloc, 0);
    jl_buf_init(&text, &doc->alloc, 0);
    pyw w = { NULL, 0, 0, &text, {0} };
    jl_buf_init(&w.tmp, &doc->alloc, 0);
    int rc = jl_dtype_descr(doc, dt, &descr);
    if (rc) {
        rc = jl_fail(err, rc, JL_NO_OFFSET, "out of memory writing an npy header");
        goto done;
    }
    w.s = descr.p;
    w.n = descr.len;

    /* the dict in sorted key order, as _write_array_header writes it */
    jl_buf_puts(&text, "{'descr': ");
    if (descr.len && descr.p[0] != '[') {
        /* a plain descr string ("<f8"): quote it as JSON for pyw_str */
        jl_buf q;
        jl_buf_init(&q, &doc->alloc, 0);
        jl_buf_putc(&q, '"');
        jl_buf_append(&q, descr.p, descr.len);
        jl_buf_putc(&q, '"');
        w.s = q.p;
        w.n = q.len;
        rc = q.failed ? q.failed : pyw_str(&w);
        jl_buf_free(&q);
        w.s = NULL;
    } else {
        rc = pyw_descr(&w, 0);
        if (!rc && w.pos != w.n) rc = JL_E_ARG;
    }
    if (rc) {
        if (rc == JL_E_ARG) rc = jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "npy header: cannot spell dtype descr %.120s",
                                         descr.p ? descr.p : "");
        else rc = jl_fail(err, rc, JL_NO_OFFSET, "out of memory writing an npy header");
        goto done;
    }
    jl_buf_printf(&text, ", 'fortran_order': %s, 'shape': (", fortran_order ? "True" : "False");
    for (unsigned i = 0; i < ndim; i++) jl_buf_printf(&text, i ? ", %llu" : "%llu", (unsigned long long)dims[i]);
    jl_buf_puts(&text, ndim == 1 ? ",), }" : "), }");
    /* spare room for the growth axis to gain digits */
    if (ndim > 0) {
        char digits[24];
        int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)dims[fortran_order ? ndim - 1 : 0]);
        for (int i = nd; i < NPY_GROWTH_DIGITS; i++) jl_buf_putc(&text, ' ');
    }
    if (text.failed) {
        rc = jl_fail(err, text.failed, JL_NO_OFFSET, "out of memory writing an npy header");
        goto done;
    }

    /* version: 1.0 when it fits a u16 length, 2.0 when not, 3.0 (UTF-8)
     * when the text is not latin-1 */
    int latin1 = to_latin1(&text);
    uint64_t hlen = text.len + 1, prefix = 10, pad;
    pad = NPY_ALIGN - (prefix + hlen) % NPY_ALIGN;
    uint8_t major = 1;
    if (!latin1 || hlen + pad > 0xFFFF) {
        major = latin1 ? 2 : 3;
        prefix = 12;
        pad = NPY_ALIGN - (prefix + hlen) % NPY_ALIGN;
        if (hlen + pad > 0xFFFFFFFFu) {
            rc = jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "npy header of %llu bytes is too long",
                         (unsigned long long)hlen);
            goto done;
        }
    }
    uint64_t total = hlen + pad;
    uint8_t head[12] = { 0x93, 'N', 'U', 'M', 'P', 'Y', major, 0,
                         (uint8_t)total, (uint8_t)(total >> 8), (uint8_t)(total >> 16), (uint8_t)(total >> 24) };
    jl_buf_append(out, head, prefix);
    jl_buf_append(out, text.p, text.len);
    for (uint64_t i = 0; i < pad; i++) jl_buf_putc(out, ' ');
    jl_buf_putc(out, '\n');
    if (out->failed) rc = jl_fail(err, out->failed, JL_NO_OFFSET, "out of memory writing an npy header");
done:
    jl_buf_free(&descr);
    jl_buf_free(&text);
    jl_buf_free(&w.tmp);
    return rc;
}
