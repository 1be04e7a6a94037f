/*
 * show.c - a subtree as indented text for people (show.h): the text of
 * joblib_show, for every bundle the decoder reads (any format, protocol or
 * Python version; the text depends only on the decoded tree).
 *
 * The walk is its own, iterative (one frame per open container, bounded by
 * doc->limits.max_depth) and visits only what it prints: elided children
 * and nodes below the depth limit are skipped, so a model with a
 * 10-million-element list costs a dozen lines of work, not ten million.
 * Compound nodes are expanded at their first shown occurrence; later
 * occurrences print "ref → FULLKEY" (a hash table maps node -> the offset
 * of its fullkey in `names`).
 *
 * Array previews go element by element, never over the whole array: each
 * previewed element becomes a temporary 0-d scalar node over the element's
 * bytes in place (so jl_array_native_bytes swaps byte order and
 * jl_render_json formats floats with the digits of their width). Nodes and
 * dtypes added while a line is written are dropped when the line is done.
 */
#include "show.h"

#include "atomtext.h"
#include "dtype.h"
#include "ndarray.h"
#include "nodekeys.h"
#include "path.h"
#include "render.h"
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void jl_show_opts_default(jl_show_opts *o) {
    o->depth = JL_SHOW_ALL;
    o->max_children = 10;
    o->max_entries = 50;
    o->edge_items = 3;
    o->max_chars = 40;
}

/* Box-drawing pieces (UTF-8). */
#define TEE "\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 "  /* "├── " */
#define ELL "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 "  /* "└── " */
#define BAR "\xe2\x94\x82   "                        /* "│   " */
#define GAP "    "
#define DOTS "\xe2\x80\xa6"                          /* "…" */
#define ARROW "\xe2\x86\x92"                         /* "→" */

/* One open container: its children are being printed. */
typedef struct sframe {
    uint32_t node;
    uint64_t n;      /* children */
    uint64_t next;   /* index of the next child to print */
    uint64_t cursor; /* objects: jl_object_next_child cursor at child `next` */
    uint64_t klen;   /* length of this node's fullkey in sh->key */
    uint64_t plen;   /* length of its children's branch prefix in sh->prefix */
    uint64_t level;  /* 0 for the root */
} sframe;

/* Counts of the doc tables a line may append to. */
typedef struct dmark {
    uint64_t nnodes, narrays, ndtypes, nfields, ndims;
} dmark;

typedef struct shower {
    jl_doc *doc;
    jl_show_opts o;
    jl_buf *out;
    jl_error *err;
    jl_buf key;       /* fullkey of the current line */
    jl_buf prefix;    /* branch prefix ("│   │   ") */
    jl_buf tmp;       /* one rendered element (bounded) */
    jl_nodekeys seen; /* fullkeys of expanded nodes */
    sframe *st;       /* owned */
    uint64_t nst, cap;
    uint32_t tmpnode; /* scalar node for element previews on this line, or JL_NONE */
    uint64_t lines;
} shower;

static const jl_alloc *salloc(shower *sh) { return &sh->doc->alloc; }

static void mark_get(const jl_doc *doc, dmark *m) {
    m->nnodes = doc->nnodes;
    m->narrays = doc->narrays;
    m->ndtypes = doc->ndtypes;
    m->nfields = doc->nfields;
    m->ndims = doc->ndims;
}

static void mark_restore(jl_doc *doc, const dmark *m) {
    if (m->nnodes < doc->multi_nnodes) jl_doc_multi_forget(doc);
    if (doc->nnodes > m->nnodes) doc->nnodes = m->nnodes;
    if (doc->narrays > m->narrays) doc->narrays = m->narrays;
    if (doc->ndtypes > m->ndtypes) doc->ndtypes = m->ndtypes;
    if (doc->nfields > m->nfields) doc->nfields = m->nfields;
    if (doc->ndims > m->ndims) doc->ndims = m->ndims;
}

static void buf_trunc(jl_buf *b, uint64_t len) {
    if (b->p && len <= b->len) {
        b->len = len;
        b->p[len] = 0;
    }
}

/* ---- Python reprs of strings and bytes ------------------------------------------- */

/* Decodes one WTF-8 sequence at p[0..n) (n > 0): returns its length and
 * the code point; an invalid byte is one byte of U+FFFD. */
static unsigned wtf8_next(const uint8_t *p, uint64_t n, uint32_t *cp) {
    unsigned len = jl_utf8_next(p, n, JL_UTF8_SURROGATES, cp);
    if (len) return len;
    *cp = 0xFFFD;
    return 1;
}

/* Code points below U+10000 that Python's str.isprintable() rejects and
 * repr() escapes, as ranges: controls, separators and format characters
 * (the ones met in practice; unassigned code points are shown as they
 * are). Sorted. */
static const struct { uint16_t lo, hi; } unprintable[] = {
    { 0x7F, 0xA0 },     { 0xAD, 0xAD },     { 0x600, 0x605 },   { 0x61C, 0x61C },   { 0x6DD, 0x6DD },
    { 0x70F, 0x70F },   { 0x1680, 0x1680 }, { 0x180E, 0x180E }, { 0x2000, 0x200F }, { 0x2028, 0x202F },
    { 0x205F, 0x206F }, { 0x3000, 0x3000 }, { 0xD800, 0xDFFF }, { 0xE000, 0xF8FF }, { 0xFEFF, 0xFEFF },
    { 0xFFF9, 0xFFFB },
};

static int printable(uint32_t cp) {
    for (size_t k = 0; k < sizeof unprintable / sizeof unprintable[0]; k++)
        if (cp >= unprintable[k].lo && cp <= unprintable[k].hi) return 0;
    return 1;
}

/* One code point of a str repr quoted with `q`, escaped as Python does
 * (\\, \t, \n, \r, the quote; \xNN, \uNNNN for what is not printable,
 * lone surrogates included). */
static void repr_cp(jl_buf *b, uint32_t cp, char q) {
    switch (cp) {
    case '\\': jl_buf_puts(b, "\\\\"); return;
    case '\t': jl_buf_puts(b, "\\t"); return;
    case '\n': jl_buf_puts(b, "\\n"); return;
    case '\r': jl_buf_puts(b, "\\r"); return;
    default: break;
    }
    if (cp == (uint32_t)q) {
        jl_buf_putc(b, '\\');
        jl_buf_putc(b, q);
    } else if (cp < 0x20 || (cp >= 0x7F && cp < 0x100 && !printable(cp))) {
        jl_buf_printf(b, "\\x%02x", (unsigned)cp);
    } else if (cp < 0x10000 && !printable(cp)) {
        jl_buf_printf(b, "\\u%04x", (unsigned)cp);
    } else if (cp > 0x10FFFF) {
        jl_buf_printf(b, "\\U%08x", (unsigned)cp);
    } else {
        jl_buf_put_utf8(b, cp);
    }
}

/* Python's choice of quote: ' unless the text has ' and no ". */
static char pick_quote(int has_single, int has_double) { return has_single && !has_double ? '"' : '\''; }

/* A str (WTF-8) as Python's repr, cut after max characters: 'text',
 * 'first 40 characters'… (1000 chars). */
static void put_str_repr(jl_buf *b, const uint8_t *p, uint64_t n, uint32_t max) {
    if (n == 0) {
        jl_buf_puts(b, "''");
        return;
    }
    int s1 = memchr(p, '\'', (size_t)n) != NULL, s2 = memchr(p, '"', (size_t)n) != NULL;
    char q = pick_quote(s1, s2);
    uint64_t chars = 0, i = 0;
    jl_buf_putc(b, q);
    while (i < n && chars < max && !b->failed) {
        uint32_t cp;
        i += wtf8_next(p + i, n - i, &cp);
        repr_cp(b, cp, q);
        chars++;
    }
    jl_buf_putc(b, q);
    if (i < n) {
        uint64_t total = chars;
        while (i < n) {
            uint32_t cp;
            i += wtf8_next(p + i, n - i, &cp);
            total++;
        }
        jl_buf_printf(b, DOTS " (%llu chars)", (unsigned long long)total);
    }
}

/* A str of UCS-4 code points (numpy 'U' elements, trailing NULs already
 * stripped). */
static void put_ucs4_repr(jl_buf *b, const uint8_t *p, uint64_t count, uint32_t max) {
    int s1 = 0, s2 = 0;
    for (uint64_t k = 0; k < count; k++) {
        uint32_t cp;
        memcpy(&cp, p + 4 * k, 4);
        s1 |= cp == '\'';
        s2 |= cp == '"';
    }
    char q = pick_quote(s1, s2);
    jl_buf_putc(b, q);
    uint64_t k = 0;
    for (; k < count && k < max && !b->failed; k++) {
        uint32_t cp;
        memcpy(&cp, p + 4 * k, 4);
        repr_cp(b, cp, q);
    }
    jl_buf_putc(b, q);
    if (k < count) jl_buf_printf(b, DOTS " (%llu chars)", (unsigned long long)count);
}

/* Bytes as Python's repr, cut after max bytes: b'ab\x00'… (1000 bytes). */
static void put_bytes_repr(jl_buf *b, const uint8_t *p, uint64_t n, uint32_t max) {
    if (n == 0) {
        jl_buf_puts(b, "b''");
        return;
    }
    int s1 = memchr(p, '\'', (size_t)n) != NULL, s2 = memchr(p, '"', (size_t)n) != NULL;
    char q = pick_quote(s1, s2);
    uint64_t shown = n < max ? n : max;
    jl_buf_putc(b, 'b');
    jl_buf_putc(b, q);
    for (uint64_t k = 0; k < shown && !b->failed; k++) {
        uint8_t c = p[k];
        if (c == '\\') jl_buf_puts(b, "\\\\");
        else if (c == (uint8_t)q) {
            jl_buf_putc(b, '\\');
            jl_buf_putc(b, q);
        } else if (c == '\t') jl_buf_puts(b, "\\t");
        else if (c == '\n') jl_buf_puts(b, "\\n");
        else if (c == '\r') jl_buf_puts(b, "\\r");
        else if (c < 0x20 || c >= 0x7F) jl_buf_printf(b, "\\x%02x", c);
        else jl_buf_putc(b, (char)c);
    }
    jl_buf_putc(b, q);
    if (shown < n) jl_buf_printf(b, DOTS " (%llu bytes)", (unsigned long long)n);
}

/* Appends text cut after max code points, with "…" when cut. */
static void put_cut(jl_buf *b, const char *s, uint64_t n, uint32_t max, int cut) {
    uint64_t i = 0, chars = 0;
    while (i < n && chars < max) {
        uint32_t cp;
        i += wtf8_next((const uint8_t *)s + i, n - i, &cp);
        chars++;
    }
    jl_buf_append(b, s, i);
    if (cut || i < n) jl_buf_puts(b, DOTS);
}

/* ---- numbers ---------------------------------------------------------------------- */

/* A double as Python's repr, with nan, inf and -inf. */
static void put_float(jl_buf *b, double v) {
    if (isnan(v)) jl_buf_puts(b, "nan");
    else if (isinf(v)) jl_buf_puts(b, v < 0 ? "-inf" : "inf");
    else jl_render_double(b, v);
}

/* The special value of a native float of `size` bytes at p, or NULL. */
static const char *float_special(const uint8_t *p, uint64_t size) {
    int nan = 0, inf = 0, neg = 0;
    if (size == 2) {
        uint16_t h;
        memcpy(&h, p, 2);
        if ((h & 0x7C00) != 0x7C00) return NULL;
        nan = (h & 0x3FF) != 0;
        inf = !nan;
        neg = (h & 0x8000) != 0;
    } else if (size == 4) {
        float v;
        memcpy(&v, p, 4);
        nan = isnan(v), inf = isinf(v), neg = signbit(v);
    } else if (size == 8) {
        double v;
        memcpy(&v, p, 8);
        nan = isnan(v), inf = isinf(v), neg = signbit(v);
    } else if (size == sizeof(long double)) {
        long double v;
        memcpy(&v, p, sizeof v);
        nan = isnan(v), inf = isinf(v), neg = signbit(v);
    }
    if (nan) return "nan";
    if (inf) return neg ? "-inf" : "inf";
    return NULL;
}

/* A float's repr text "2.0" as Python writes it inside a complex: "2". */
static void put_complex_part(jl_buf *b, const char *s, size_t n) {
    if (n >= 2 && s[n - 2] == '.' && s[n - 1] == '0') n -= 2;
    jl_buf_append(b, s, n);
}

/* (re+imj) from the two parts' texts, as Python's complex repr. */
static void put_complex_text(jl_buf *b, const char *re, size_t nre, const char *im, size_t nim) {
    if (nre == 3 && memcmp(re, "0.0", 3) == 0) { /* a +0 real part is left out: 1j */
        put_complex_part(b, im, nim);
        jl_buf_putc(b, 'j');
        return;
    }
    jl_buf_putc(b, '(');
    put_complex_part(b, re, nre);
    if (!(nim && im[0] == '-')) jl_buf_putc(b, '+');
    put_complex_part(b, im, nim);
    jl_buf_puts(b, "j)");
}

static void put_complex(jl_buf *b, double re, double im) {
    char t[2][64];
    jl_buf x;
    for (int k = 0; k < 2; k++) {
        jl_buf_init(&x, b->alloc, 60);
        put_float(&x, k ? im : re);
        snprintf(t[k], sizeof t[k], "%s", x.p && !x.failed ? x.p : "?");
        jl_buf_free(&x);
    }
    put_complex_text(b, t[0], strlen(t[0]), t[1], strlen(t[1]));
}

/* ---- element previews ---------------------------------------------------------------- */

/* Renders scalar-like node `id` as JSON into sh->tmp (bounded: a long
 * rendering is cut). Returns JL_OK (check sh->tmp.failed == JL_E_LIMIT for
 * a cut text) or a real error. */
static int json_tmp(shower *sh, uint32_t id) {
    jl_error e;
    jl_error_clear(&e);
    buf_trunc(&sh->tmp, 0);
    sh->tmp.failed = 0;
    int rc = jl_render_json(sh->doc, id, &sh->tmp, &e);
    if (rc && sh->tmp.failed != JL_E_LIMIT) {
        if (rc == JL_E_NOMEM || sh->tmp.failed == JL_E_NOMEM)
            return jl_fail(sh->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
        /* an element the renderer refuses is shown as "?" */
        buf_trunc(&sh->tmp, 0);
        sh->tmp.failed = 0;
        return jl_buf_putc(&sh->tmp, '?');
    }
    return JL_OK;
}

static void put_tmp(shower *sh, jl_buf *b) {
    int cut = sh->tmp.failed == JL_E_LIMIT;
    put_cut(b, sh->tmp.p ? sh->tmp.p : "", sh->tmp.len, sh->o.max_chars, cut);
    sh->tmp.failed = 0;
}

/* The value of scalar node `id` (a numpy scalar or a temporary one over an
 * array element), as numpy writes it in an array: True, 3, 1.5, nan,
 * (1+2j), 'text', b'bytes', '2020-01-01', NaT, structured values as JSON. */
static int put_elem(shower *sh, uint32_t id, jl_buf *b) {
    jl_doc *doc = sh->doc;
    const jl_array *a = jl_array_of(doc, id);
    if (a->dtype >= doc->ndtypes) return jl_buf_putc(b, '?');
    const jl_dtype *d = &doc->dtypes[a->dtype];
    int plain = !d->nfields && d->sub_base == JL_NONE && !d->has_object;
    const uint8_t *p;
    uint64_t n, size = d->itemsize;
    uint8_t *owned = NULL;
    jl_error e;
    jl_error_clear(&e);
    if (jl_array_native_bytes(doc, id, &p, &n, &owned, &e) != JL_OK) {
        if (e.code == JL_E_NOMEM) return jl_fail(sh->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
        return jl_buf_putc(b, '?');
    }
    int rc = JL_OK;
    const char *special;
    int64_t s = 0;
    uint64_t u = 0;
    char kind = plain ? d->kind : 0;
    switch (kind) {
    case 'b':
        jl_buf_puts(b, size && p[0] ? "True" : "False");
        break;
    case 'i':
    case 'u':
        switch (size) {
        case 1: { int8_t v; memcpy(&v, p, 1); s = v; u = (uint8_t)v; break; }
        case 2: { int16_t v; memcpy(&v, p, 2); s = v; u = (uint16_t)v; break; }
        case 4: { int32_t v; memcpy(&v, p, 4); s = v; u = (uint32_t)v; break; }
        case 8: { int64_t v; memcpy(&v, p, 8); s = v; u = (uint64_t)v; break; }
        default: kind = 0; break;
        }
        if (kind == 'i') jl_buf_printf(b, "%lld", (long long)s);
        else if (kind == 'u') jl_buf_printf(b, "%llu", (unsigned long long)u);
        else jl_buf_putc(b, '?');
        break;
    case 'f':
        if ((special = float_special(p, size))) jl_buf_puts(b, special);
        else if (!(rc = json_tmp(sh, id))) put_tmp(sh, b);
        break;
    case 'c': {
        /* JSON gives [re,im] with each part at its width's digits, null
         * for nan/inf: the parts are put back as Python writes a complex */
        const char *sp[2] = { float_special(p, size / 2), float_special(p + size / 2, size / 2) };
        if ((rc = json_tmp(sh, id))) break;
        const char *t = sh->tmp.p ? sh->tmp.p : "";
        const char *comma = strchr(t, ',');
        size_t len = strlen(t);
        if (t[0] != '[' || !comma || len < 2 || t[len - 1] != ']' || sh->tmp.failed) {
            put_tmp(sh, b);
            break;
        }
        const char *re = sp[0] ? sp[0] : t + 1, *im = sp[1] ? sp[1] : comma + 1;
        size_t nre = sp[0] ? strlen(sp[0]) : (size_t)(comma - t - 1);
        size_t nim = sp[1] ? strlen(sp[1]) : (size_t)(t + len - 1 - comma - 1);
        put_complex_text(b, re, nre, im, nim);
        break;
    }
    case 'S': {
        uint64_t m = size;
        while (m > 0 && p[m - 1] == 0) m--;
        put_bytes_repr(b, p, m, sh->o.max_chars);
        break;
    }
    case 'V':
        put_bytes_repr(b, p, size, sh->o.max_chars);
        break;
    case 'U': {
        uint64_t m = size / 4;
        uint32_t cp;
        while (m > 0 && (memcpy(&cp, p + 4 * (m - 1), 4), cp == 0)) m--;
        put_ucs4_repr(b, p, m, sh->o.max_chars);
        break;
    }
    case 'M':
    case 'm':
        if ((rc = json_tmp(sh, id))) break;
        if (sh->tmp.len == 4 && memcmp(sh->tmp.p, "null", 4) == 0) {
            jl_buf_puts(b, "NaT");
        } else if (sh->tmp.len >= 2 && sh->tmp.p[0] == '"' && sh->tmp.p[sh->tmp.len - 1] == '"') {
            /* ISO text: no escapes inside */
            jl_buf_putc(b, '\'');
            jl_buf_append(b, sh->tmp.p + 1, sh->tmp.len - 2);
            jl_buf_putc(b, '\'');
        } else {
            put_tmp(sh, b);
        }
        break;
    default: /* structured, subarray, anything else: its JSON */
        if (!(rc = json_tmp(sh, id))) put_tmp(sh, b);
        break;
    }
    jl_free(&doc->alloc, owned);
    return rc;
}

/* The scalar node used to preview elements on this line (created once per
 * line, dropped with the line). JL_NONE when the doc is full. */
static uint32_t temp_scalar(shower *sh) {
    if (sh->tmpnode != JL_NONE) return sh->tmpnode;
    jl_doc *doc = sh->doc;
    uint32_t ai = jl_array_new(doc, NULL);
    if (ai == JL_NONE) return JL_NONE;
    uint32_t id = jl_node_new(doc, JL_SCALAR, NULL);
    if (id == JL_NONE) return JL_NONE;
    doc->nodes[id].u.ext = ai;
    jl_array *t = &doc->arrays[ai];
    memset(t, 0, sizeof *t);
    t->cls = JL_NONE;
    t->items = JL_NONE;
    t->file = JL_NONE;
    t->order = 'C';
    t->is_scalar = 1;
    t->origin = JL_ORIGIN_VIEW;
    sh->tmpnode = id;
    return id;
}

/* Byte offset of the element at flat C-order index k of array a. */
static uint64_t elem_offset(const jl_doc *doc, const jl_array *a, uint64_t k, uint64_t itemsize) {
    if (a->order != 'F' || a->ndim < 2) return k * itemsize;
    const uint64_t *dims = doc->dims + a->dims_at;
    uint64_t idx[256];
    for (unsigned j = a->ndim; j-- > 0;) { /* C order: the last axis moves fastest */
        idx[j] = k % dims[j];
        k /= dims[j];
    }
    uint64_t off = 0, stride = 1; /* F order: the first axis moves fastest */
    for (unsigned j = 0; j < a->ndim; j++) {
        off += idx[j] * stride;
        stride *= dims[j];
    }
    return off * itemsize;
}

static int put_item(shower *sh, uint32_t id, jl_buf *b);

/* Element k (flat, C order) of ndarray node `id`. */
static int put_array_elem(shower *sh, uint32_t id, uint64_t k, jl_buf *b) {
    jl_doc *doc = sh->doc;
    const jl_array *a = jl_array_of(doc, id);
    if (a->items != JL_NONE) return put_item(sh, jl_kids_of(doc, a->items)[k], b);
    uint32_t t = temp_scalar(sh);
    if (t == JL_NONE) return jl_buf_putc(b, '?');
    a = jl_array_of(doc, id); /* temp_scalar may have moved the arrays */
    jl_array *ta = jl_array_of(doc, t);
    uint64_t size = doc->dtypes[a->dtype].itemsize;
    ta->dtype = a->dtype;
    ta->data.block = a->data.block;
    ta->data.off = a->data.off + elem_offset(doc, a, k, size);
    ta->data.len = size;
    return put_elem(sh, t, b);
}

/* "[e0, e1, e2, …, e7, e8, e9]" of an ndarray (a 0-d array: its element). */
static int put_array_preview(shower *sh, uint32_t id, jl_buf *b) {
    jl_doc *doc = sh->doc;
    const jl_array *a = jl_array_of(doc, id);
    if (a->dtype >= doc->ndtypes) return JL_OK;
    uint64_t count, edge = sh->o.edge_items, need;
    if (a->items != JL_NONE) {
        if (a->items >= doc->nnodes || !jl_is_container(doc->nodes[a->items].kind)) return JL_OK;
        count = doc->nodes[a->items].len;
    } else {
        count = jl_array_count(doc, a);
        if (doc->dtypes[a->dtype].has_object) return JL_OK;
        if (jl_mul_overflow(count, doc->dtypes[a->dtype].itemsize, &need) || a->data.len < need ||
            a->data.block >= doc->nblocks)
            return JL_OK; /* data the decoder did not vouch for: no preview */
    }
    jl_buf_puts(b, " = ");
    if (a->ndim == 0 && count == 1) return put_array_elem(sh, id, 0, b);
    jl_buf_putc(b, '[');
    for (uint64_t k = 0; k < count && !b->failed; k++) {
        if (count > 2 * edge && k == edge) {
            jl_buf_puts(b, ", " DOTS);
            k = count - edge;
        }
        if (k) jl_buf_puts(b, ", ");
        int rc = put_array_elem(sh, id, k, b);
        if (rc) return rc;
    }
    return jl_buf_putc(b, ']');
}

/* An atom as Python writes it (None, True, 3, 1.5, (1+2j), 'text', b'x'). */
static int put_atom(shower *sh, uint32_t id, jl_buf *b) {
    jl_doc *doc = sh->doc;
    const jl_node *nd = &doc->nodes[id];
    const uint8_t *p = nd->kind >= JL_COMPLEX && nd->kind <= JL_BYTEARRAY ? jl_ref_ptr(doc, jl_node_ref(doc, id)) : NULL;
    switch (nd->kind) {
    case JL_NULL: return jl_buf_puts(b, "None");
    case JL_BOOL: return jl_buf_puts(b, nd->u.i ? "True" : "False");
    case JL_INT: {
        if (!(nd->flags & JL_F_BIG)) return jl_buf_printf(b, "%lld", (long long)nd->u.i);
        buf_trunc(&sh->tmp, 0);
        sh->tmp.failed = 0;
        uint64_t max = sh->tmp.max;
        sh->tmp.max = 0; /* the digits are counted, then cut */
        int rc = jl_render_int(doc, id, &sh->tmp);
        sh->tmp.max = max;
        if (rc == JL_E_NOMEM || sh->tmp.failed == JL_E_NOMEM)
            return jl_fail(sh->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
        if (rc || sh->tmp.failed) {
            sh->tmp.failed = 0;
            return jl_buf_printf(b, "<int of %u bytes>", nd->len);
        }
        uint64_t digits = sh->tmp.len - (sh->tmp.p[0] == '-');
        if (digits <= sh->o.max_chars) return jl_buf_append(b, sh->tmp.p, sh->tmp.len);
        jl_buf_append(b, sh->tmp.p, sh->o.max_chars + (sh->tmp.p[0] == '-'));
        return jl_buf_printf(b, DOTS " (%llu digits)", (unsigned long long)digits);
    }
    case JL_FLOAT: put_float(b, nd->u.f); return b->failed;
    case JL_COMPLEX: {
        double v[2] = { 0, 0 };
        if (nd->len == 16) memcpy(v, p, 16);
        put_complex(b, v[0], v[1]);
        return b->failed;
    }
    case JL_STR:
        /* a Python 2 str of non-ASCII bytes has no known encoding: its bytes */
        if ((nd->flags & JL_F_PY2) && !jl_is_ascii(p, nd->len)) {
            put_bytes_repr(b, p, nd->len, sh->o.max_chars);
            return b->failed;
        }
        put_str_repr(b, p, nd->len, sh->o.max_chars);
        return b->failed;
    case JL_BYTES:
    case JL_BYTEARRAY: put_bytes_repr(b, p, nd->len, sh->o.max_chars); return b->failed;
    case JL_SCALAR: return put_elem(sh, id, b);
    case JL_GLOBAL: return jl_render_global(doc, id, b);
    default: return jl_buf_putc(b, '?');
    }
}

/* An element of an object array: atoms by value, compound nodes as a
 * short sign ([…], (…), {…}, array(…), <module.Name>). */
static int put_item(shower *sh, uint32_t id, jl_buf *b) {
    jl_doc *doc = sh->doc;
    if (id >= doc->nnodes) return jl_buf_putc(b, '?');
    const jl_node *nd = &doc->nodes[id];
    int empty = nd->len == 0;
    switch (nd->kind) {
    case JL_LIST: return jl_buf_puts(b, empty ? "[]" : "[" DOTS "]");
    case JL_TUPLE: return jl_buf_puts(b, empty ? "()" : "(" DOTS ")");
    case JL_DICT: return jl_buf_puts(b, empty ? "{}" : "{" DOTS "}");
    case JL_SET: return jl_buf_puts(b, empty ? "set()" : "{" DOTS "}");
    case JL_FROZENSET: return jl_buf_puts(b, empty ? "frozenset()" : "frozenset({" DOTS "})");
    case JL_NDARRAY: return jl_buf_puts(b, "array(" DOTS ")");
    case JL_OBJECT:
        jl_buf_putc(b, '<');
        if (!jl_render_class(doc, id, b)) jl_buf_puts(b, "object");
        return jl_buf_putc(b, '>');
    default: return put_atom(sh, id, b);
    }
}

/* ---- one line ------------------------------------------------------------------------ */

/* Shape as a Python tuple: "(10,)", "(2, 3)", "()". */
static void put_shape(jl_buf *b, const jl_doc *doc, const jl_array *a) {
    jl_buf_putc(b, '(');
    for (unsigned k = 0; k < a->ndim; k++)
        jl_buf_printf(b, "%s%llu", k ? ", " : "", (unsigned long long)doc->dims[a->dims_at + k]);
    jl_buf_puts(b, a->ndim == 1 ? ",)" : ")");
}

/* " <f8" : the native descr of dtype dt. */
static int put_dtype(shower *sh, uint32_t dt, jl_buf *b) {
    jl_doc *doc = sh->doc;
    if (dt >= doc->ndtypes) return JL_OK;
    uint32_t nat = dt;
    jl_error e;
    jl_error_clear(&e);
    if (jl_dtype_native(doc, dt, &nat, &e) != JL_OK) {
        if (e.code == JL_E_NOMEM) return jl_fail(sh->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
        nat = dt;
    }
    jl_buf_putc(b, ' ');
    return jl_dtype_descr(doc, nat, b);
}

/* Number of children of an object node. */
static uint64_t object_children(const jl_doc *doc, uint32_t id) {
    uint64_t cursor = 0, n = 0, slot;
    uint32_t child;
    while (jl_object_next_child(doc, id, &cursor, &child, &slot)) n++;
    return n;
}

/* Number of children a node lists (0 for leaves). */
static uint64_t children_of(const jl_doc *doc, uint32_t id) {
    const jl_node *nd = &doc->nodes[id];
    if (nd->kind == JL_DICT) return nd->len / 2;
    if (jl_is_container(nd->kind)) return nd->len;
    if (nd->kind == JL_OBJECT) return object_children(doc, id);
    return 0;
}

/* TYPE[ CLASS][ DTYPE SHAPE][ len=N][ = PREVIEW] of node id. */
static int describe(shower *sh, uint32_t id, jl_buf *b) {
    jl_doc *doc = sh->doc;
    const jl_node *nd = &doc->nodes[id];
    int rc = JL_OK;
    jl_buf_puts(b, jl_kind_name(nd->kind));
    if (nd->kind == JL_OBJECT || nd->kind == JL_GLOBAL || nd->kind == JL_SCALAR || nd->kind == JL_NDARRAY) {
        uint64_t at = b->len;
        jl_buf_putc(b, ' ');
        if (!jl_render_class(doc, id, b)) buf_trunc(b, at);
    }
    switch (nd->kind) {
    case JL_NULL:
    case JL_GLOBAL:
    case JL_OBJECT:
        break;
    case JL_LIST:
    case JL_TUPLE:
    case JL_SET:
    case JL_FROZENSET:
    case JL_DICT:
        jl_buf_printf(b, " len=%llu", (unsigned long long)children_of(doc, id));
        break;
    case JL_NDARRAY: {
        const jl_array *a = jl_array_of(doc, id);
        if ((rc = put_dtype(sh, a->dtype, b))) break;
        jl_buf_putc(b, ' ');
        put_shape(b, doc, jl_array_of(doc, id));
        rc = put_array_preview(sh, id, b);
        break;
    }
    case JL_SCALAR:
        if ((rc = put_dtype(sh, jl_array_of(doc, id)->dtype, b))) break;
        jl_buf_puts(b, " = ");
        rc = put_elem(sh, id, b);
        break;
    default:
        jl_buf_puts(b, " = ");
        rc = put_atom(sh, id, b);
        break;
    }
    return rc;
}

static int out_failed(shower *sh) {
    if (sh->out->failed == JL_E_LIMIT)
        return jl_fail(sh->err, JL_E_LIMIT, JL_NO_OFFSET, "the text of the tree is longer than %llu bytes",
                       (unsigned long long)sh->out->max);
    return jl_fail(sh->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
}

/* Writes the line of node `id` whose key (the root path or a path step)
 * is sh->key[klen..]; connector NULL for the root. *expand is set when the
 * node's children should follow. */
static int line(shower *sh, uint32_t id, uint64_t plen, uint64_t klen, const char *connector,
                uint64_t level, int *expand) {
    jl_doc *doc = sh->doc;
    jl_buf *b = sh->out;
    *expand = 0;
    if (sh->lines++) jl_buf_putc(b, '\n');
    jl_buf_append(b, sh->prefix.p ? sh->prefix.p : "", plen);
    if (connector) jl_buf_puts(b, connector);
    jl_buf_append(b, sh->key.p + klen, sh->key.len - klen);
    jl_buf_puts(b, ": ");
    if (id >= doc->nnodes) {
        jl_buf_puts(b, "?");
        return b->failed ? out_failed(sh) : JL_OK;
    }
    uint8_t kind = doc->nodes[id].kind;
    if (jl_is_compound(kind)) {
        const char *first = jl_nodekeys_get(&sh->seen, id);
        if (first) {
            jl_buf_puts(b, "ref " ARROW " ");
            jl_buf_puts(b, first);
            return b->failed ? out_failed(sh) : JL_OK;
        }
    }
    dmark m;
    mark_get(doc, &m);
    sh->tmpnode = JL_NONE;
    int rc = describe(sh, id, b);
    mark_restore(doc, &m);
    sh->tmpnode = JL_NONE;
    /* real errors carry a message; a bare code is a buffer that failed */
    if (rc && sh->err->code != JL_OK) return rc;
    if (b->failed) return out_failed(sh);
    if (rc) return jl_fail(sh->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
    int has_kids = (jl_is_container(kind) || kind == JL_OBJECT) && children_of(doc, id) > 0;
    int open = has_kids && level < sh->o.depth;
    /* a container cut by the depth limit is not recorded: a later
     * occurrence higher up is still expanded */
    if (jl_is_compound(kind) && (open || !has_kids) && jl_nodekeys_put(&sh->seen, id, sh->key.p, sh->key.len))
        return jl_fail(sh->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
    *expand = open;
    return JL_OK;
}

static int push(shower *sh, uint32_t id, uint64_t level, const char *cont) {
    uint64_t max = sh->doc->limits.max_depth;
    if (max && sh->nst >= max)
        return jl_fail(sh->err, JL_E_LIMIT, JL_NO_OFFSET, "tree deeper than max_depth (%llu)",
                       (unsigned long long)max);
    if (sh->nst == sh->cap && jl_grow(salloc(sh), (void **)&sh->st, &sh->cap, sh->nst + 1, sizeof(sframe), 0))
        return jl_fail(sh->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
    uint64_t plen = sh->nst ? sh->st[sh->nst - 1].plen : 0;
    buf_trunc(&sh->prefix, plen);
    if (cont) jl_buf_puts(&sh->prefix, cont);
    if (sh->prefix.failed) return jl_fail(sh->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
    sframe *f = &sh->st[sh->nst++];
    memset(f, 0, sizeof *f);
    f->node = id;
    f->n = children_of(sh->doc, id);
    f->klen = sh->key.len;
    f->plen = sh->prefix.len;
    f->level = level;
    return JL_OK;
}

/* Child `f->next` of the frame's node: its id, and its path step appended
 * to sh->key. Advances the frame. */
static int next_child(shower *sh, sframe *f, uint32_t *child) {
    jl_doc *doc = sh->doc;
    const jl_node *nd = &doc->nodes[f->node];
    uint64_t i = f->next++;
    buf_trunc(&sh->key, f->klen);
    int rc;
    if (nd->kind == JL_DICT) {
        *child = jl_kids_of(doc, f->node)[2 * i + 1];
        rc = jl_path_step_entry(doc, f->node, i, &sh->key);
    } else if (nd->kind == JL_OBJECT) {
        uint64_t slot = 0;
        if (!jl_object_next_child(doc, f->node, &f->cursor, child, &slot)) {
            *child = JL_NONE;
            return JL_OK;
        }
        rc = jl_path_step_object(doc, f->node, slot, &sh->key);
    } else {
        *child = jl_kids_of(doc, f->node)[i];
        rc = jl_path_step_index(&sh->key, i);
    }
    if (rc == JL_E_NOMEM || sh->key.failed)
        return jl_fail(sh->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
    return JL_OK;
}

/* Skips children f->next .. to-1 without printing them. */
static void skip_to(shower *sh, sframe *f, uint64_t to) {
    if (sh->doc->nodes[f->node].kind == JL_OBJECT) {
        uint32_t child;
        uint64_t slot;
        while (f->next < to && jl_object_next_child(sh->doc, f->node, &f->cursor, &child, &slot)) f->next++;
    }
    f->next = to;
}

static int run(shower *sh, uint32_t root, const char *root_path) {
    int expand, rc;
    jl_buf_puts(&sh->key, root_path);
    if (sh->key.failed) return jl_fail(sh->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
    if ((rc = line(sh, root, 0, 0, NULL, 0, &expand))) return rc;
    if (expand && (rc = push(sh, root, 0, NULL))) return rc;
    while (sh->nst > 0) {
        sframe *f = &sh->st[sh->nst - 1];
        if (f->next >= f->n) {
            sh->nst--;
            continue;
        }
        uint8_t kind = sh->doc->nodes[f->node].kind;
        uint64_t maxc = kind == JL_DICT || kind == JL_OBJECT ? sh->o.max_entries : sh->o.max_children;
        if (f->n > maxc + 1 && f->next == maxc - 1) {
            /* "… N more", then the last child */
            if (sh->lines++) jl_buf_putc(sh->out, '\n');
            jl_buf_append(sh->out, sh->prefix.p ? sh->prefix.p : "", f->plen);
            jl_buf_printf(sh->out, TEE DOTS " %llu more", (unsigned long long)(f->n - maxc));
            if (sh->out->failed) return out_failed(sh);
            skip_to(sh, f, f->n - 1);
            continue;
        }
        uint32_t child;
        if ((rc = next_child(sh, f, &child))) return rc;
        if (child == JL_NONE) { /* an object with fewer children than counted */
            sh->nst--;
            continue;
        }
        int last = f->next == f->n;
        uint64_t level = f->level + 1;
        if ((rc = line(sh, child, f->plen, f->klen, last ? ELL : TEE, level, &expand))) return rc;
        if (expand && (rc = push(sh, child, level, last ? GAP : BAR))) return rc;
    }
    return JL_OK;
}

int jl_show(jl_doc *doc, uint32_t root, const char *root_path, const jl_show_opts *o, jl_buf *b,
            jl_error *err) {
    if (root >= doc->nnodes) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "show: %u is not a node", root);
    jl_error e; /* always there, and clear until the first error */
    jl_error_clear(&e);
    shower sh;
    memset(&sh, 0, sizeof sh);
    sh.doc = doc;
    if (o) sh.o = *o;
    else jl_show_opts_default(&sh.o);
    if (sh.o.max_children < 2) sh.o.max_children = 2;
    if (sh.o.max_entries < 2) sh.o.max_entries = 2;
    if (sh.o.edge_items < 1) sh.o.edge_items = 1;
    if (sh.o.max_chars < 1) sh.o.max_chars = 1;
    sh.out = b;
    sh.err = &e;
    sh.tmpnode = JL_NONE;
    const jl_alloc *a = &doc->alloc;
    jl_buf_init(&sh.key, a, 0);
    jl_buf_init(&sh.prefix, a, 0);
    /* an element's JSON beyond this many bytes is cut anyway */
    jl_buf_init(&sh.tmp, a, (uint64_t)sh.o.max_chars * 4 + 16);
    dmark m;
    mark_get(doc, &m);
    int rc;
    if (jl_nodekeys_init(&sh.seen, a) != JL_OK)
        rc = jl_fail(&e, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
    else
        rc = run(&sh, root, root_path ? root_path : "$");
    mark_restore(doc, &m);
    jl_nodekeys_free(&sh.seen);
    jl_free(a, sh.st);
    jl_buf_free(&sh.key);
    jl_buf_free(&sh.prefix);
    jl_buf_free(&sh.tmp);
    if (rc && e.code == JL_OK) jl_fail(&e, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing the tree");
    if (rc && err) *err = e;
    return rc;
}
