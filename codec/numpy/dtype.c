/*
 * dtype.c - the numpy dtype model (dtype.h).
 *
 * Reads dtypes from pickled numpy.dtype objects (REDUCE args (typestr,
 * align, copy) + BUILD state of every version numpy wrote: 0 and 1 with
 * the field names under key -1, 3 with 8 items, 4 with datetime metadata;
 * Python 2 ints for flags and byte strings for codes), from descr strings
 * ("<f8", "|S5", "<U3", "<M8[ns]", "f8", "float64") and from JSON descrs
 * (numpy's dtype.descr written as JSON). Writes descrs back (numpy's
 * dtype.str / dtype.descr), converts byte order, checks shape sizes.
 *
 * One table of numpy's kinds (KINDS) drives parsing, descr output and
 * scalar class names. Dtypes are built bottom-up: a dtype's fields and
 * subarray base are created before it, so nesting is a DAG whose depth is
 * recorded in jl_dtype.depth and capped at JL_DTYPE_MAX_DEPTH.
 */
#include "dtype.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the dtype model assumes a little-endian host (native order '<')"
#endif
#define NATIVE '<'

/* ---- the kinds table ---------------------------------------------------- */

typedef struct kind_row {
    char kind;        /* numpy kind letter */
    char code;        /* numpy's one-letter type code, 0 when none */
    uint8_t size;     /* itemsize in bytes; 0 = flexible (S, U, V) */
    uint8_t align;    /* numpy's alignment on x86-64 */
    const char *name; /* numpy name (dtype.name for fixed sizes) */
    const char *cls;  /* numpy 1.x scalar class */
} kind_row;

static const kind_row KINDS[] = {
    {'b', '?', 1, 1, "bool", "numpy.bool_"},
    {'i', 'b', 1, 1, "int8", "numpy.int8"},
    {'i', 'h', 2, 2, "int16", "numpy.int16"},
    {'i', 'i', 4, 4, "int32", "numpy.int32"},
    {'i', 'q', 8, 8, "int64", "numpy.int64"},
    {'u', 'B', 1, 1, "uint8", "numpy.uint8"},
    {'u', 'H', 2, 2, "uint16", "numpy.uint16"},
    {'u', 'I', 4, 4, "uint32", "numpy.uint32"},
    {'u', 'Q', 8, 8, "uint64", "numpy.uint64"},
    {'f', 'e', 2, 2, "float16", "numpy.float16"},
    {'f', 'f', 4, 4, "float32", "numpy.float32"},
    {'f', 'd', 8, 8, "float64", "numpy.float64"},
    {'f', 0, 12, 4, "float96", "numpy.longdouble"},     /* 32-bit x86 long double */
    {'f', 'g', 16, 16, "float128", "numpy.longdouble"},
    {'c', 'F', 8, 4, "complex64", "numpy.complex64"},
    {'c', 'D', 16, 8, "complex128", "numpy.complex128"},
    {'c', 0, 24, 4, "complex192", "numpy.clongdouble"},
    {'c', 'G', 32, 16, "complex256", "numpy.clongdouble"},
    {'O', 'O', 8, 8, "object", "numpy.object_"},
    {'S', 'S', 0, 1, "bytes", "numpy.bytes_"},
    {'U', 'U', 0, 4, "str", "numpy.str_"},
    {'V', 'V', 0, 1, "void", "numpy.void"},
    {'M', 'M', 8, 8, "datetime64", "numpy.datetime64"},
    {'m', 'm', 8, 8, "timedelta64", "numpy.timedelta64"},
};
#define NKINDS (sizeof KINDS / sizeof KINDS[0])

/* Other spellings numpy accepts: name -> (kind, size; S/U/V: count). */
static const struct { const char *alias; char kind; uint8_t size; } ALIASES[] = {
    {"l", 'i', 8}, {"L", 'u', 8}, {"p", 'i', 8}, {"P", 'u', 8}, {"a", 'S', 0}, {"c", 'S', 1},
    {"bool_", 'b', 1}, {"bool8", 'b', 1}, {"byte", 'i', 1}, {"ubyte", 'u', 1},
    {"short", 'i', 2}, {"ushort", 'u', 2}, {"intc", 'i', 4}, {"uintc", 'u', 4},
    {"int", 'i', 8}, {"uint", 'u', 8}, {"int_", 'i', 8}, {"intp", 'i', 8}, {"uintp", 'u', 8},
    {"longlong", 'i', 8}, {"ulonglong", 'u', 8}, {"int0", 'i', 8}, {"uint0", 'u', 8},
    {"half", 'f', 2}, {"single", 'f', 4}, {"double", 'f', 8}, {"float", 'f', 8},
    {"float_", 'f', 8}, {"longdouble", 'f', 16}, {"longfloat", 'f', 16},
    {"csingle", 'c', 8}, {"complex", 'c', 16}, {"cdouble", 'c', 16}, {"complex_", 'c', 16},
    {"clongdouble", 'c', 32}, {"object_", 'O', 8}, {"object0", 'O', 8},
    {"str_", 'U', 0}, {"unicode", 'U', 0}, {"unicode_", 'U', 0}, {"str0", 'U', 0},
    {"bytes_", 'S', 0}, {"string_", 'S', 0}, {"bytes0", 'S', 0}, {"void0", 'V', 0},
};
#define NALIASES (sizeof ALIASES / sizeof ALIASES[0])

/* datetime64 / timedelta64 units (numpy's spelling, "generic" = no unit) */
static const char *const UNITS[] = {"Y", "M", "W", "D", "h", "m", "s", "ms",
                                    "us", "ns", "ps", "fs", "as", "generic"};
#define NUNITS (sizeof UNITS / sizeof UNITS[0])

static const kind_row *row_of(char kind, uint64_t itemsize) {
    for (size_t i = 0; i < NKINDS; i++) {
        const kind_row *r = &KINDS[i];
        if (r->kind == kind && (r->size == 0 || r->size == itemsize)) return r;
    }
    return NULL;
}

static int is_flexible(char kind) { return kind == 'S' || kind == 'U' || kind == 'V'; }

/* The byte order numpy reports for a dtype: '|' where it does not apply. */
static char norm_order(char kind, uint64_t itemsize, char order) {
    if (kind == 'b' || kind == 'S' || kind == 'V' || kind == 'O') return '|';
    if ((kind == 'i' || kind == 'u') && itemsize == 1) return '|';
    if (order == '>' || order == '<') return order;
    return NATIVE; /* '=', '|' on a multi-byte type: native */
}

/* Printable, escaped, truncated copy of s for error messages: at most
 * QUOTE_MAX bytes of s, then "...". */
#define QUOTE_MAX 48
static const char *quote(char *buf, size_t cap, const void *s, uint64_t n) {
    const uint8_t *p = s;
    size_t o = 0;
    for (uint64_t i = 0; i < n && o + 8 < cap; i++) {
        if (i >= QUOTE_MAX) { memcpy(buf + o, "...", 3); o += 3; break; }
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') buf[o++] = (char)c;
        else o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
    }
    buf[o] = 0;
    return buf;
}

/* ---- descr strings ------------------------------------------------------ */

/* A dtype without fields or subarray, before it is stored. */
typedef struct simple {
    char kind, order;
    uint64_t itemsize;
    uint32_t align;
    uint32_t unit_num;
    char unit[8];
} simple;

static int set_kind(simple *d, char kind, uint64_t size) {
    const kind_row *r = row_of(kind, size);
    if (!r) return -1;
    d->kind = kind;
    d->itemsize = r->size ? r->size : size;
    d->align = r->align;
    return 0;
}

/* Parses "[unit]" or "[Nunit]" of a datetime descr. */
static int parse_unit(const char *s, size_t n, simple *d) {
    if (n < 3 || s[0] != '[' || s[n - 1] != ']') return -1;
    size_t i = 1;
    uint64_t num = 0;
    int digits = 0;
    while (i < n - 1 && s[i] >= '0' && s[i] <= '9') {
        num = num * 10 + (uint64_t)(s[i++] - '0');
        if (num > INT32_MAX) return -1;
        digits = 1;
    }
    if (!digits) num = 1;
    if (num == 0) return -1;
    size_t ulen = n - 1 - i;
    for (size_t u = 0; u < NUNITS; u++) {
        if (strlen(UNITS[u]) == ulen && memcmp(s + i, UNITS[u], ulen) == 0) {
            memcpy(d->unit, UNITS[u], ulen + 1);
            d->unit_num = (uint32_t)num;
            return 0;
        }
    }
    return -1;
}

static int parse_simple(const char *s, size_t n, simple *d, jl_error *err) {
    char qb[200];
    memset(d, 0, sizeof *d);
    size_t i = 0;
    char order = '=';
    if (n && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) order = s[i++];
    const char *br = n > i ? memchr(s + i, '[', n - i) : NULL;
    const char *base = s + i;
    size_t blen = (br ? (size_t)(br - s) : n) - i;
    int ok = 0;
    /* a numpy name */
    for (size_t k = 0; k < NKINDS && !ok; k++)
        if (strlen(KINDS[k].name) == blen && memcmp(base, KINDS[k].name, blen) == 0)
            ok = set_kind(d, KINDS[k].kind, KINDS[k].size) == 0;
    for (size_t k = 0; k < NALIASES && !ok; k++)
        if (strlen(ALIASES[k].alias) == blen && memcmp(base, ALIASES[k].alias, blen) == 0)
            ok = set_kind(d, ALIASES[k].kind, ALIASES[k].size) == 0;
    /* a one-letter type code */
    if (!ok && blen == 1)
        for (size_t k = 0; k < NKINDS && !ok; k++)
            if (KINDS[k].code == base[0]) ok = set_kind(d, KINDS[k].kind, KINDS[k].size) == 0;
    /* kind letter + size ("i8", "S5", "U3": characters, "V12") */
    if (!ok && blen >= 2 && strchr("biufcSaUVOMm", base[0])) {
        uint64_t num = 0;
        size_t k = 1;
        for (; k < blen && base[k] >= '0' && base[k] <= '9'; k++) {
            num = num * 10 + (uint64_t)(base[k] - '0');
            if (num > JL_DTYPE_MAX_ITEMSIZE)
                return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "dtype '%s': itemsize too large",
                               quote(qb, sizeof qb, s, n));
        }
        if (k == blen) {
            char kind = base[0] == 'a' ? 'S' : base[0];
            if (kind == 'U') {
                if (num > JL_DTYPE_MAX_ITEMSIZE / 4)
                    return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "dtype '%s': itemsize too large",
                                   quote(qb, sizeof qb, s, n));
                num *= 4;
            }
            if (kind == 'O' && (num == 4 || num == 8)) num = 8; /* pointers of the writer */
            ok = set_kind(d, kind, num) == 0;
        }
    }
    if (!ok)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "unknown dtype '%s'", quote(qb, sizeof qb, s, n));
    if (d->kind == 'M' || d->kind == 'm') {
        if (br) {
            if (parse_unit(br, n - (size_t)(br - s), d))
                return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "dtype '%s': bad datetime unit",
                               quote(qb, sizeof qb, s, n));
        } else {
            memcpy(d->unit, "generic", 8);
            d->unit_num = 1;
        }
    } else if (br) {
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "unknown dtype '%s'", quote(qb, sizeof qb, s, n));
    }
    d->order = norm_order(d->kind, d->itemsize, order);
    return JL_OK;
}

static int make_simple(jl_doc *doc, const simple *s, uint32_t *out, jl_error *err) {
    uint32_t id = jl_dtype_new(doc, err);
    if (id == JL_NONE) return err ? err->code : JL_E_NOMEM;
    jl_dtype *d = &doc->dtypes[id];
    d->kind = s->kind;
    d->byteorder = norm_order(s->kind, s->itemsize, s->order);
    d->has_object = s->kind == 'O';
    d->sub_ndim = 0;
    d->sub_base = JL_NONE;
    d->itemsize = s->itemsize;
    d->alignment = s->align ? s->align : 1;
    d->nfields = 0;
    d->unit_num = s->unit_num;
    memcpy(d->unit, s->unit, sizeof d->unit);
    d->depth = 0;
    *out = id;
    return JL_OK;
}

int jl_dtype_parse(jl_doc *doc, const char *s, size_t n, uint32_t *out, jl_error *err) {
    simple sp;
    int rc = parse_simple(s, n, &sp, err);
    return rc ? rc : make_simple(doc, &sp, out, err);
}

/* ---- structured and subarray dtypes ------------------------------------- */

/* Stores a subarray dtype: dims[0..ndim) of base. itemsize_claim is the
 * size a pickle states (-1 when none); it must match. */
static int make_subarray(jl_doc *doc, uint32_t base, const uint64_t *dims, unsigned ndim,
                         int64_t itemsize_claim, int64_t align_claim, uint32_t *out, jl_error *err) {
    const jl_dtype *b = &doc->dtypes[base];
    if (ndim > JL_MAX_DIMS)
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "subarray dtype with %u dimensions (max %d)", ndim,
                       JL_MAX_DIMS);
    if (b->depth + 1 > JL_DTYPE_MAX_DEPTH)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "dtype nested deeper than %d levels",
                       JL_DTYPE_MAX_DEPTH);
    uint64_t size = b->itemsize;
    for (unsigned i = 0; i < ndim; i++)
        if (jl_mul_overflow(size, dims[i], &size) || size > JL_DTYPE_MAX_ITEMSIZE)
            return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "subarray dtype larger than %llu bytes",
                           (unsigned long long)JL_DTYPE_MAX_ITEMSIZE);
    if (itemsize_claim >= 0 && (uint64_t)itemsize_claim != size)
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET,
                       "subarray dtype claims itemsize %lld but its shape gives %llu",
                       (long long)itemsize_claim, (unsigned long long)size);
    uint32_t at = jl_dims_new(doc, ndim, err);
    if (at == JL_NONE) return err ? err->code : JL_E_NOMEM;
    for (unsigned i = 0; i < ndim; i++) doc->dims[at + i] = dims[i];
    uint32_t id = jl_dtype_new(doc, err);
    if (id == JL_NONE) return err ? err->code : JL_E_NOMEM;
    b = &doc->dtypes[base];
    jl_dtype *d = &doc->dtypes[id];
    d->kind = 'V';
    d->byteorder = '|';
    d->has_object = b->has_object;
    d->sub_ndim = (uint8_t)ndim;
    d->sub_base = base;
    d->sub_dims_at = at;
    d->itemsize = size;
    d->alignment = align_claim > 0 ? (uint32_t)align_claim : b->alignment;
    d->depth = (uint8_t)(b->depth + 1);
    *out = id;
    return JL_OK;
}

typedef struct span { uint64_t off, end; uint32_t i; } span;
typedef struct name_key { const uint8_t *p; uint64_t n; uint32_t i; } name_key;

static int cmp_span(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int cmp_key(const void *a, const void *b) {
    const name_key *x = a, *y = b;
    uint64_t n = x->n < y->n ? x->n : y->n;
    int c = n ? memcmp(x->p, y->p, (size_t)n) : 0;
    if (c) return c;
    if (x->n != y->n) return x->n < y->n ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Checks fields f[0..nf) of a structured dtype of `itemsize` bytes: each
 * inside the item, no two overlapping, no name twice. */
static int check_fields(jl_doc *doc, const jl_field *f, uint64_t nf, uint64_t itemsize, jl_error *err) {
    char qa[200], qb[200];
    int rc = JL_OK;
    span *sp = NULL;
    name_key *keys = NULL;
    if (nf == 0) return JL_OK;
    sp = jl_malloc(&doc->alloc, (size_t)nf * sizeof *sp);
    keys = jl_malloc(&doc->alloc, (size_t)nf * sizeof *keys);
    if (!sp || !keys) {
        rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory checking %llu dtype fields",
                     (unsigned long long)nf);
        goto done;
    }
    for (uint64_t i = 0; i < nf; i++) {
        uint64_t size = doc->dtypes[f[i].dtype].itemsize, end;
        if (jl_add_overflow(f[i].offset, size, &end) || end > itemsize) {
            rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET,
                         "dtype field '%s' (offset %llu, %llu bytes) exceeds the itemsize %llu",
                         quote(qa, sizeof qa, jl_ref_ptr(doc, f[i].name), f[i].name.len),
                         (unsigned long long)f[i].offset, (unsigned long long)size,
                         (unsigned long long)itemsize);
            goto done;
        }
        sp[i] = (span){f[i].offset, end, (uint32_t)i};
        keys[i] = (name_key){jl_ref_ptr(doc, f[i].name), f[i].name.len, (uint32_t)i};
    }
    qsort(sp, (size_t)nf, sizeof *sp, cmp_span);
    uint64_t prev = UINT64_MAX; /* index in sp of the last non-empty field */
    for (uint64_t i = 0; i < nf; i++) {
        if (sp[i].end == sp[i].off) continue;
        if (prev != UINT64_MAX && sp[prev].end > sp[i].off) {
            const jl_field *a = &f[sp[prev].i], *b = &f[sp[i].i];
            rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "dtype fields '%s' and '%s' overlap",
                         quote(qa, sizeof qa, jl_ref_ptr(doc, a->name), a->name.len),
                         quote(qb, sizeof qb, jl_ref_ptr(doc, b->name), b->name.len));
            goto done;
        }
        prev = i;
    }
    qsort(keys, (size_t)nf, sizeof *keys, cmp_key);
    for (uint64_t i = 1; i < nf; i++) {
        if (keys[i].n == keys[i - 1].n && (keys[i].n == 0 || !memcmp(keys[i].p, keys[i - 1].p, keys[i].n))) {
            rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "dtype field name '%s' occurs twice",
                         quote(qa, sizeof qa, keys[i].p, keys[i].n));
            goto done;
        }
    }
done:
    jl_free(&doc->alloc, sp);
    jl_free(&doc->alloc, keys);
    return rc;
}

/* Stores a structured dtype from fields f[0..nf) (already checked). */
static int make_struct(jl_doc *doc, const jl_field *f, uint64_t nf, uint64_t itemsize, uint32_t align,
                       uint32_t *out, jl_error *err) {
    unsigned depth = 0;
    int has_object = 0;
    if (itemsize > JL_DTYPE_MAX_ITEMSIZE)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "structured dtype of %llu bytes is too large",
                       (unsigned long long)itemsize);
    for (uint64_t i = 0; i < nf; i++) {
        const jl_dtype *c = &doc->dtypes[f[i].dtype];
        if (c->depth > depth) depth = c->depth;
        has_object |= c->has_object;
    }
    if (nf && depth + 1 > JL_DTYPE_MAX_DEPTH)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "dtype nested deeper than %d levels",
                       JL_DTYPE_MAX_DEPTH);
    uint32_t at = 0;
    if (nf) {
        at = jl_fields_new(doc, nf, err);
        if (at == JL_NONE) return err ? err->code : JL_E_NOMEM;
        memcpy(doc->fields + at, f, (size_t)nf * sizeof *f);
    }
    uint32_t id = jl_dtype_new(doc, err);
    if (id == JL_NONE) return err ? err->code : JL_E_NOMEM;
    jl_dtype *d = &doc->dtypes[id];
    d->kind = 'V';
    d->byteorder = '|';
    d->has_object = (uint8_t)has_object;
    d->itemsize = itemsize;
    d->alignment = align ? align : 1;
    d->nfields = (uint32_t)nf;
    d->fields_at = at;
    d->depth = (uint8_t)(nf ? depth + 1 : 0);
    *out = id;
    return JL_OK;
}

/* ---- pickled numpy.dtype ------------------------------------------------ */

static int node_text(const jl_doc *doc, uint32_t id, const uint8_t **p, uint64_t *n) {
    if (id == JL_NONE) return -1;
    const jl_node *nd = jl_node_at(doc, id);
    if (nd->kind != JL_STR && nd->kind != JL_BYTES && nd->kind != JL_BYTEARRAY) return -1;
    *p = jl_ref_ptr(doc, jl_node_ref(doc, id));
    *n = nd->len;
    return 0;
}

static int node_int(const jl_doc *doc, uint32_t id, int64_t *v) {
    if (id == JL_NONE) return -1;
    const jl_node *nd = jl_node_at(doc, id);
    if ((nd->kind != JL_INT && nd->kind != JL_BOOL) || (nd->flags & JL_F_BIG)) return -1;
    *v = nd->u.i;
    return 0;
}

static int is_none(const jl_doc *doc, uint32_t id) {
    return id == JL_NONE || jl_node_at(doc, id)->kind == JL_NULL;
}

static int is_seq(const jl_doc *doc, uint32_t id) {
    if (id == JL_NONE) return 0;
    uint8_t k = jl_node_at(doc, id)->kind;
    return k == JL_TUPLE || k == JL_LIST;
}

/* The parsed dtype of a nested numpy.dtype object node. */
static int nested_dtype(const jl_doc *doc, uint32_t id, uint32_t *dt) {
    if (id == JL_NONE || jl_node_at(doc, id)->kind != JL_OBJECT) return -1;
    *dt = jl_object_of(doc, id)->dtype;
    return *dt == JL_NONE ? -1 : 0;
}

static int bad_state(jl_error *err, const char *what) {
    return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "pickled numpy.dtype: %s", what);
}

/* Fields from the names sequence and the fields dict of a dtype state. */
static int pickle_fields(jl_doc *doc, uint32_t names, uint32_t fields, int64_t elsize, int64_t align,
                         uint32_t *out, jl_error *err) {
    char qa[200];
    int rc = JL_OK;
    uint64_t nf = jl_node_at(doc, names)->len, npairs = jl_node_at(doc, fields)->len / 2;
    jl_field *f = NULL;
    name_key *keys = NULL;
    if (elsize < 0) return bad_state(err, "structured dtype without an itemsize");
    f = jl_malloc(&doc->alloc, (size_t)(nf ? nf : 1) * sizeof *f);
    keys = jl_malloc(&doc->alloc, (size_t)(npairs ? npairs : 1) * sizeof *keys);
    if (!f || !keys) {
        rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory reading dtype fields");
        goto done;
    }
    /* index the dict's text keys (title keys and -1 are skipped naturally) */
    uint64_t nk = 0;
    const uint32_t *kv = jl_kids_of(doc, fields);
    for (uint64_t i = 0; i < npairs; i++) {
        const uint8_t *p;
        uint64_t n;
        if (node_text(doc, kv[2 * i], &p, &n) == 0) keys[nk++] = (name_key){p, n, (uint32_t)i};
    }
    qsort(keys, (size_t)nk, sizeof *keys, cmp_key);
    for (uint64_t i = 0; i < nf; i++) {
        uint32_t name = jl_kids_of(doc, names)[i];
        const uint8_t *p;
        uint64_t n;
        if (node_text(doc, name, &p, &n)) {
            rc = bad_state(err, "a field name is not a string");
            goto done;
        }
        /* last key equal to the name (a dict keeps the last duplicate) */
        uint64_t lo = 0, hi = nk;
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo) / 2;
            name_key probe = {p, n, UINT32_MAX};
            if (cmp_key(&keys[mid], &probe) < 0) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0 || keys[lo - 1].n != n || (n && memcmp(keys[lo - 1].p, p, (size_t)n))) {
            rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "pickled numpy.dtype: field '%s' is not in the fields dict",
                         quote(qa, sizeof qa, p, n));
            goto done;
        }
        uint32_t val = kv[2 * keys[lo - 1].i + 1];
        uint64_t vlen = is_seq(doc, val) ? jl_node_at(doc, val)->len : 0;
        int64_t off;
        uint32_t fdt;
        if (vlen < 2 || vlen > 3 || node_int(doc, jl_kids_of(doc, val)[1], &off) || off < 0) {
            rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET,
                         "pickled numpy.dtype: field '%s' is not (dtype, offset[, title])",
                         quote(qa, sizeof qa, p, n));
            goto done;
        }
        if (nested_dtype(doc, jl_kids_of(doc, val)[0], &fdt)) {
            rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "pickled numpy.dtype: field '%s' has no dtype",
                         quote(qa, sizeof qa, p, n));
            goto done;
        }
        jl_field *fi = &f[i];
        memset(fi, 0, sizeof *fi);
        fi->name = jl_node_ref(doc, name);
        fi->dtype = fdt;
        fi->offset = (uint64_t)off;
        if (vlen == 3) {
            uint32_t t = jl_kids_of(doc, val)[2];
            const uint8_t *tp;
            uint64_t tn;
            if (node_text(doc, t, &tp, &tn) == 0) fi->title = jl_node_ref(doc, t);
            else if (!is_none(doc, t)) {
                rc = jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "pickled numpy.dtype: field '%s' has a bad title",
                             quote(qa, sizeof qa, p, n));
                goto done;
            }
        }
    }
    if ((uint64_t)elsize > JL_DTYPE_MAX_ITEMSIZE) {
        rc = jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "structured dtype of %lld bytes is too large",
                     (long long)elsize);
        goto done;
    }
    rc = check_fields(doc, f, nf, (uint64_t)elsize, err);
    if (!rc) rc = make_struct(doc, f, nf, (uint64_t)elsize, align > 0 ? (uint32_t)align : 1, out, err);
done:
    jl_free(&doc->alloc, f);
    jl_free(&doc->alloc, keys);
    return rc;
}

/* The subarray (base, shape) of a dtype state. */
static int pickle_subarray(jl_doc *doc, uint32_t sub, int64_t elsize, int64_t align, uint32_t *out,
                           jl_error *err) {
    uint64_t dims[JL_MAX_DIMS];
    unsigned ndim = 0;
    uint32_t base;
    if (!is_seq(doc, sub) || jl_node_at(doc, sub)->len != 2)
        return bad_state(err, "subarray is not (dtype, shape)");
    uint32_t b = jl_kids_of(doc, sub)[0], shape = jl_kids_of(doc, sub)[1];
    if (nested_dtype(doc, b, &base)) return bad_state(err, "subarray base has no dtype");
    int64_t v;
    if (node_int(doc, shape, &v) == 0) { /* a bare int shape */
        if (v < 0) return bad_state(err, "negative subarray dimension");
        dims[ndim++] = (uint64_t)v;
    } else if (is_seq(doc, shape)) {
        uint64_t n = jl_node_at(doc, shape)->len;
        if (n > JL_MAX_DIMS) return bad_state(err, "subarray with more than " JL_XSTR(JL_MAX_DIMS) " dimensions");
        for (uint64_t i = 0; i < n; i++) {
            if (node_int(doc, jl_kids_of(doc, shape)[i], &v) || v < 0)
                return bad_state(err, "subarray shape is not a tuple of non-negative ints");
            dims[ndim++] = (uint64_t)v;
        }
    } else {
        return bad_state(err, "subarray shape is not a tuple");
    }
    if (ndim == 0) { /* ('<i4', ()) is just '<i4' */
        *out = base;
        return JL_OK;
    }
    return make_subarray(doc, base, dims, ndim, elsize, align, out, err);
}

int jl_dtype_from_pickle(jl_doc *doc, uint32_t args, uint32_t state, uint32_t *out, jl_error *err) {
    char qa[200];
    simple sp;
    const uint8_t *p;
    uint64_t n;
    if (!is_seq(doc, args) || jl_node_at(doc, args)->len < 1)
        return bad_state(err, "arguments are not a (typestr, align, copy) tuple");
    uint32_t a0 = jl_kids_of(doc, args)[0];
    if (node_text(doc, a0, &p, &n) == 0) {
        int rc = parse_simple((const char *)p, (size_t)n, &sp, err);
        if (rc) return rc;
    } else if (jl_node_at(doc, a0)->kind == JL_GLOBAL) { /* numpy.record and other void subclasses */
        memset(&sp, 0, sizeof sp);
        sp.kind = 'V';
        sp.order = '|';
        sp.align = 1;
    } else {
        return bad_state(err, "typestr is not a string");
    }
    if (state == JL_NONE || is_none(doc, state)) return make_simple(doc, &sp, out, err);
    if (jl_node_at(doc, state)->kind != JL_TUPLE) return bad_state(err, "state is not a tuple");

    /* unpack the layouts: 5 items = version 0, 6 = version 1 (names under
     * fields[-1]), 7 = no flags, 8 = version 3, 9 = version 4 (metadata) */
    uint64_t len = jl_node_at(doc, state)->len;
    uint32_t k[9];
    if (len < 5 || len > 9) return bad_state(err, "state tuple must have 5 to 9 items");
    memcpy(k, jl_kids_of(doc, state), (size_t)len * sizeof k[0]);
    int64_t version = 0, elsize, align;
    uint32_t endian, sub, names = JL_NONE, fields, meta = JL_NONE;
    if (len == 5) {
        endian = k[0]; sub = k[1]; fields = k[2];
        if (node_int(doc, k[3], &elsize) || node_int(doc, k[4], &align))
            return bad_state(err, "itemsize/alignment are not ints");
    } else {
        if (node_int(doc, k[0], &version)) return bad_state(err, "version is not an int");
        if (version < 0 || version > 4)
            return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET,
                           "pickled numpy.dtype: unsupported state version %lld", (long long)version);
        endian = k[1]; sub = k[2];
        size_t at = 3;
        if (len >= 7) names = k[at++];
        fields = k[at++];
        if (node_int(doc, k[at], &elsize) || node_int(doc, k[at + 1], &align))
            return bad_state(err, "itemsize/alignment are not ints");
        if (len == 9) meta = k[8];
    }
    /* byte order: numpy's __setstate__ takes any 1-character string and
     * reads every character but '>' (and '|': "not applicable") as native */
    if (node_text(doc, endian, &p, &n) || n != 1)
        return bad_state(err, "byte order is not a 1-character string");
    sp.order = strchr("<>|", p[0]) && p[0] ? (char)p[0] : '=';
    /* names: state[3], or fields[-1] for versions 0 and 1 */
    if (!is_none(doc, fields) && jl_node_at(doc, fields)->kind != JL_DICT)
        return bad_state(err, "fields is not a dict");
    if (is_none(doc, names) && !is_none(doc, fields)) {
        const uint32_t *kv = jl_kids_of(doc, fields);
        for (uint64_t i = 0; i + 1 < jl_node_at(doc, fields)->len; i += 2) {
            int64_t key;
            if (node_int(doc, kv[i], &key) == 0 && key == -1 && jl_node_at(doc, kv[i])->kind == JL_INT)
                names = kv[i + 1];
        }
    }
    if (!is_none(doc, names)) {
        if (!is_seq(doc, names)) return bad_state(err, "field names are not a tuple");
        if (is_none(doc, fields)) return bad_state(err, "field names without a fields dict");
        if (!is_none(doc, sub)) return bad_state(err, "both fields and a subarray");
        return pickle_fields(doc, names, fields, elsize, align, out, err);
    }
    if (!is_none(doc, fields) && jl_node_at(doc, fields)->len)
        return bad_state(err, "a fields dict without field names");
    if (!is_none(doc, sub)) return pickle_subarray(doc, sub, elsize, align, out, err);

    /* a simple dtype: flexible kinds take their size from the state */
    if (is_flexible(sp.kind) && elsize >= 0) {
        if ((uint64_t)elsize > JL_DTYPE_MAX_ITEMSIZE)
            return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "dtype of %lld bytes is too large",
                           (long long)elsize);
        if (sp.kind == 'U' && elsize % 4)
            return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET,
                           "pickled numpy.dtype: str itemsize %lld is not a multiple of 4", (long long)elsize);
        sp.itemsize = (uint64_t)elsize;
        if (align > 0) sp.align = (uint32_t)align;
    }
    if (sp.kind == 'M' || sp.kind == 'm') {
        /* version 4: (metadata_dict, (unit, num, den, events)) */
        if (meta != JL_NONE && jl_node_at(doc, meta)->kind == JL_TUPLE) {
            uint32_t dt = JL_NONE;
            if (jl_node_at(doc, meta)->len == 2) dt = jl_kids_of(doc, meta)[1];
            int64_t num;
            if (!is_seq(doc, dt) || jl_node_at(doc, dt)->len < 2 ||
                node_text(doc, jl_kids_of(doc, dt)[0], &p, &n) ||
                node_int(doc, jl_kids_of(doc, dt)[1], &num))
                return bad_state(err, "datetime metadata is not (dict, (unit, num, 1, 1))");
            char unit[32];
            if (n + 3 > sizeof unit || num < 1 || num > INT32_MAX)
                return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "pickled numpy.dtype: bad datetime unit '%s' x %lld",
                               quote(qa, sizeof qa, p, n), (long long)num);
            unit[0] = '[';
            memcpy(unit + 1, p, (size_t)n);
            unit[n + 1] = ']';
            if (parse_unit(unit, (size_t)n + 2, &sp))
                return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "pickled numpy.dtype: unknown datetime unit '%s'",
                               quote(qa, sizeof qa, p, n));
            sp.unit_num = (uint32_t)num;
        }
    }
    return make_simple(doc, &sp, out, err);
}

/* ---- JSON descrs ---------------------------------------------------------- */

typedef struct jctx {
    jl_doc *doc;
    const char *s;
    size_t n, pos;
    jl_error *err;
    jl_buf str; /* scratch for decoded strings */
} jctx;

static void jws(jctx *c) {
    while (c->pos < c->n && strchr(" \t\r\n", c->s[c->pos]) && c->s[c->pos]) c->pos++;
}

static int jfail(jctx *c, const char *what) {
    return jl_fail(c->err, JL_E_ARG, c->pos, "dtype JSON: %s at character %llu", what,
                   (unsigned long long)c->pos);
}

static int jeat(jctx *c, char ch) {
    jws(c);
    if (c->pos < c->n && c->s[c->pos] == ch) {
        c->pos++;
        return 1;
    }
    return 0;
}

/* A JSON string into c->str (emptied first); lone surrogates kept (WTF-8). */
static int jstring(jctx *c) {
    jws(c);
    if (c->pos >= c->n || c->s[c->pos] != '"') return jfail(c, "expected a string");
    c->pos++;
    c->str.len = 0;
    while (c->pos < c->n && c->s[c->pos] != '"') {
        uint8_t ch = (uint8_t)c->s[c->pos++];
        if (ch < 0x20) return jfail(c, "control character in a string");
        if (ch != '\\') { jl_buf_putc(&c->str, (char)ch); continue; }
        if (c->pos >= c->n) break;
        char e = c->s[c->pos++], r;
        switch (e) {
        case '"': case '\\': case '/': r = e; break;
        case 'b': r = '\b'; break;
        case 'f': r = '\f'; break;
        case 'n': r = '\n'; break;
        case 'r': r = '\r'; break;
        case 't': r = '\t'; break;
        case 'u': r = 0; break;
        default: return jfail(c, "bad escape in a string");
        }
        if (r) {
            jl_buf_putc(&c->str, r);
            continue;
        }
        uint32_t cp;
        unsigned len = jl_json_u_escape(c->s + c->pos, c->n - c->pos, &cp);
        if (!len) return jfail(c, "bad \\u escape");
        c->pos += len;
        jl_buf_put_utf8(&c->str, cp);
    }
    if (c->pos >= c->n) return jfail(c, "unterminated string");
    c->pos++;
    if (c->str.failed) return jl_fail(c->err, c->str.failed, JL_NO_OFFSET, "out of memory reading dtype JSON");
    return JL_OK;
}

static int juint(jctx *c, uint64_t *v) {
    jws(c);
    size_t start = c->pos;
    *v = 0;
    while (c->pos < c->n && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
        *v = *v * 10 + (uint64_t)(c->s[c->pos++] - '0');
        if (*v > JL_DTYPE_MAX_ITEMSIZE) return jfail(c, "number too large");
    }
    return c->pos == start ? jfail(c, "expected a non-negative integer") : JL_OK;
}

/* Copies c->str into the doc heap. */
static int jkeep(jctx *c, jl_ref *r) {
    uint8_t *p = jl_heap_alloc(c->doc, c->str.len, r, c->err);
    if (!p) return c->err ? c->err->code : JL_E_NOMEM;
    if (c->str.len) memcpy(p, c->str.p, (size_t)c->str.len);
    return JL_OK;
}

static int jdescr(jctx *c, unsigned depth, uint32_t *out);

/* One [name, descr(, shape)] entry; *pad set for ["", "|Vn"] padding. */
static int jentry(jctx *c, unsigned depth, uint64_t index, jl_field *f, int *pad) {
    int rc;
    char tmp[32];
    memset(f, 0, sizeof *f);
    *pad = 0;
    if (!jeat(c, '[')) return jfail(c, "expected a [name, descr] entry");
    if (jeat(c, '[')) { /* [title, name] */
        if ((rc = jstring(c)) || (rc = jkeep(c, &f->title))) return rc;
        if (!jeat(c, ',')) return jfail(c, "expected ','");
        if ((rc = jstring(c))) return rc;
        if (!jeat(c, ']')) return jfail(c, "expected ']'");
    } else if ((rc = jstring(c))) {
        return rc;
    }
    int unnamed = c->str.len == 0 && f->title.len == 0;
    if (c->str.len == 0) { /* numpy names an unnamed field f<index> */
        int k = snprintf(tmp, sizeof tmp, "f%llu", (unsigned long long)index);
        jl_buf_append(&c->str, tmp, (uint64_t)k);
    }
    if ((rc = jkeep(c, &f->name))) return rc;
    if (!jeat(c, ',')) return jfail(c, "expected ','");
    if ((rc = jdescr(c, depth + 1, &f->dtype))) return rc;
    if (jeat(c, ',')) {
        uint64_t dims[JL_MAX_DIMS];
        unsigned ndim = 0;
        jws(c);
        if (c->pos < c->n && c->s[c->pos] == '[') {
            c->pos++;
            if (!jeat(c, ']')) {
                do {
                    if (ndim == JL_MAX_DIMS) return jfail(c, "more than " JL_XSTR(JL_MAX_DIMS) " subarray dimensions");
                    if ((rc = juint(c, &dims[ndim++]))) return rc;
                } while (jeat(c, ','));
                if (!jeat(c, ']')) return jfail(c, "expected ']' after a shape");
            }
        } else if ((rc = juint(c, &dims[ndim++]))) {
            return rc;
        }
        if (ndim && (rc = make_subarray(c->doc, f->dtype, dims, ndim, -1, -1, &f->dtype, c->err)))
            return rc;
    }
    if (!jeat(c, ']')) return jfail(c, "expected ']' after an entry");
    const jl_dtype *d = &c->doc->dtypes[f->dtype];
    *pad = unnamed && d->kind == 'V' && d->nfields == 0 && d->sub_base == JL_NONE;
    return JL_OK;
}

static int jdescr(jctx *c, unsigned depth, uint32_t *out) {
    int rc = JL_OK;
    if (depth > JL_DTYPE_MAX_DEPTH) return jfail(c, "dtype nested too deeply");
    jws(c);
    if (c->pos < c->n && c->s[c->pos] == '"') {
        if ((rc = jstring(c))) return rc;
        return jl_dtype_parse(c->doc, c->str.p ? c->str.p : "", (size_t)c->str.len, out, c->err);
    }
    if (!jeat(c, '[')) return jfail(c, "expected a descr string or a list of fields");
    jl_field *f = NULL;
    uint64_t nf = 0, cap = 0, offset = 0, index = 0;
    if (!jeat(c, ']')) {
        do {
            jl_field e;
            int pad;
            if ((rc = jentry(c, depth, index++, &e, &pad))) goto done;
            uint64_t size = c->doc->dtypes[e.dtype].itemsize;
            e.offset = offset;
            if (jl_add_overflow(offset, size, &offset) || offset > JL_DTYPE_MAX_ITEMSIZE) {
                rc = jl_fail(c->err, JL_E_LIMIT, JL_NO_OFFSET, "structured dtype larger than %llu bytes",
                             (unsigned long long)JL_DTYPE_MAX_ITEMSIZE);
                goto done;
            }
            if (pad) continue;
            if (jl_grow(&c->doc->alloc, (void **)&f, &cap, nf + 1, sizeof *f, c->doc->limits.max_alloc)) {
                rc = jl_fail(c->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory reading dtype JSON");
                goto done;
            }
            f[nf++] = e;
        } while (jeat(c, ','));
        if (!jeat(c, ']')) {
            rc = jfail(c, "expected ']' after the fields");
            goto done;
        }
    }
    rc = check_fields(c->doc, f, nf, offset, c->err);
    if (!rc) rc = make_struct(c->doc, f, nf, offset, 1, out, c->err);
done:
    jl_free(&c->doc->alloc, f);
    return rc;
}

int jl_dtype_parse_json(jl_doc *doc, const char *json, size_t n, uint32_t *out, jl_error *err) {
    jctx c = {doc, json, n, 0, err, {0}};
    jl_buf_init(&c.str, &doc->alloc, 0);
    int rc = jdescr(&c, 0, out);
    if (!rc) {
        jws(&c);
        if (c.pos != c.n) rc = jfail(&c, "unexpected text after the descr");
    }
    jl_buf_free(&c.str);
    return rc;
}

/* ---- descr output -------------------------------------------------------- */

static void put_simple(const jl_dtype *d, jl_buf *b) {
    if (d->sub_base != JL_NONE || d->nfields) { /* numpy's dtype.str of records */
        jl_buf_printf(b, "|V%llu", (unsigned long long)d->itemsize);
        return;
    }
    switch (d->kind) {
    case 'O': jl_buf_puts(b, "|O"); return;
    case 'U': jl_buf_printf(b, "%cU%llu", d->byteorder, (unsigned long long)(d->itemsize / 4)); return;
    case 'M': case 'm':
        jl_buf_printf(b, "%c%c8", d->byteorder, d->kind);
        if (d->unit[0] && strcmp(d->unit, "generic") != 0) {
            if (d->unit_num > 1) jl_buf_printf(b, "[%u%s]", d->unit_num, d->unit);
            else jl_buf_printf(b, "[%s]", d->unit);
        }
        return;
    default:
        jl_buf_printf(b, "%c%c%llu", d->byteorder, d->kind, (unsigned long long)d->itemsize);
    }
}

/* A JSON string of the bytes as they are (only " \\ and controls escaped). */
static void put_json_str(jl_buf *b, const uint8_t *p, uint64_t n) {
    jl_buf_putc(b, '"');
    jl_json_escape(b, p, n, 0);
    jl_buf_putc(b, '"');
}

static int cmp_offset(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int put_descr(const jl_doc *doc, uint32_t dt, jl_buf *b, int quoted);

/* numpy's dtype.descr of a structured dtype: fields in name order with
 * ["", "|Vn"] entries for gaps. numpy refuses out-of-order fields; here
 * they are listed by offset instead, which describes the same layout. */
static int put_struct(const jl_doc *doc, const jl_dtype *d, jl_buf *b) {
    span *order = NULL;
    const jl_field *f = doc->fields + d->fields_at;
    uint64_t pos = 0;
    int sorted = 1;
    for (uint32_t i = 0; i < d->nfields && sorted; i++) {
        sorted = f[i].offset >= pos;
        pos = f[i].offset + doc->dtypes[f[i].dtype].itemsize;
    }
    if (!sorted) {
        order = jl_malloc(&doc->alloc, (size_t)d->nfields * sizeof *order);
        if (!order) return JL_E_NOMEM;
        for (uint32_t i = 0; i < d->nfields; i++) order[i] = (span){f[i].offset, 0, i};
        qsort(order, d->nfields, sizeof *order, cmp_offset);
    }
    jl_buf_putc(b, '[');
    pos = 0;
    int first = 1;
    for (uint32_t k = 0; k < d->nfields; k++) {
        const jl_field *fi = &f[order ? order[k].i : k];
        const jl_dtype *fd = &doc->dtypes[fi->dtype];
        if (!first) jl_buf_putc(b, ',');
        first = 0;
        if (fi->offset > pos) jl_buf_printf(b, "[\"\",\"|V%llu\"],", (unsigned long long)(fi->offset - pos));
        jl_buf_putc(b, '[');
        if (fi->title.len) {
            jl_buf_putc(b, '[');
            put_json_str(b, jl_ref_ptr(doc, fi->title), fi->title.len);
            jl_buf_putc(b, ',');
        }
        put_json_str(b, jl_ref_ptr(doc, fi->name), fi->name.len);
        if (fi->title.len) jl_buf_putc(b, ']');
        jl_buf_putc(b, ',');
        if (fd->sub_base != JL_NONE) {
            put_descr(doc, fd->sub_base, b, 1);
            jl_buf_puts(b, ",[");
            for (unsigned i = 0; i < fd->sub_ndim; i++)
                jl_buf_printf(b, i ? ",%llu" : "%llu", (unsigned long long)doc->dims[fd->sub_dims_at + i]);
            jl_buf_putc(b, ']');
        } else {
            put_descr(doc, fi->dtype, b, 1);
        }
        jl_buf_putc(b, ']');
        if (fi->offset + fd->itemsize > pos) pos = fi->offset + fd->itemsize;
    }
    if (d->itemsize > pos)
        jl_buf_printf(b, "%s[\"\",\"|V%llu\"]", first ? "" : ",", (unsigned long long)(d->itemsize - pos));
    jl_buf_putc(b, ']');
    if (order) jl_free(&doc->alloc, order);
    return JL_OK;
}

static int put_descr(const jl_doc *doc, uint32_t dt, jl_buf *b, int quoted) {
    const jl_dtype *d = &doc->dtypes[dt];
    if (d->nfields) return put_struct(doc, d, b);
    if (quoted) jl_buf_putc(b, '"');
    put_simple(d, b);
    if (quoted) jl_buf_putc(b, '"');
    return JL_OK;
}

int jl_dtype_descr(const jl_doc *doc, uint32_t dt, jl_buf *b) {
    int rc = put_descr(doc, dt, b, 0);
    return rc ? rc : b->failed;
}

int jl_dtype_parse_text(jl_doc *doc, const char *s, size_t n, int is_json, uint32_t *out, jl_error *err) {
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    if (is_json || (i < n && (s[i] == '[' || s[i] == '"'))) return jl_dtype_parse_json(doc, s, n, out, err);
    return jl_dtype_parse(doc, s, n, out, err);
}

void jl_dtype_descr_text(const jl_doc *doc, uint32_t dt, char *out, size_t cap) {
    jl_buf b;
    jl_buf_init(&b, &doc->alloc, 0);
    jl_dtype_descr(doc, dt, &b);
    snprintf(out, cap, "%s", b.p && !b.failed ? b.p : "?");
    jl_buf_free(&b);
}

const char *jl_dtype_scalar_class(const jl_doc *doc, uint32_t dt, char *buf, size_t cap) {
    const jl_dtype *d = &doc->dtypes[dt];
    const char *cls = "numpy.void";
    if (!d->nfields && d->sub_base == JL_NONE) {
        const kind_row *r = row_of(d->kind, d->itemsize);
        cls = r ? r->cls : "numpy.generic";
    }
    if (!buf) return cls;
    if (cap) snprintf(buf, cap, "%s", cls);
    return buf;
}

int jl_dtype_name(const jl_doc *doc, uint32_t dt, jl_buf *b) {
    const jl_dtype *d = &doc->dtypes[dt];
    int plain = !d->nfields && d->sub_base == JL_NONE;
    const kind_row *r = plain ? row_of(d->kind, d->itemsize) : NULL;
    if (!r || is_flexible(d->kind)) {
        /* flexible and structured dtypes: the kind's name and the bits */
        const char *base = !plain ? "void" : r ? r->name : "void";
        return jl_buf_printf(b, "%s%llu", base, (unsigned long long)d->itemsize * 8);
    }
    jl_buf_puts(b, r->name);
    if ((d->kind == 'M' || d->kind == 'm') && d->unit[0] && strcmp(d->unit, "generic") != 0) {
        if (d->unit_num > 1) jl_buf_printf(b, "[%u%.8s]", (unsigned)d->unit_num, d->unit);
        else jl_buf_printf(b, "[%.8s]", d->unit);
    }
    return b->failed;
}

/* ---- byte order ----------------------------------------------------------- */

int jl_dtype_needs_swap(const jl_doc *doc, uint32_t dt) {
    const jl_dtype *d = &doc->dtypes[dt];
    if (d->nfields) {
        for (uint32_t i = 0; i < d->nfields; i++)
            if (jl_dtype_needs_swap(doc, doc->fields[d->fields_at + i].dtype)) return 1;
        return 0;
    }
    if (d->sub_base != JL_NONE) return jl_dtype_needs_swap(doc, d->sub_base);
    return d->byteorder == '>';
}

int jl_dtype_native(jl_doc *doc, uint32_t dt, uint32_t *out, jl_error *err) {
    if (!jl_dtype_needs_swap(doc, dt)) {
        *out = dt;
        return JL_OK;
    }
    jl_dtype d = doc->dtypes[dt];
    int rc;
    if (d.nfields) {
        uint32_t at = jl_fields_new(doc, d.nfields, err);
        if (at == JL_NONE) return err ? err->code : JL_E_NOMEM;
        for (uint32_t i = 0; i < d.nfields; i++) {
            jl_field f = doc->fields[d.fields_at + i];
            if ((rc = jl_dtype_native(doc, f.dtype, &f.dtype, err))) return rc;
            doc->fields[at + i] = f;
        }
        d.fields_at = at;
    } else if (d.sub_base != JL_NONE) {
        if ((rc = jl_dtype_native(doc, d.sub_base, &d.sub_base, err))) return rc;
    } else {
        d.byteorder = NATIVE;
    }
    uint32_t id = jl_dtype_new(doc, err);
    if (id == JL_NONE) return err ? err->code : JL_E_NOMEM;
    doc->dtypes[id] = d;
    *out = id;
    return JL_OK;
}

static void reverse(uint8_t *p, uint64_t n) {
    for (uint64_t i = 0, j = n - 1; i < j; i++, j--) {
        uint8_t t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}

/* Swaps one element of d at p (only big-endian parts). */
static void swap_one(const jl_doc *doc, const jl_dtype *d, uint8_t *p) {
    if (d->nfields) {
        for (uint32_t i = 0; i < d->nfields; i++) {
            const jl_field *f = &doc->fields[d->fields_at + i];
            const jl_dtype *fd = &doc->dtypes[f->dtype];
            if (fd->itemsize) swap_one(doc, fd, p + f->offset);
        }
        return;
    }
    if (d->sub_base != JL_NONE) {
        const jl_dtype *bd = &doc->dtypes[d->sub_base];
        if (!bd->itemsize) return;
        for (uint64_t off = 0; off + bd->itemsize <= d->itemsize; off += bd->itemsize)
            swap_one(doc, bd, p + off);
        return;
    }
    if (d->byteorder != '>') return;
    switch (d->kind) {
    case 'i': case 'u': case 'f': case 'M': case 'm':
        reverse(p, d->itemsize);
        break;
    case 'c':
        reverse(p, d->itemsize / 2);
        reverse(p + d->itemsize / 2, d->itemsize / 2);
        break;
    case 'U':
        for (uint64_t off = 0; off + 4 <= d->itemsize; off += 4) reverse(p + off, 4);
        break;
    default:
        break;
    }
}

void jl_dtype_swap(const jl_doc *doc, uint32_t dt, uint8_t *data, uint64_t count) {
    const jl_dtype *d = &doc->dtypes[dt];
    if (!d->itemsize || !jl_dtype_needs_swap(doc, dt)) return;
    for (uint64_t i = 0; i < count; i++) swap_one(doc, d, data + i * d->itemsize);
}

/* ---- shapes ----------------------------------------------------------------- */

int jl_shape_nbytes(const int64_t *dims, unsigned ndim, uint64_t itemsize, uint64_t *count,
                    uint64_t *nbytes, jl_error *err) {
    int zero = 0;
    for (unsigned i = 0; i < ndim; i++) {
        if (dims[i] < 0)
            return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "negative dimension %lld in axis %u of a shape",
                           (long long)dims[i], i);
        if (dims[i] == 0) zero = 1;
    }
    uint64_t c = zero ? 0 : 1, nb;
    for (unsigned i = 0; i < ndim && !zero; i++)
        if (jl_mul_overflow(c, (uint64_t)dims[i], &c))
            return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "the element count of a %u-d shape overflows 64 bits",
                           ndim);
    if (jl_mul_overflow(c, itemsize, &nb))
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET,
                       "%llu elements of %llu bytes overflow 64 bits", (unsigned long long)c,
                       (unsigned long long)itemsize);
    if (count) *count = c;
    if (nbytes) *nbytes = nb;
    return JL_OK;
}
