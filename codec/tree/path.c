/*
 * path.c - paths that select a node (README "Paths, types and values") and the steps
 * joblib_tree writes into fullkey.
 *
 * Grammar (after the leading '$'):
 *   [N]          element N of a list/tuple/set/frozenset; row N of an ndarray
 *   [#-N]        the N-th element / row / dict entry from the end ("[#]" = past the end)
 *   [literal]    on a dict: the key written as a JSON literal (3, -1, 1.5,
 *                1e999 for inf, true, null, "text", [1,"a"] for the tuple (1, 'a'))
 *   .name        str key of a dict; on an object, a key of its state dict,
 *                or .__args__ .__kwargs__ .__state__ .__items__ .__class__
 *   ."text"      str key written as a JSON string (escapes, \uXXXX, pairs)
 * A bare name runs to the next '.' or '[' (as in SQLite's JSON paths).
 * On an object, ."text", [literal] and [#-N] address its state dict.
 *
 * Keys match by exact type: [1] selects the int key 1, not True nor 1.0
 * (Python would treat them as one key; a real dict never holds both).
 * numpy scalar keys match the literal of their JSON value, but only when
 * no key of Python's own types matches it (find_entry: [0.1] selects 0.1
 * before numpy.float32(0.1)). A fullkey step is a literal only when that
 * literal selects exactly its entry: keytext.c refuses literals that read
 * back as another key (surrogate pairs), and a key holding a numpy scalar
 * keeps its literal only after matching it (jl_path_step_entry); every
 * other entry is written [#-K]. A Python 2 str
 * key matches a str step when it is ASCII (py2 attribute names); a
 * non-ASCII one is bytes of unknown encoding that could equal a unicode key
 * under some reading, so it is addressed by position ([#-K]) only. When a
 * dict holds equal keys, the last one wins.
 *
 * Errors are JL_E_PATH "bad path '$.a[': expected ']' at character 4",
 * where the character is the 0-based offset where parsing stopped.
 */
#include "path.h"

#include "arraytext.h"
#include "atomtext.h"
#include "keytext.h"
#include "ndarray.h"
#include "slots.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JL_PATH_MAX_LITERAL_DEPTH 64u /* [[[...]]] nesting inside one step */

/* ---- literals ---------------------------------------------------------- */

enum { L_NULL, L_TRUE, L_FALSE, L_INT, L_FLOAT, L_STR, L_ARR };

/* One parsed JSON literal value; arrays are followed by their elements
 * (pre-order), `size` entries in all. */
typedef struct lit {
    uint8_t t;
    uint8_t small;     /* L_INT: fits int64, value in i */
    int64_t i;
    double f;
    uint64_t off, len; /* L_INT: canonical digits, L_STR: bytes (WTF-8), in set->text */
    uint64_t count;    /* L_ARR: elements */
    uint64_t size;     /* entries of the subtree, itself included */
} lit;

typedef struct litset {
    lit *v; /* owned (alloc) */
    uint64_t n, cap;
    jl_buf text; /* owned */
    const jl_alloc *alloc;
} litset;

static void litset_init(litset *L, const jl_alloc *a) {
    memset(L, 0, sizeof *L);
    L->alloc = a;
    jl_buf_init(&L->text, a, 0);
}
static void litset_reset(litset *L) {
    L->n = 0;
    L->text.len = 0;
}
static void litset_free(litset *L) {
    jl_free(L->alloc, L->v);
    jl_buf_free(&L->text);
}

/* ---- the parser ---------------------------------------------------------- */

typedef struct pp {
    const char *s;
    size_t n, i;
    jl_error *err; /* NULL: parsing rendered text, errors are just "no" */
} pp;

static int bad(pp *p, size_t at, const char *what) {
    int cut = p->n > 80;
    return jl_fail(p->err, JL_E_PATH, JL_NO_OFFSET, "bad path '%.*s%s': %s at character %zu",
                   (int)(cut ? 77 : p->n), p->s, cut ? "..." : "", what, at);
}

static int nomem_path(jl_error *err) {
    return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory parsing a path");
}

/* A JSON string at s[i] == '"', decoded into out. */
static int parse_string(pp *p, jl_buf *out) {
    p->i++;
    for (;;) {
        size_t start = p->i;
        while (p->i < p->n && p->s[p->i] != '"' && p->s[p->i] != '\\') p->i++;
        jl_buf_append(out, p->s + start, p->i - start);
        if (p->i >= p->n) return bad(p, p->i, "expected '\"'");
        if (p->s[p->i] == '"') {
            p->i++;
            return out->failed ? nomem_path(p->err) : JL_OK;
        }
        size_t at = p->i++;
        if (p->i >= p->n) return bad(p, at, "bad escape");
        char e = p->s[p->i++];
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(from, e) : NULL;
        if (hit) {
            jl_buf_putc(out, to[hit - from]);
            continue;
        }
        if (e != 'u') return bad(p, at, "bad escape");
        uint32_t cp;
        unsigned len = jl_json_u_escape(p->s + p->i, p->n - p->i, &cp);
        if (!len) return bad(p, at, "bad \\u escape");
        p->i += len;
        jl_buf_put_utf8(out, cp);
    }
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static void skip_ws(pp *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static uint64_t lit_push(litset *L, uint8_t t) {
    if (L->n == L->cap && jl_grow(L->alloc, (void **)&L->v, &L->cap, L->n + 1, sizeof(lit), 0))
        return UINT64_MAX;
    lit *l = &L->v[L->n];
    memset(l, 0, sizeof *l);
    l->t = t;
    l->size = 1;
    return L->n++;
}

static int parse_number(pp *p, litset *L) {
    size_t st = p->i;
    int neg = 0;
    if (p->s[p->i] == '-') { neg = 1; p->i++; }
    if (p->i >= p->n || !is_digit(p->s[p->i])) return bad(p, p->i, "expected a digit");
    if (p->s[p->i] == '0') p->i++;
    else
        while (p->i < p->n && is_digit(p->s[p->i])) p->i++;
    size_t int_end = p->i;
    int isf = 0;
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (p->i >= p->n || !is_digit(p->s[p->i])) return bad(p, p->i, "expected a digit");
        while (p->i < p->n && is_digit(p->s[p->i])) p->i++;
        isf = 1;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (p->i >= p->n || !is_digit(p->s[p->i])) return bad(p, p->i, "expected a digit");
        while (p->i < p->n && is_digit(p->s[p->i])) p->i++;
        isf = 1;
    }
    uint64_t li = lit_push(L, isf ? L_FLOAT : L_INT);
    if (li == UINT64_MAX) return nomem_path(p->err);
    lit *l = &L->v[li];
    if (isf) {
        uint64_t off = L->text.len;
        jl_buf_append(&L->text, p->s + st, p->i - st);
        if (L->text.failed) return nomem_path(p->err);
        l->f = strtod(L->text.p + off, NULL);
        L->text.len = off;
        L->text.p[off] = 0;
        return JL_OK;
    }
    /* canonical digits: "-0" is "0" */
    size_t ds = st + (size_t)neg;
    if (int_end - ds == 1 && p->s[ds] == '0') neg = 0;
    l->off = L->text.len;
    if (neg) jl_buf_putc(&L->text, '-');
    jl_buf_append(&L->text, p->s + ds, int_end - ds);
    if (L->text.failed) return nomem_path(p->err);
    l->len = L->text.len - l->off;
    uint64_t mag = 0;
    int fits = 1;
    for (size_t k = ds; k < int_end && fits; k++)
        if (jl_mul_overflow(mag, 10, &mag) || jl_add_overflow(mag, (uint64_t)(p->s[k] - '0'), &mag)) fits = 0;
    if (fits && mag <= (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
        l->small = 1;
        l->i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    }
    return JL_OK;
}

static int parse_literal(pp *p, litset *L, unsigned depth) {
    skip_ws(p);
    if (p->i >= p->n) return bad(p, p->i, "expected ']'");
    if (depth > JL_PATH_MAX_LITERAL_DEPTH) return bad(p, p->i, "literal nested too deeply");
    char c = p->s[p->i];
    if (c == '"') {
        uint64_t li = lit_push(L, L_STR);
        if (li == UINT64_MAX) return nomem_path(p->err);
        uint64_t off = L->text.len;
        int rc = parse_string(p, &L->text);
        if (rc) return rc;
        L->v[li].off = off;
        L->v[li].len = L->text.len - off;
        return JL_OK;
    }
    if (c == '[') {
        uint64_t li = lit_push(L, L_ARR), count = 0;
        if (li == UINT64_MAX) return nomem_path(p->err);
        p->i++;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ']') p->i++;
        else
            for (;;) {
                int rc = parse_literal(p, L, depth + 1);
                if (rc) return rc;
                count++;
                skip_ws(p);
                if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
                if (p->i < p->n && p->s[p->i] == ']') { p->i++; break; }
                return bad(p, p->i, p->i < p->n ? "expected ',' or ']'" : "expected ']'");
            }
        L->v[li].count = count;
        L->v[li].size = L->n - li;
        return JL_OK;
    }
    if (c == '-' || is_digit(c)) return parse_number(p, L);
    static const struct { const char *word; uint8_t t; } words[] = {
        { "true", L_TRUE }, { "false", L_FALSE }, { "null", L_NULL }
    };
    for (unsigned k = 0; k < 3; k++) {
        size_t wl = strlen(words[k].word);
        if (p->n - p->i >= wl && memcmp(p->s + p->i, words[k].word, wl) == 0) {
            p->i += wl;
            return lit_push(L, words[k].t) == UINT64_MAX ? nomem_path(p->err) : JL_OK;
        }
    }
    return bad(p, p->i, "expected a JSON literal");
}

/* ---- matching keys --------------------------------------------------------- */

typedef struct mctx {
    const jl_doc *doc;
    litset *L;    /* the step's literal */
    litset K;     /* scratch: a scalar key's JSON value as literals */
    jl_buf tmp;   /* scratch: rendered keys */
    int rc;       /* first error (out of memory) */
    int strict;   /* 1: numpy scalar keys match nothing (the first pass) */
    jl_error *err;
} mctx;

/* A str key node against text s[0..n): the same bytes; a Python 2 str
 * only when ASCII. */
static int str_key_eq(const jl_doc *doc, const jl_node *k, const uint8_t *s, uint64_t n) {
    const uint8_t *kb = doc->blocks[k->block].p + k->u.off;
    if (k->len != n || (n && memcmp(kb, s, (size_t)n) != 0)) return 0;
    return !(k->flags & JL_F_PY2) || jl_is_ascii(kb, n);
}

static int lit_eq(const litset *A, uint64_t a, const litset *B, uint64_t b) {
    const lit *x = &A->v[a], *y = &B->v[b];
    if (x->t != y->t) return 0;
    switch (x->t) {
    case L_INT:
        if (x->small && y->small) return x->i == y->i;
        return x->len == y->len && memcmp(A->text.p + x->off, B->text.p + y->off, (size_t)x->len) == 0;
    case L_FLOAT: return x->f == y->f;
    case L_STR:
        return x->len == y->len && (x->len == 0 || memcmp(A->text.p + x->off, B->text.p + y->off, (size_t)x->len) == 0);
    case L_ARR: {
        if (x->count != y->count) return 0;
        uint64_t ca = a + 1, cb = b + 1;
        for (uint64_t k = 0; k < x->count; k++) {
            if (!lit_eq(A, ca, B, cb)) return 0;
            ca += A->v[ca].size;
            cb += B->v[cb].size;
        }
        return 1;
    }
    default: return 1;
    }
}

/* A numpy scalar key: its JSON value read back as a literal. */
static int scalar_match(mctx *m, uint32_t key, uint64_t li) {
    m->tmp.len = 0;
    jl_error e;
    jl_error_clear(&e);
    if (jl_render_array_json(m->doc, key, &m->tmp, &e)) return 0;
    if (m->tmp.len == 4 && memcmp(m->tmp.p, "null", 4) == 0) return 0; /* NaN, NaT: no literal */
    pp p = { m->tmp.p, m->tmp.len, 0, NULL };
    litset_reset(&m->K);
    if (parse_literal(&p, &m->K, 0) || p.i != p.n) return 0;
    return lit_eq(m->L, li, &m->K, 0);
}

static int key_match(mctx *m, uint32_t key, uint64_t li) {
    const jl_doc *doc = m->doc;
    if (key >= doc->nnodes) return 0;
    const jl_node *k = &doc->nodes[key];
    const lit *l = &m->L->v[li];
    if (k->kind == JL_SCALAR) return !m->strict && scalar_match(m, key, li);
    switch (l->t) {
    case L_NULL: return k->kind == JL_NULL;
    case L_TRUE:
    case L_FALSE: return k->kind == JL_BOOL && (k->u.i != 0) == (l->t == L_TRUE);
    case L_FLOAT: return k->kind == JL_FLOAT && k->u.f == l->f;
    case L_STR: return k->kind == JL_STR && str_key_eq(doc, k, (const uint8_t *)m->L->text.p + l->off, l->len);
    case L_INT:
        if (k->kind != JL_INT) return 0;
        if (!(k->flags & JL_F_BIG)) return l->small && k->u.i == l->i;
        m->tmp.len = 0;
        if (jl_render_int(doc, key, &m->tmp)) {
            if (m->tmp.failed) m->rc = JL_E_NOMEM;
            return 0;
        }
        return m->tmp.len == l->len && memcmp(m->tmp.p, m->L->text.p + l->off, (size_t)l->len) == 0;
    case L_ARR: {
        if (k->kind != JL_TUPLE || k->len != l->count) return 0;
        uint64_t c = li + 1, n = l->count;
        for (uint64_t j = 0; j < n; j++) {
            if (!key_match(m, jl_kids_of(doc, key)[j], c)) return 0;
            c += m->L->v[c].size;
        }
        return 1;
    }
    }
    return 0;
}

/* ---- selecting ------------------------------------------------------------- */

static int is_reserved(const uint8_t *s, uint64_t n) {
    static const char *const names[] = { JL_SLOT_NAME_TABLE("", "") };
    for (unsigned k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strlen(names[k]) == n && memcmp(names[k], s, (size_t)n) == 0) return 1;
    return 0;
}

/* The state dict of an object, or JL_NONE when its state is not a dict. */
static uint32_t state_dict(const jl_doc *doc, uint32_t obj) {
    uint32_t s = jl_object_of(doc, obj)->state;
    return s < doc->nnodes && doc->nodes[s].kind == JL_DICT ? s : JL_NONE;
}

static uint32_t dict_by_name(const jl_doc *doc, uint32_t d, const uint8_t *s, uint64_t n) {
    const uint32_t *k = jl_kids_of(doc, d);
    for (uint64_t i = doc->nodes[d].len / 2; i-- > 0;) {
        const jl_node *kn = &doc->nodes[k[2 * i]];
        if (kn->kind == JL_STR && str_key_eq(doc, kn, s, n)) return k[2 * i + 1];
    }
    return JL_NONE;
}

static uint32_t select_name(const jl_doc *doc, uint32_t cur, const uint8_t *s, uint64_t n, int quoted) {
    const jl_node *nd = &doc->nodes[cur];
    if (nd->kind == JL_DICT) return dict_by_name(doc, cur, s, n);
    if (nd->kind != JL_OBJECT) return JL_NONE;
    if (!quoted && is_reserved(s, n)) {
        const jl_object *o = jl_object_of(doc, cur);
        uint32_t r = JL_NONE;
        switch (s[2]) {
        case 'a': r = o->args; break;
        case 'k': r = o->kwargs; break;
        case 's': r = o->state; break;
        case 'i': r = o->listitems != JL_NONE ? o->listitems : o->dictitems; break;
        case 'c': r = o->cls; break;
        }
        return r < doc->nnodes ? r : JL_NONE;
    }
    uint32_t d = state_dict(doc, cur);
    return d == JL_NONE ? JL_NONE : dict_by_name(doc, d, s, n);
}

static uint64_t first_dim(const jl_doc *doc, uint32_t arr) {
    const jl_array *a = jl_array_of(doc, arr);
    return a->ndim && !a->is_scalar ? doc->dims[a->dims_at] : 0;
}

static int array_row(jl_doc *doc, uint32_t arr, uint64_t i, uint32_t *out, jl_error *err) {
    jl_error e;
    jl_error_clear(&e);
    *out = jl_array_row(doc, arr, i, &e);
    if (*out == JL_NONE && e.code != JL_OK) {
        if (err) *err = e;
        return e.code;
    }
    return JL_OK;
}

/* Position i (0-based) of a sequence, array or dict (the value of entry i). */
static int select_pos(jl_doc *doc, uint32_t cur, uint64_t i, uint32_t *out, jl_error *err) {
    const jl_node *nd = &doc->nodes[cur];
    *out = JL_NONE;
    if (nd->kind == JL_OBJECT) {
        cur = state_dict(doc, cur);
        if (cur == JL_NONE) return JL_OK;
        nd = &doc->nodes[cur];
    }
    if (jl_is_container(nd->kind) && nd->kind != JL_DICT) {
        if (i < nd->len) *out = jl_kids_of(doc, cur)[i];
    } else if (nd->kind == JL_DICT) {
        if (i < nd->len / 2) *out = jl_kids_of(doc, cur)[2 * i + 1];
    } else if (nd->kind == JL_NDARRAY) {
        if (i < first_dim(doc, cur)) return array_row(doc, cur, i, out, err);
    }
    return JL_OK;
}

static uint64_t count_of(const jl_doc *doc, uint32_t cur) {
    const jl_node *nd = &doc->nodes[cur];
    if (nd->kind == JL_OBJECT) {
        cur = state_dict(doc, cur);
        return cur == JL_NONE ? 0 : doc->nodes[cur].len / 2;
    }
    if (nd->kind == JL_DICT) return nd->len / 2;
    if (jl_is_container(nd->kind)) return nd->len;
    if (nd->kind == JL_NDARRAY) return first_dim(doc, cur);
    return 0;
}

/* The entry of dict d that literal L selects, or UINT64_MAX: the last key
 * matching it without numpy scalars (keys of Python's own types, as the
 * literal writes them), else the last key matching it with them (a
 * scalar matches the literal of its JSON value). So a key of Python's own
 * types is never hidden by a numpy scalar key that renders alike
 * (0.1 and numpy.float32(0.1), '2020-01-01' and a datetime64). */
static int find_entry(const jl_doc *doc, uint32_t d, litset *L, uint64_t *pair, jl_error *err) {
    mctx m;
    memset(&m, 0, sizeof m);
    m.doc = doc;
    m.L = L;
    m.err = err;
    litset_init(&m.K, &doc->alloc);
    jl_buf_init(&m.tmp, &doc->alloc, 0);
    const uint32_t *k = jl_kids_of(doc, d);
    *pair = UINT64_MAX;
    for (int pass = 0; pass < 2 && *pair == UINT64_MAX && !m.rc; pass++) {
        m.strict = pass == 0;
        for (uint64_t i = doc->nodes[d].len / 2; i-- > 0 && !m.rc;)
            if (key_match(&m, k[2 * i], 0)) {
                *pair = i;
                break;
            }
    }
    litset_free(&m.K);
    jl_buf_free(&m.tmp);
    return m.rc ? jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory matching a dict key") : JL_OK;
}

static int select_literal(jl_doc *doc, uint32_t cur, litset *L, uint32_t *out, jl_error *err) {
    const jl_node *nd = &doc->nodes[cur];
    const lit *l = &L->v[0];
    *out = JL_NONE;
    if ((jl_is_container(nd->kind) && nd->kind != JL_DICT) || nd->kind == JL_NDARRAY)
        return l->t == L_INT && l->small && l->i >= 0 ? select_pos(doc, cur, (uint64_t)l->i, out, err) : JL_OK;
    uint32_t d = nd->kind == JL_DICT ? cur : nd->kind == JL_OBJECT ? state_dict(doc, cur) : JL_NONE;
    if (d == JL_NONE) return JL_OK;
    uint64_t pair;
    int rc = find_entry(doc, d, L, &pair, err);
    if (!rc && pair != UINT64_MAX) *out = jl_kids_of(doc, d)[2 * pair + 1];
    return rc;
}

int jl_path_resolve(jl_doc *doc, uint32_t root, const char *path, size_t n, uint32_t *out, jl_error *err) {
    pp p = { path, n, 0, err };
    *out = JL_NONE;
    if (n == 0 || path[0] != '$') return bad(&p, 0, "expected '$'");
    p.i = 1;
    uint32_t cur = root < doc->nnodes ? root : JL_NONE;
    litset L;
    litset_init(&L, &doc->alloc);
    int rc = JL_OK;
    while (p.i < n && !rc) {
        char c = path[p.i];
        litset_reset(&L);
        if (c == '.') {
            p.i++;
            if (p.i < n && path[p.i] == '"') {
                if ((rc = parse_string(&p, &L.text))) break;
                if (cur != JL_NONE) cur = select_name(doc, cur, (const uint8_t *)L.text.p, L.text.len, 1);
            } else {
                size_t st = p.i;
                while (p.i < n && path[p.i] != '.' && path[p.i] != '[') p.i++;
                if (p.i == st) {
                    rc = bad(&p, p.i, "expected a name");
                    break;
                }
                if (cur != JL_NONE) cur = select_name(doc, cur, (const uint8_t *)path + st, p.i - st, 0);
            }
        } else if (c == '[') {
            p.i++;
            if (p.i < n && path[p.i] == '#') {
                p.i++;
                uint64_t k = 0;
                if (p.i < n && path[p.i] == '-') {
                    p.i++;
                    if (p.i >= n || !is_digit(path[p.i])) {
                        rc = bad(&p, p.i, "expected a digit");
                        break;
                    }
                    while (p.i < n && is_digit(path[p.i])) {
                        if (jl_mul_overflow(k, 10, &k) || jl_add_overflow(k, (uint64_t)(path[p.i] - '0'), &k))
                            k = UINT64_MAX;
                        p.i++;
                    }
                }
                if (p.i >= n || path[p.i] != ']') {
                    rc = bad(&p, p.i, "expected ']'");
                    break;
                }
                p.i++;
                if (cur != JL_NONE) {
                    uint64_t len = count_of(doc, cur);
                    if (k >= 1 && k <= len) rc = select_pos(doc, cur, len - k, &cur, err);
                    else cur = JL_NONE;
                }
            } else {
                if ((rc = parse_literal(&p, &L, 0))) break;
                skip_ws(&p);
                if (p.i >= n || path[p.i] != ']') {
                    rc = bad(&p, p.i, "expected ']'");
                    break;
                }
                p.i++;
                if (cur != JL_NONE) rc = select_literal(doc, cur, &L, &cur, err);
            }
        } else rc = bad(&p, p.i, "expected '.' or '['");
        if (!rc && L.text.failed) rc = nomem_path(err);
    }
    litset_free(&L);
    if (!rc) *out = cur;
    return rc;
}

/* ---- writing steps ------------------------------------------------------------ */

static int is_ident(const uint8_t *s, uint64_t n) {
    if (n == 0 || is_digit((char)s[0])) return 0;
    for (uint64_t k = 0; k < n; k++) {
        uint8_t c = s[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || is_digit((char)c))) return 0;
    }
    return 1;
}

static void buf_trunc(jl_buf *b, uint64_t len) {
    if (b->p && len <= b->len) {
        b->len = len;
        b->p[len] = 0;
    }
}

/* ".name" or ."text" for a str key node (JL_E_ARG: none, nothing appended). */
static int put_str_step(const jl_doc *doc, const jl_node *k, jl_buf *b, int bare_ok) {
    const uint8_t *s = doc->blocks[k->block].p + k->u.off;
    if ((k->flags & JL_F_PY2) && !jl_is_ascii(s, k->len)) return JL_E_ARG;
    uint64_t start = b->len;
    jl_buf_putc(b, '.');
    if (bare_ok && is_ident(s, k->len)) return jl_buf_append(b, s, k->len);
    int rc = jl_key_str_literal(doc, k, b);
    if (rc == JL_E_ARG) buf_trunc(b, start);
    return rc;
}

int jl_path_step_key(const jl_doc *doc, uint32_t key, jl_buf *b) {
    if (key >= doc->nnodes) return JL_E_ARG;
    const jl_node *k = &doc->nodes[key];
    if (k->kind == JL_STR) return put_str_step(doc, k, b, 1);
    uint64_t start = b->len;
    jl_buf_putc(b, '[');
    int rc = jl_key_literal(doc, key, b);
    if (rc == JL_E_ARG) {
        buf_trunc(b, start);
        return rc;
    }
    if (rc) return rc;
    return jl_buf_putc(b, ']');
}

int jl_path_step_index(jl_buf *b, uint64_t i) {
    /* on the walk's hot path: no printf */
    char tmp[24];
    int n = sizeof tmp;
    tmp[--n] = ']';
    do {
        tmp[--n] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    tmp[--n] = '[';
    return jl_buf_append(b, tmp + n, (uint64_t)(sizeof tmp - (size_t)n));
}

/* 1 when two keys may select the same entry by a path literal (same kind
 * and value; tuples element by element; deeper than a few levels, 1). */
static int same_key(const jl_doc *doc, uint32_t a, uint32_t b, unsigned depth) {
    if (a == b) return 1;
    const jl_node *x = &doc->nodes[a], *y = &doc->nodes[b];
    if (x->kind != y->kind) return 0;
    if (depth > 4) return 1; /* too deep to tell: say "maybe", the caller then uses a positional step */
    switch (x->kind) {
    case JL_NULL: return 1;
    case JL_BOOL: return x->u.i == y->u.i;
    case JL_FLOAT: return x->u.f == y->u.f;
    case JL_INT:
        if ((x->flags ^ y->flags) & JL_F_BIG) return 0;
        if (!(x->flags & JL_F_BIG)) return x->u.i == y->u.i;
        return x->len == y->len && memcmp(doc->blocks[x->block].p + x->u.off, doc->blocks[y->block].p + y->u.off, x->len) == 0;
    case JL_STR:
    case JL_BYTES:
        return x->len == y->len &&
               (x->len == 0 || memcmp(doc->blocks[x->block].p + x->u.off, doc->blocks[y->block].p + y->u.off, x->len) == 0);
    case JL_TUPLE:
        if (x->len != y->len) return 0;
        for (uint32_t i = 0; i < x->len; i++)
            if (!same_key(doc, jl_kids_of(doc, a)[i], jl_kids_of(doc, b)[i], depth + 1)) return 0;
        return 1;
    default: return 0;
    }
}

/* Dicts up to this many entries are checked for keys set again later
 * (only a crafted pickle has them; Python's dict keeps the last value). */
#define JL_PATH_DUP_SCAN 256

/* 1 when a later entry of `dict` has a key equal to that of entry `pair`:
 * a path literal would select the later one. */
static int shadowed(const jl_doc *doc, uint32_t dict, uint64_t pair) {
    uint64_t npairs = doc->nodes[dict].len / 2;
    if (npairs > JL_PATH_DUP_SCAN) return 0;
    const uint32_t *k = jl_kids_of(doc, dict);
    for (uint64_t j = pair + 1; j < npairs; j++)
        if (same_key(doc, k[2 * pair], k[2 * j], 0)) return 1;
    return 0;
}

/* 1 when key node `key` is or holds (in tuples) a numpy scalar. */
static int holds_scalar(const jl_doc *doc, uint32_t key, unsigned depth) {
    if (key >= doc->nnodes) return 0;
    const jl_node *k = &doc->nodes[key];
    if (k->kind == JL_SCALAR) return 1;
    if (k->kind != JL_TUPLE) return 0;
    if (depth > JL_PATH_MAX_LITERAL_DEPTH) return 1;
    for (uint32_t j = 0; j < k->len; j++)
        if (holds_scalar(doc, jl_kids_of(doc, key)[j], depth + 1)) return 1;
    return 0;
}

/* 1 when the literal lit[0..n) selects entry `pair` of dict d, as
 * jl_path_resolve would; -1 out of memory. */
static int literal_selects(const jl_doc *doc, uint32_t d, const char *text, uint64_t n, uint64_t pair) {
    pp p = { text, (size_t)n, 0, NULL };
    litset L;
    litset_init(&L, &doc->alloc);
    uint64_t got = UINT64_MAX;
    int ok = 0;
    if (!parse_literal(&p, &L, 0) && p.i == p.n) {
        if (find_entry(doc, d, &L, &got, NULL)) ok = -1;
        else ok = got == pair;
    } else if (L.text.failed) ok = -1;
    litset_free(&L);
    return ok;
}

int jl_path_step_entry(const jl_doc *doc, uint32_t dict, uint64_t pair, jl_buf *b) {
    const jl_node *d = &doc->nodes[dict];
    uint64_t npairs = d->len / 2, start = b->len;
    int rc = JL_E_ARG;
    if (pair < npairs && !shadowed(doc, dict, pair)) {
        uint32_t key = jl_kids_of(doc, dict)[2 * pair];
        /* a key holding a numpy scalar matches literals by its JSON value,
         * like other keys may: its literal is kept only when, matched as a
         * path, it selects this very entry (dicts small enough to check) */
        int scalar = holds_scalar(doc, key, 0);
        if (!scalar || npairs <= JL_PATH_DUP_SCAN) rc = jl_path_step_key(doc, key, b);
        if (!rc && scalar) {
            int ok = literal_selects(doc, dict, b->p + start + 1, b->len - start - 2, pair);
            if (ok < 0) return JL_E_NOMEM;
            if (!ok) {
                buf_trunc(b, start);
                rc = JL_E_ARG;
            }
        }
    }
    if (rc == JL_E_ARG) return jl_buf_printf(b, "[#-%llu]", (unsigned long long)(npairs - pair));
    return rc;
}

static int nonempty(const jl_doc *doc, uint32_t id) {
    if (id >= doc->nnodes) return 0;
    return !jl_is_container(doc->nodes[id].kind) || doc->nodes[id].len > 0;
}

/* Cursor: 0 args, 1 kwargs, 2 state (or its entries at JL_SLOT_ENTRY + i), 3 items, 4 end. */
int jl_object_next_child(const jl_doc *doc, uint32_t obj, uint64_t *cursor, uint32_t *child, uint64_t *slot) {
    const jl_object *o = jl_object_of(doc, obj);
    for (;;) {
        uint64_t c = *cursor;
        if (c >= JL_SLOT_ENTRY) {
            uint32_t d = state_dict(doc, obj);
            uint64_t i = c - JL_SLOT_ENTRY;
            if (d != JL_NONE && i < doc->nodes[d].len / 2) {
                *cursor = c + 1;
                *child = jl_kids_of(doc, d)[2 * i + 1];
                *slot = c;
                return 1;
            }
            *cursor = 3;
            continue;
        }
        switch (c) {
        case 0:
            *cursor = 1;
            if (nonempty(doc, o->args)) {
                *child = o->args;
                *slot = JL_SLOT_ARGS;
                return 1;
            }
            break;
        case 1:
            *cursor = 2;
            if (nonempty(doc, o->kwargs)) {
                *child = o->kwargs;
                *slot = JL_SLOT_KWARGS;
                return 1;
            }
            break;
        case 2:
            if (state_dict(doc, obj) != JL_NONE) {
                *cursor = JL_SLOT_ENTRY;
                break;
            }
            *cursor = 3;
            if (o->state < doc->nnodes) {
                *child = o->state;
                *slot = JL_SLOT_STATE;
                return 1;
            }
            break;
        case 3: {
            *cursor = 4;
            uint32_t items = o->listitems < doc->nnodes ? o->listitems : o->dictitems;
            if (items < doc->nnodes) {
                *child = items;
                *slot = JL_SLOT_ITEMS;
                return 1;
            }
            break;
        }
        default: return 0;
        }
    }
}

int jl_path_step_object(const jl_doc *doc, uint32_t obj, uint64_t slot, jl_buf *b) {
    switch (slot) {
    case JL_SLOT_ARGS: return jl_buf_puts(b, "." JL_SLOT_NAME_ARGS);
    case JL_SLOT_KWARGS: return jl_buf_puts(b, "." JL_SLOT_NAME_KWARGS);
    case JL_SLOT_STATE: return jl_buf_puts(b, "." JL_SLOT_NAME_STATE);
    case JL_SLOT_ITEMS: return jl_buf_puts(b, "." JL_SLOT_NAME_ITEMS);
    case JL_SLOT_CLASS: return jl_buf_puts(b, "." JL_SLOT_NAME_CLASS);
    default: break;
    }
    uint32_t d = state_dict(doc, obj);
    if (slot < JL_SLOT_ENTRY || d == JL_NONE) return JL_E_ARG;
    uint64_t i = slot - JL_SLOT_ENTRY;
    if (i >= doc->nodes[d].len / 2) return JL_E_ARG;
    const jl_node *k = &doc->nodes[jl_kids_of(doc, d)[2 * i]];
    if (k->kind == JL_STR && !shadowed(doc, d, i)) {
        const uint8_t *s = doc->blocks[k->block].p + k->u.off;
        int rc = put_str_step(doc, k, b, !is_reserved(s, k->len));
        if (rc != JL_E_ARG) return rc;
    }
    return jl_path_step_entry(doc, d, i, b);
}

size_t jl_path_step_end(const char *path, size_t n, size_t i) {
    if (i >= n) return n;
    if (path[i] == '.') {
        i++;
        if (i < n && path[i] == '"') {
            for (i++; i < n && path[i] != '"'; i++)
                if (path[i] == '\\') i++;
            i++;
        } else
            while (i < n && path[i] != '.' && path[i] != '[') i++;
    } else if (path[i] == '[') {
        unsigned depth = 0;
        for (; i < n; i++) {
            char c = path[i];
            if (c == '"') {
                for (i++; i < n && path[i] != '"'; i++)
                    if (path[i] == '\\') i++;
            } else if (c == '[') depth++;
            else if (c == ']' && --depth == 0) {
                i++;
                break;
            }
        }
    } else i++;
    return i < n ? i : n;
}

size_t jl_path_parent_len(const char *path, size_t n) {
    size_t i = 1, last = 1;
    while (i < n) {
        last = i;
        i = jl_path_step_end(path, n, i);
    }
    return n <= 1 ? 1 : last;
}
