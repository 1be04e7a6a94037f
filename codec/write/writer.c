/*
 * writer.c - the bundle writer (see writer.h): walks a value tree and
 * writes the pickle stream joblib 1.2 writes on CPython 3, protocols 2-5:
 *
 *   - atoms, str/bytes/bytearray and containers as CPython's pure-Python
 *     pickler saves them (memo after creation, MARK/APPENDS/SETITEMS in
 *     batches of 1000, recursive tuples through POP_MARK + GET);
 *   - ndarrays as joblib's NumpyArrayWrapper (docs/FORMAT.md 3.2-3.7): state
 *     dict, frame committed after the BUILD, one padding-length byte and
 *     0xFF padding so the data starts 16-aligned, then the raw bytes; object
 *     arrays as a nested protocol-2 pickle of numpy's own reduction;
 *   - numpy dtypes and scalars as numpy 1.x reduces them (docs/FORMAT.md 6.3-6.4);
 *   - other objects from their recorded reduction (callable/class, args,
 *     kwargs, list/dict items, BUILD state).
 *
 * Strings the writer makes up itself (dict keys of the wrapper, module and
 * class names, one-character strings) are memoized by content, as CPython
 * shares its interned strings; everything from the tree is memoized by
 * node id. The opcode level (framing, widths, memo opcodes, name mapping)
 * is pickle/emit.c.
 */
#include "writer.h"

#include <stdio.h>
#include <string.h>

#include "array_build.h"
#include "container.h"
#include "dtype.h"
#include "npy.h"
#include "opcodes.h"
#include "text.h"
#include "emit.h"
#include "lazy_read.h"

typedef struct W {
    jl_emit e;
    const jl_doc *doc;
    jl_error *err;
    int nested;         /* inside an object-array payload: arrays as numpy reduces them */
    uint32_t depth;     /* current nesting */
    uint32_t max_depth;
    jl_buf scratch;     /* global memo keys, sidecar names; owned */
    jl_write_sidecars *sc; /* legacy layout (compress='npy'), or NULL; not owned */
    jl_lazy_reader **lazy; /* payloads still in a compressed stream: the reader of the
                            * outermost run, opened at the first one (lazy_read.h) */
    jl_lazy_reader *lazy_own; /* the outermost run's reader; owned */
} W;

/* Helpers off the recursion path stay out of put()'s frame, so that deep
 * nesting costs little C stack per level. */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

static int put(W *w, uint32_t id);
static int put_dtype(W *w, uint32_t dt);

/* ---- small saves (each is one object: one frame check) ---------------- */

static int save(W *w) { return jl_emit_save(&w->e); }

static int put_op(W *w, uint8_t op) {
    int rc = save(w);
    return rc ? rc : jl_emit_op(&w->e, op);
}

static int put_int(W *w, int64_t v) {
    int rc = save(w);
    return rc ? rc : jl_emit_int(&w->e, v);
}

static int put_bool(W *w, int v) { return put_op(w, v ? OP_NEWTRUE : OP_NEWFALSE); }

/* The memo index of what was just written, recorded under `key`. */
static int memo_as(W *w, uint64_t key) {
    uint32_t idx;
    int rc = jl_emit_memoize(&w->e, &idx);
    return rc ? rc : jl_emit_memo_set(&w->e, key, idx);
}

/* After a reduction that may have memoized obj through recursion: CPython
 * drops the new copy (POP) and fetches the memoized one. */
static int memo_or_pop(W *w, uint64_t key) {
    uint32_t idx = jl_emit_memo_find(&w->e, key);
    if (idx == JL_NONE) return memo_as(w, key);
    int rc = jl_emit_op(&w->e, OP_POP);
    return rc ? rc : jl_emit_get(&w->e, idx);
}

/* An interned str: memoized by content. */
static int put_istr(W *w, const char *s, uint64_t n) {
    int rc = save(w);
    if (rc) return rc;
    uint32_t idx = jl_emit_cmemo_find(&w->e, 's', s, n);
    if (idx != JL_NONE) return jl_emit_get(&w->e, idx);
    if ((rc = jl_emit_str(&w->e, (const uint8_t *)s, n)) || (rc = jl_emit_memoize(&w->e, &idx))) return rc;
    return jl_emit_cmemo_set(&w->e, 's', s, n, idx);
}

static int put_istrz(W *w, const char *s) { return put_istr(w, s, strlen(s)); }

/* A fresh str: memoized, never fetched again. */
static int put_fstr(W *w, const char *s, uint64_t n) {
    int rc = save(w);
    if (!rc) rc = jl_emit_str(&w->e, (const uint8_t *)s, n);
    return rc ? rc : jl_emit_memoize(&w->e, NULL);
}

static int put_global(W *w, const char *m, uint64_t mn, const char *n, uint64_t nn);

static int put_globalz(W *w, const char *m, const char *n) {
    return put_global(w, m, strlen(m), n, strlen(n));
}

/* A tuple of `count` (> 0) objects just written: TUPLE1-3 (their
 * MARK-less form) or TUPLE after a MARK the caller wrote; then memoized. */
static int close_tuple(W *w, uint64_t count) {
    static const uint8_t small[4] = { OP_EMPTY_TUPLE, OP_TUPLE1, OP_TUPLE2, OP_TUPLE3 };
    int rc = jl_emit_op(&w->e, count <= 3 ? small[count] : OP_TUPLE);
    return rc || count == 0 ? rc : jl_emit_memoize(&w->e, NULL);
}

/* bytes made up by the writer (array data, datetime units). `interned`:
 * memoized by content (CPython caches one-byte bytes objects). */
static int put_bytes_raw(W *w, const uint8_t *p, uint64_t n, int interned) {
    int rc = save(w);
    if (rc) return rc;
    if (interned) {
        uint32_t idx = jl_emit_cmemo_find(&w->e, 'b', p, n);
        if (idx != JL_NONE) return jl_emit_get(&w->e, idx);
    }
    if (w->e.proto >= 3) {
        rc = jl_emit_bytes(&w->e, p, n);
    } else if (n == 0) {
        /* builtins.bytes() */
        if (!(rc = put_globalz(w, "builtins", "bytes")) && !(rc = put_op(w, OP_EMPTY_TUPLE)))
            rc = jl_emit_op(&w->e, OP_REDUCE);
    } else {
        /* _codecs.encode(<bytes as latin-1 text>, 'latin1') */
        if ((rc = put_globalz(w, "_codecs", "encode")) || (rc = save(w)) || (rc = save(w)) ||
            (rc = jl_emit_str_latin1(&w->e, p, n)) || (rc = jl_emit_memoize(&w->e, NULL)) ||
            (rc = put_istrz(w, "latin1")) || (rc = close_tuple(w, 2)))
            return rc;
        rc = jl_emit_op(&w->e, OP_REDUCE);
    }
    if (rc) return rc;
    uint32_t idx;
    if ((rc = jl_emit_memoize(&w->e, &idx))) return rc;
    return interned ? jl_emit_cmemo_set(&w->e, 'b', p, n, idx) : JL_OK;
}

/* ---- globals ------------------------------------------------------------ */

static NOINLINE int put_global(W *w, const char *m, uint64_t mn, const char *n, uint64_t nn) {
    int rc = save(w);
    if (rc) return rc;
    if (mn == 0 || nn == 0)
        return jl_fail(w->err, JL_E_ARG, JL_NO_OFFSET, "cannot write a global with an empty module or name");
    /* memoized by (module, name) as given */
    w->scratch.len = 0;
    if ((rc = jl_buf_append(&w->scratch, m, mn)) || (rc = jl_buf_putc(&w->scratch, 0)) ||
        (rc = jl_buf_append(&w->scratch, n, nn)))
        return jl_fail(w->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory writing a global");
    uint32_t idx = jl_emit_cmemo_find(&w->e, 'g', w->scratch.p, w->scratch.len);
    if (idx != JL_NONE) return jl_emit_get(&w->e, idx);
    const char *m0 = m, *n0 = n;
    uint64_t mn0 = mn, nn0 = nn;

    jl_emit_map_name(w->e.proto, &m, &mn, &n, &nn);
    const char *dot = NULL;
    for (uint64_t i = nn; i > 0; i--)
        if (n[i - 1] == '.') {
            dot = n + i - 1;
            break;
        }
    if (w->e.proto >= 4) {
        if ((rc = put_istr(w, m, mn)) || (rc = put_istr(w, n, nn))) return rc;
        rc = jl_emit_op(&w->e, OP_STACK_GLOBAL);
    } else if (dot) {
        /* a nested class before protocol 4: getattr(<parent>, '<last>') */
        if ((rc = put_globalz(w, "builtins", "getattr")) || (rc = save(w)) ||
            (rc = put_global(w, m, mn, n, (uint64_t)(dot - n))) ||
            (rc = put_istr(w, dot + 1, nn - (uint64_t)(dot - n) - 1)) || (rc = close_tuple(w, 2)))
            return rc;
        rc = jl_emit_op(&w->e, OP_REDUCE);
    } else {
        rc = jl_emit_global_text(&w->e, m, mn, n, nn);
    }
    if (rc || (rc = jl_emit_memoize(&w->e, &idx))) return rc;
    w->scratch.len = 0;
    if ((rc = jl_buf_append(&w->scratch, m0, mn0)) || (rc = jl_buf_putc(&w->scratch, 0)) ||
        (rc = jl_buf_append(&w->scratch, n0, nn0)))
        return jl_fail(w->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory writing a global");
    return jl_emit_cmemo_set(&w->e, 'g', w->scratch.p, w->scratch.len, idx);
}

/* ---- checks on the tree -------------------------------------------------- */

static int bad(W *w, uint32_t id, const char *what) {
    if (id == JL_NONE) return jl_fail(w->err, JL_E_ARG, JL_NO_OFFSET, "cannot write a dtype field: %s", what);
    return jl_fail(w->err, JL_E_ARG, JL_NO_OFFSET, "cannot write node %u: %s", id, what);
}

/* 1 when r lies in the doc's lazy block: bytes not in memory (lazy.h). */
static int is_lazy(const W *w, jl_ref r) {
    return w->doc->lazy_block != JL_NONE && r.block == w->doc->lazy_block;
}

/* The bytes of a ref, checked against its block; never in the lazy block
 * (only array payloads may be there: put_payload). */
static int ref_bytes(W *w, uint32_t id, jl_ref r, const uint8_t **p) {
    const jl_doc *d = w->doc;
    if (is_lazy(w, r)) return bad(w, id, "its bytes are still in the compressed stream");
    if (r.block >= d->nblocks || r.off > d->blocks[r.block].len || r.len > d->blocks[r.block].len - r.off)
        return bad(w, id, "its bytes lie outside their block");
    *p = r.len ? jl_ref_ptr(d, r) : (const uint8_t *)"";
    return JL_OK;
}

static int to_emit(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)err; /* the emitter says why in its own err, the same one */
    return jl_emit_direct(ctx, p, n);
}

/* An array payload onto the output as it is: from memory, or piece by
 * piece from the compressed stream it was left in. */
static int put_payload(W *w, jl_ref r, uint64_t n) {
    if (!n) return JL_OK;
    if (!is_lazy(w, r)) return jl_emit_direct(&w->e, jl_ref_ptr(w->doc, r), n);
    int rc;
    if (!*w->lazy && (rc = jl_lazy_reader_open(w->doc, w->lazy, w->err))) return rc;
    return jl_lazy_reader_read(*w->lazy, r.off, n, to_emit, &w->e, w->err);
}

static int enter(W *w) {
    if (w->depth >= w->max_depth)
        return jl_fail(w->err, JL_E_LIMIT, JL_NO_OFFSET, "value nested deeper than %u levels", w->max_depth);
    w->depth++;
    return JL_OK;
}

/* ---- numpy dtypes --------------------------------------------------------- */

#define DT_REFCOUNT 0x01
#define DT_LIST_PICKLE 0x02
#define DT_NEEDS_INIT 0x08
#define DT_NEEDS_PYAPI 0x10
#define DT_ALIGNED_STRUCT 0x80
#define DT_OBJECT 0x3F    /* numpy's flags of the object dtype */
#define DT_FROM_FIELDS 0x1B /* flags a structured dtype inherits from its fields */
#define DT_MAX_NEST 64      /* nesting of fields/subarrays followed */

static const jl_dtype *dtype_at(W *w, uint32_t dt) {
    if (dt >= w->doc->ndtypes) {
        jl_fail(w->err, JL_E_ARG, JL_NO_OFFSET, "cannot write dtype %u: no such dtype", dt);
        return NULL;
    }
    return &w->doc->dtypes[dt];
}

static int dt_structured(const jl_dtype *d) { return d->nfields > 0; }
static int dt_subarray(const jl_dtype *d) { return d->sub_ndim > 0 && d->sub_base != JL_NONE; }

/* numpy's flags for dt (0 when the dtype is malformed or too deep). */
static int dt_flags(const jl_doc *doc, uint32_t dt, int nest) {
    if (dt >= doc->ndtypes || nest > DT_MAX_NEST) return 0;
    const jl_dtype *d = &doc->dtypes[dt];
    if (dt_subarray(d)) return dt_flags(doc, d->sub_base, nest + 1);
    if (dt_structured(d)) {
        int f = DT_NEEDS_PYAPI;
        for (uint32_t i = 0; i < d->nfields; i++) {
            uint64_t at = (uint64_t)d->fields_at + i;
            if (at < doc->nfields) f |= dt_flags(doc, doc->fields[at].dtype, nest + 1) & DT_FROM_FIELDS;
        }
        return f;
    }
    if (d->kind == 'O') return DT_OBJECT;
    if (d->kind == 'U') return DT_NEEDS_INIT;
    return 0;
}

static int dt_has_object(const jl_doc *doc, uint32_t dt) {
    return (dt_flags(doc, dt, 0) & DT_REFCOUNT) != 0;
}

static uint32_t dt_align(const jl_doc *doc, uint32_t dt, int nest) {
    if (dt >= doc->ndtypes || nest > DT_MAX_NEST) return 1;
    const jl_dtype *d = &doc->dtypes[dt];
    if (d->alignment) return d->alignment;
    if (dt_subarray(d)) return dt_align(doc, d->sub_base, nest + 1);
    switch (d->kind) {
    case 'U': return 4;
    case 'O': case 'M': case 'm': return 8;
    case 'c': return d->itemsize >= 2 ? (uint32_t)(d->itemsize / 2) : 1;
    case 'i': case 'u': case 'f': return d->itemsize ? (uint32_t)d->itemsize : 1;
    default: return 1;
    }
}

/* An aligned struct (align=True): alignment above 1 that every field and
 * the itemsize respect. */
static int dt_aligned_struct(const jl_doc *doc, const jl_dtype *d) {
    if (!dt_structured(d) || d->alignment <= 1 || d->itemsize % d->alignment) return 0;
    for (uint32_t i = 0; i < d->nfields; i++) {
        uint64_t at = (uint64_t)d->fields_at + i;
        if (at >= doc->nfields) return 0;
        if (doc->fields[at].offset % dt_align(doc, doc->fields[at].dtype, 1)) return 0;
    }
    return 1;
}

static char dt_byteorder(const jl_dtype *d) {
    switch (d->kind) {
    case 'i': case 'u': case 'f': case 'c': case 'M': case 'm':
        if (d->itemsize <= 1 && d->kind != 'M' && d->kind != 'm') return '|';
        return d->byteorder == '>' ? '>' : '<';
    case 'U':
        return d->byteorder == '>' ? '>' : '<';
    default:
        return '|';
    }
}

/* numpy's first REDUCE argument: kind letter + size ('U': characters). */
static int dt_typestr(W *w, uint32_t dt, const jl_dtype *d, char *s, size_t cap) {
    unsigned long long size = d->itemsize;
    char kind = d->kind;
    if (dt_structured(d) || dt_subarray(d)) kind = 'V';
    switch (kind) {
    case 'b': size = 1; break;
    case 'O': size = 8; break;
    case 'M': case 'm': size = 8; break;
    case 'U': size /= 4; break;
    case 'i': case 'u': case 'f': case 'c': case 'S': case 'V': break;
    default:
        return jl_fail(w->err, JL_E_ARG, JL_NO_OFFSET, "cannot write dtype %u: unknown kind '%c'", dt,
                       kind ? kind : '?');
    }
    snprintf(s, cap, "%c%llu", kind, size);
    return JL_OK;
}

static int put_dims(W *w, const uint64_t *dims, unsigned ndim) {
    int rc = save(w);
    if (rc) return rc;
    if (ndim == 0) return jl_emit_op(&w->e, OP_EMPTY_TUPLE);
    if (ndim > 3 && (rc = jl_emit_op(&w->e, OP_MARK))) return rc;
    for (unsigned i = 0; i < ndim; i++) {
        if (dims[i] > INT64_MAX) return jl_fail(w->err, JL_E_ARG, JL_NO_OFFSET, "a dimension above 2^63");
        if ((rc = put_int(w, (int64_t)dims[i]))) return rc;
    }
    return close_tuple(w, ndim);
}

static int dims_ok(W *w, uint32_t at, unsigned ndim) {
    if ((uint64_t)at + ndim > w->doc->ndims)
        return jl_fail(w->err, JL_E_ARG, JL_NO_OFFSET, "cannot write a shape: dims %u..%u out of range", at,
                       at + ndim);
    return JL_OK;
}

/* The fields dict: name -> (dtype, offset[, title]), and title -> the same
 * tuple, in SETITEMS batches. */
static int put_fields(W *w, const jl_dtype *d) {
    const jl_doc *doc = w->doc;
    uint64_t total = 0;
    for (uint32_t i = 0; i < d->nfields; i++) total += 1 + (doc->fields[d->fields_at + i].title.len > 0);
    int rc;
    if ((rc = save(w)) || (rc = jl_emit_op(&w->e, OP_EMPTY_DICT)) || (rc = jl_emit_memoize(&w->e, NULL)))
        return rc;
    uint64_t done = 0, chunk = 0, in_chunk = 0;
    for (uint32_t i = 0; i < d->nfields; i++) {
        const jl_field *f = &doc->fields[d->fields_at + i];
        int titled = f->title.len > 0;
        const uint8_t *name = NULL, *title = NULL;
        if ((rc = ref_bytes(w, JL_NONE, f->name, &name)) || (titled && (rc = ref_bytes(w, JL_NONE, f->title, &title))))
            return rc;
        uint32_t tuple_idx = JL_NONE;
        for (int k = 0; k <= titled; k++) {
            if (in_chunk == 0) {
                chunk = total - done < JL_EMIT_BATCH ? total - done : JL_EMIT_BATCH;
                if (chunk > 1 && (rc = jl_emit_op(&w->e, OP_MARK))) return rc;
            }
            if (k == 0) {
                if ((rc = put_istr(w, (const char *)name, f->name.len)) || (rc = save(w)) ||
                    (rc = put_dtype(w, f->dtype)))
                    return rc;
                if (f->offset > INT64_MAX) return jl_fail(w->err, JL_E_ARG, JL_NO_OFFSET, "a field offset above 2^63");
                if ((rc = put_int(w, (int64_t)f->offset))) return rc;
                if (titled && (rc = put_istr(w, (const char *)title, f->title.len))) return rc;
                if ((rc = jl_emit_op(&w->e, titled ? OP_TUPLE3 : OP_TUPLE2)) ||
                    (rc = jl_emit_memoize(&w->e, &tuple_idx)))
                    return rc;
            } else {
                if ((rc = put_istr(w, (const char *)title, f->title.len)) || (rc = save(w)) ||
                    (rc = jl_emit_get(&w->e, tuple_idx)))
                    return rc;
            }
            done++;
            if (++in_chunk == chunk) {
                if ((rc = jl_emit_op(&w->e, chunk > 1 ? OP_SETITEMS : OP_SETITEM))) return rc;
                in_chunk = 0;
            }
        }
    }
    return JL_OK;
}

/* numpy.dtype(typestr, False, True) + BUILD of its state tuple; memoized
 * by dtype id. */
static int put_dtype(W *w, uint32_t dt) {
    int rc = save(w);
    if (rc) return rc;
    uint32_t idx = jl_emit_memo_find(&w->e, JL_EMIT_KEY_DTYPE(dt));
    if (idx != JL_NONE) return jl_emit_get(&w->e, idx);
    const jl_dtype *d = dtype_at(w, dt);
    if (!d) return w->err ? w->err->code : JL_E_ARG;
    const jl_doc *doc = w->doc;
    /* numpy's native builtin dtypes are singletons: one memo entry per kind */
    char single[24] = "";
    if (!dt_structured(d) && !dt_subarray(d) && strchr("biufcO", d->kind) && d->kind && dt_byteorder(d) != '>') {
        snprintf(single, sizeof single, "%c%llu", d->kind, (unsigned long long)d->itemsize);
        idx = jl_emit_cmemo_find(&w->e, 'd', single, strlen(single));
        if (idx != JL_NONE) {
            rc = jl_emit_memo_set(&w->e, JL_EMIT_KEY_DTYPE(dt), idx);
            return rc ? rc : jl_emit_get(&w->e, idx);
        }
    }
    if (dt_structured(d) && (uint64_t)d->fields_at + d->nfields > doc->nfields)
        return jl_fail(w->err, JL_E_ARG, JL_NO_OFFSET, "cannot write dtype %u: fields out of range", dt);
    if (dt_subarray(d) && (rc = dims_ok(w, d->sub_dims_at, d->sub_ndim))) return rc;
    if ((rc = enter(w))) return rc;

    char ts[32];
    if ((rc = dt_typestr(w, dt, d, ts, sizeof ts))) return rc;
    if ((rc = put_globalz(w, "numpy", "dtype")) || (rc = save(w)) || (rc = put_fstr(w, ts, strlen(ts))) ||
        (rc = put_bool(w, 0)) || (rc = put_bool(w, 1)) || (rc = close_tuple(w, 3)) ||
        (rc = jl_emit_op(&w->e, OP_REDUCE)) || (rc = memo_or_pop(w, JL_EMIT_KEY_DTYPE(dt))))
        return rc;
    if (single[0] &&
        (rc = jl_emit_cmemo_set(&w->e, 'd', single, strlen(single), jl_emit_memo_find(&w->e, JL_EMIT_KEY_DTYPE(dt)))))
        return rc;

    int dated = d->kind == 'M' || d->kind == 'm';
    char order[1] = { dt_byteorder(d) };
    if ((rc = save(w)) || (rc = jl_emit_op(&w->e, OP_MARK)) || (rc = put_int(w, dated ? 4 : 3)) ||
        (rc = put_istr(w, order, 1)))
        return rc;
    /* subarray: (base, shape) */
    if (dt_subarray(d)) {
        if ((rc = save(w)) || (rc = put_dtype(w, d->sub_base)) ||
            (rc = put_dims(w, doc->dims + d->sub_dims_at, d->sub_ndim)) || (rc = close_tuple(w, 2)))
            return rc;
    } else if ((rc = put_op(w, OP_NONE))) {
        return rc;
    }
    /* names, fields */
    if (dt_structured(d)) {
        if ((rc = save(w)) || (d->nfields > 3 && (rc = jl_emit_op(&w->e, OP_MARK)))) return rc;
        for (uint32_t i = 0; i < d->nfields; i++) {
            const uint8_t *name = NULL;
            const jl_field *f = &doc->fields[d->fields_at + i];
            if ((rc = ref_bytes(w, JL_NONE, f->name, &name)) || (rc = put_istr(w, (const char *)name, f->name.len)))
                return rc;
        }
        if ((rc = close_tuple(w, d->nfields)) || (rc = put_fields(w, d))) return rc;
    } else if ((rc = put_op(w, OP_NONE)) || (rc = put_op(w, OP_NONE))) {
        return rc;
    }
    /* elsize, alignment (flexible kinds only), flags (numpy 1.x: a signed char) */
    int flexible = d->kind == 'S' || d->kind == 'U' || d->kind == 'V' || dt_structured(d) || dt_subarray(d);
    int flags = dt_flags(doc, dt, 0) | (dt_aligned_struct(doc, d) ? DT_ALIGNED_STRUCT : 0);
    if (d->itemsize > INT64_MAX) return jl_fail(w->err, JL_E_ARG, JL_NO_OFFSET, "dtype %u: itemsize too large", dt);
    if ((rc = put_int(w, flexible ? (int64_t)d->itemsize : -1)) ||
        (rc = put_int(w, flexible ? (int64_t)dt_align(doc, dt, 0) : -1)) ||
        (rc = put_int(w, flags >= 0x80 ? flags - 256 : flags)))
        return rc;
    if (dated) {
        /* ({}, (unit, num, 1, 1)) */
        const char *unit = d->unit[0] ? d->unit : "generic";
        size_t ulen = strnlen(unit, sizeof d->unit);
        if ((rc = save(w)) || (rc = put_op(w, OP_EMPTY_DICT)) || (rc = jl_emit_memoize(&w->e, NULL)) ||
            (rc = save(w)) || (rc = jl_emit_op(&w->e, OP_MARK)) ||
            (rc = put_bytes_raw(w, (const uint8_t *)unit, ulen, ulen == 1)) ||
            (rc = put_int(w, d->unit_num ? d->unit_num : 1)) || (rc = put_int(w, 1)) || (rc = put_int(w, 1)) ||
            (rc = close_tuple(w, 4)) || (rc = close_tuple(w, 2)))
            return rc;
    }
    if ((rc = close_tuple(w, dated ? 9 : 8)) || (rc = jl_emit_op(&w->e, OP_BUILD))) return rc;
    w->depth--;
    return JL_OK;
}

/* ---- containers ------------------------------------------------------------ */

/* CPython's _batch_appends / _batch_setitems / save_set loop: `per` ids
 * per item (1, or 2 for key-value pairs). */
static int batch(W *w, const uint32_t *ids, uint64_t items, unsigned per, uint8_t many, uint8_t one) {
    int rc;
    for (uint64_t at = 0;;) {
        uint64_t n = items - at < JL_EMIT_BATCH ? items - at : JL_EMIT_BATCH;
        if (n > 1 || (n == 1 && !one)) {
            if ((rc = jl_emit_op(&w->e, OP_MARK))) return rc;
            for (uint64_t i = 0; i < n * per; i++)
                if ((rc = put(w, ids[at * per + i]))) return rc;
            if ((rc = jl_emit_op(&w->e, many))) return rc;
        } else if (n == 1) {
            for (unsigned i = 0; i < per; i++)
                if ((rc = put(w, ids[at * per + i]))) return rc;
            if ((rc = jl_emit_op(&w->e, one))) return rc;
        }
        at += n;
        if (n < JL_EMIT_BATCH) return JL_OK;
    }
}

static int put_tuple(W *w, uint32_t id, const uint32_t *k, uint64_t n) {
    int rc = JL_OK;
    if (n == 0) return jl_emit_op(&w->e, OP_EMPTY_TUPLE);
    if (n > 3 && (rc = jl_emit_op(&w->e, OP_MARK))) return rc;
    for (uint64_t i = 0; i < n; i++)
        if ((rc = put(w, k[i]))) return rc;
    uint32_t idx = jl_emit_memo_find(&w->e, JL_EMIT_KEY_NODE(id));
    if (idx != JL_NONE) {
        /* the tuple was written while writing its items (through a list):
         * drop what was pushed and fetch it */
        if (n > 3) rc = jl_emit_op(&w->e, OP_POP_MARK);
        else
            for (uint64_t i = 0; i < n && !rc; i++) rc = jl_emit_op(&w->e, OP_POP);
        return rc ? rc : jl_emit_get(&w->e, idx);
    }
    static const uint8_t small[4] = { 0, OP_TUPLE1, OP_TUPLE2, OP_TUPLE3 };
    if ((rc = jl_emit_op(&w->e, n <= 3 ? small[n] : OP_TUPLE))) return rc;
    return memo_as(w, JL_EMIT_KEY_NODE(id));
}

/* set/frozenset before protocol 4: builtins.set([items]) REDUCE. */
static int put_set_reduce(W *w, uint32_t id, const char *cls, const uint32_t *k, uint64_t n) {
    int rc;
    if ((rc = put_globalz(w, "builtins", cls)) || (rc = save(w)) || (rc = save(w)) ||
        (rc = jl_emit_op(&w->e, OP_EMPTY_LIST)) || (rc = jl_emit_memoize(&w->e, NULL)) ||
        (rc = batch(w, k, n, 1, OP_APPENDS, OP_APPEND)) || (rc = close_tuple(w, 1)) ||
        (rc = jl_emit_op(&w->e, OP_REDUCE)))
        return rc;
    return memo_or_pop(w, JL_EMIT_KEY_NODE(id));
}

static int put_container(W *w, uint32_t id, const jl_node *nd) {
    const jl_doc *doc = w->doc;
    uint64_t n = nd->len;
    if ((uint64_t)nd->u.kids.first + n > doc->nkids) return bad(w, id, "its items lie outside the child table");
    const uint32_t *k = jl_kids_of(doc, id);
    uint64_t key = JL_EMIT_KEY_NODE(id);
    int rc;
    switch (nd->kind) {
    case JL_LIST:
        if ((rc = jl_emit_op(&w->e, OP_EMPTY_LIST)) || (rc = memo_as(w, key))) return rc;
        return batch(w, k, n, 1, OP_APPENDS, OP_APPEND);
    case JL_DICT:
        if (n % 2) return bad(w, id, "a dict with an odd number of children");
        if ((rc = jl_emit_op(&w->e, OP_EMPTY_DICT)) || (rc = memo_as(w, key))) return rc;
        return batch(w, k, n / 2, 2, OP_SETITEMS, OP_SETITEM);
    case JL_TUPLE:
        return put_tuple(w, id, k, n);
    case JL_SET:
        if (w->e.proto < 4) return put_set_reduce(w, id, "set", k, n);
        if ((rc = jl_emit_op(&w->e, OP_EMPTY_SET)) || (rc = memo_as(w, key))) return rc;
        return batch(w, k, n, 1, OP_ADDITEMS, 0);
    default: /* JL_FROZENSET */
        if (w->e.proto < 4) return put_set_reduce(w, id, "frozenset", k, n);
        if ((rc = jl_emit_op(&w->e, OP_MARK))) return rc;
        for (uint64_t i = 0; i < n; i++)
            if ((rc = put(w, k[i]))) return rc;
        uint32_t idx = jl_emit_memo_find(&w->e, key);
        if (idx != JL_NONE) {
            rc = jl_emit_op(&w->e, OP_POP_MARK);
            return rc ? rc : jl_emit_get(&w->e, idx);
        }
        if ((rc = jl_emit_op(&w->e, OP_FROZENSET))) return rc;
        return memo_as(w, key);
    }
}

/* ---- objects ------------------------------------------------------------------ */

static int put_object(W *w, uint32_t id) {
    const jl_doc *doc = w->doc;
    const jl_node *nd = jl_node_at(doc, id);
    if (nd->u.ext >= doc->nobjects) return bad(w, id, "its object record is missing");
    const jl_object *o = jl_object_of(doc, id);
    int rc;
    if (o->cls == JL_NONE) {
        if (o->dtype != JL_NONE) {
            /* a numpy.dtype known only by its parsed form */
            if ((rc = put_dtype(w, o->dtype))) return rc;
            uint32_t idx = jl_emit_memo_find(&w->e, JL_EMIT_KEY_DTYPE(o->dtype));
            return idx == JL_NONE ? JL_OK : jl_emit_memo_set(&w->e, JL_EMIT_KEY_NODE(id), idx);
        }
        return bad(w, id, "an object without a class");
    }
    if (o->args != JL_NONE && (o->args >= doc->nnodes || jl_node_at(doc, o->args)->kind != JL_TUPLE))
        return bad(w, id, "constructor arguments that are not a tuple");
    if (o->kwargs != JL_NONE && (o->kwargs >= doc->nnodes || jl_node_at(doc, o->kwargs)->kind != JL_DICT))
        return bad(w, id, "keyword arguments that are not a dict");
    uint8_t how = o->how;
    int has_args = o->args != JL_NONE && jl_node_at(doc, o->args)->len > 0;
    if (how == JL_HOW_INST || how == JL_HOW_OBJ) how = has_args ? JL_HOW_REDUCE : JL_HOW_NEWOBJ;
    if (how == JL_HOW_NEWOBJ_EX && o->kwargs == JL_NONE) how = JL_HOW_NEWOBJ;

    if (how == JL_HOW_NEWOBJ_EX && w->e.proto < 4) {
        /* copyreg.__newobj_ex__(cls, args, kwargs) */
        if ((rc = put_globalz(w, "copyreg", "__newobj_ex__")) || (rc = save(w)) || (rc = put(w, o->cls)))
            return rc;
        if (o->args == JL_NONE) rc = put_op(w, OP_EMPTY_TUPLE);
        else rc = put(w, o->args);
        if (rc || (rc = put(w, o->kwargs)) || (rc = close_tuple(w, 3)) || (rc = jl_emit_op(&w->e, OP_REDUCE)))
            return rc;
    } else if (how <= JL_HOW_NEWOBJ_EX) {
        if ((rc = put(w, o->cls))) return rc;
        if (o->args == JL_NONE) rc = put_op(w, OP_EMPTY_TUPLE);
        else rc = put(w, o->args);
        if (rc) return rc;
        static const uint8_t ops[3] = { OP_REDUCE, OP_NEWOBJ, OP_NEWOBJ_EX };
        if (how == JL_HOW_NEWOBJ_EX && (rc = put(w, o->kwargs))) return rc;
        if ((rc = jl_emit_op(&w->e, ops[how]))) return rc;
    } else {
        return bad(w, id, "an object with an unknown construction");
    }
    if ((rc = memo_or_pop(w, JL_EMIT_KEY_NODE(id)))) return rc;

    if (o->listitems != JL_NONE) {
        if (o->listitems >= doc->nnodes) return bad(w, id, "list items that are not a container");
        const jl_node *l = jl_node_at(doc, o->listitems);
        if (!jl_is_container(l->kind) || (uint64_t)l->u.kids.first + l->len > doc->nkids)
            return bad(w, id, "list items that are not a container");
        if ((rc = batch(w, jl_kids_of(doc, o->listitems), l->len, 1, OP_APPENDS, OP_APPEND))) return rc;
    }
    if (o->dictitems != JL_NONE) {
        if (o->dictitems >= doc->nnodes) return bad(w, id, "dict items that are not a dict");
        const jl_node *dn = jl_node_at(doc, o->dictitems);
        if (dn->kind != JL_DICT || dn->len % 2 || (uint64_t)dn->u.kids.first + dn->len > doc->nkids)
            return bad(w, id, "dict items that are not a dict");
        if ((rc = batch(w, jl_kids_of(doc, o->dictitems), dn->len / 2, 2, OP_SETITEMS, OP_SETITEM))) return rc;
    }
    if (o->state != JL_NONE) {
        if ((rc = put(w, o->state)) || (rc = jl_emit_op(&w->e, OP_BUILD))) return rc;
    }
    return JL_OK;
}

/* ---- arrays and scalars -------------------------------------------------------- */

/* Checks an array record: dtype, dims, data size (or items for objects). */
static NOINLINE int array_check(W *w, uint32_t id, const jl_array *a, int *objects, uint64_t *nbytes) {
    const jl_doc *doc = w->doc;
    const jl_dtype *d = dtype_at(w, a->dtype);
    if (!d) return w->err ? w->err->code : JL_E_ARG;
    int rc = dims_ok(w, a->dims_at, a->ndim);
    if (rc) return rc;
    uint64_t count = 1;
    for (unsigned i = 0; i < a->ndim; i++)
        if (jl_mul_overflow(count, doc->dims[a->dims_at + i], &count)) return bad(w, id, "its shape overflows");
    *objects = dt_has_object(doc, a->dtype);
    if (*objects) {
        if (a->items == JL_NONE || a->items >= doc->nnodes || jl_node_at(doc, a->items)->kind != JL_LIST)
            return bad(w, id, "an object array without its list of items");
        if (jl_node_at(doc, a->items)->len != count) return bad(w, id, "an object array whose items do not match its shape");
        *nbytes = 0;
        return JL_OK;
    }
    if (jl_mul_overflow(count, d->itemsize, nbytes)) return bad(w, id, "its size overflows");
    if (a->data.len != *nbytes) {
        char msg[128];
        snprintf(msg, sizeof msg, "it has %llu data bytes where its shape and dtype need %llu",
                 (unsigned long long)a->data.len, (unsigned long long)*nbytes);
        return bad(w, id, msg);
    }
    if (is_lazy(w, a->data)) { /* read as it is written (put_payload) */
        uint64_t len = doc->blocks[a->data.block].len;
        if (a->data.off <= len && *nbytes <= len - a->data.off) return JL_OK;
        return bad(w, id, "its bytes lie outside their block");
    }
    const uint8_t *p = NULL;
    return ref_bytes(w, id, a->data, &p);
}

static int put_class_of(W *w, const jl_array *a) {
    if (a->cls != JL_NONE) return put(w, a->cls);
    return put_globalz(w, "numpy", "ndarray");
}

static int write_nested(W *w, uint32_t id);

/* joblib's NumpyArrayWrapper and the payload after it (docs/FORMAT.md 3). */
static NOINLINE int put_wrapper(W *w, uint32_t id, const jl_array *a) {
    int objects, rc;
    uint64_t nbytes;
    if ((rc = array_check(w, id, a, &objects, &nbytes))) return rc;
    const char order[1] = { a->order == 'F' ? 'F' : 'C' };
    if ((rc = put_globalz(w, "joblib.numpy_pickle", "NumpyArrayWrapper")) || (rc = put_op(w, OP_EMPTY_TUPLE)) ||
        (rc = jl_emit_op(&w->e, OP_NEWOBJ)) || (rc = jl_emit_memoize(&w->e, NULL)) || (rc = save(w)) ||
        (rc = jl_emit_op(&w->e, OP_EMPTY_DICT)) || (rc = jl_emit_memoize(&w->e, NULL)) ||
        (rc = jl_emit_op(&w->e, OP_MARK)) || (rc = put_istrz(w, "subclass")) || (rc = put_class_of(w, a)) ||
        (rc = put_istrz(w, "shape")) || (rc = put_dims(w, w->doc->dims + a->dims_at, a->ndim)) ||
        (rc = put_istrz(w, "order")) || (rc = put_istr(w, order, 1)) || (rc = put_istrz(w, "dtype")) ||
        (rc = put_dtype(w, a->dtype)) || (rc = put_istrz(w, "allow_mmap")) || (rc = put_bool(w, !objects)) ||
        (rc = put_istrz(w, "numpy_array_alignment_bytes")) || (rc = put_int(w, 16)) ||
        (rc = jl_emit_op(&w->e, OP_SETITEMS)) || (rc = jl_emit_op(&w->e, OP_BUILD)) ||
        (rc = jl_emit_flush(&w->e)))
        return rc;
    if (objects) return write_nested(w, id);
    /* one length byte, then that many 0xFF, so the data starts 16-aligned */
    uint8_t pad[17];
    uint64_t n = 16 - (jl_emit_tell(&w->e) + 1) % 16;
    pad[0] = (uint8_t)n;
    memset(pad + 1, 0xFF, (size_t)n);
    if ((rc = jl_emit_direct(&w->e, pad, n + 1))) return rc;
    return put_payload(w, a->data, nbytes);
}

int jl_write_sidecar_name(jl_buf *b, const char *base, uint64_t k) {
    return jl_buf_printf(b, "%s_%02llu.npy", base, (unsigned long long)k);
}

/* joblib < 0.10's NDArrayWrapper (docs/FORMAT.md 4.1): the array goes to
 * sidecar k = sc->n, named in the state dict. */
static NOINLINE int put_ndwrapper(W *w, uint32_t id, const jl_array *a) {
    int objects, rc;
    uint64_t nbytes;
    if ((rc = array_check(w, id, a, &objects, &nbytes))) return rc;
    jl_write_sidecars *sc = w->sc;
    if (jl_grow(&w->doc->alloc, (void **)&sc->ids, &sc->cap, sc->n + 1, sizeof *sc->ids, w->doc->limits.max_alloc))
        return jl_fail(w->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory listing sidecar files");
    sc->ids[sc->n++] = id;
    if ((rc = put_globalz(w, "joblib.numpy_pickle", "NDArrayWrapper")) || (rc = put_op(w, OP_EMPTY_TUPLE)) ||
        (rc = jl_emit_op(&w->e, OP_NEWOBJ)) || (rc = jl_emit_memoize(&w->e, NULL)) || (rc = save(w)) ||
        (rc = jl_emit_op(&w->e, OP_EMPTY_DICT)) || (rc = jl_emit_memoize(&w->e, NULL)) ||
        (rc = jl_emit_op(&w->e, OP_MARK)) || (rc = put_istrz(w, "filename")))
        return rc;
    w->scratch.len = 0;
    if (jl_write_sidecar_name(&w->scratch, sc->base, sc->n))
        return jl_fail(w->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory naming a sidecar file");
    if ((rc = put_fstr(w, w->scratch.p, w->scratch.len)) || (rc = put_istrz(w, "subclass")) ||
        (rc = put_class_of(w, a)) || (rc = put_istrz(w, "allow_mmap")) || (rc = put_bool(w, 1)) ||
        (rc = jl_emit_op(&w->e, OP_SETITEMS)))
        return rc;
    return jl_emit_op(&w->e, OP_BUILD);
}

/* numpy's own reduction (inside object-array payloads): _reconstruct(cls,
 * (0,), b'b') then BUILD (1, shape, dtype, is_fortran, data-or-items). */
static NOINLINE int put_reconstruct(W *w, uint32_t id, const jl_array *a) {
    int objects, rc;
    uint64_t nbytes;
    if ((rc = array_check(w, id, a, &objects, &nbytes))) return rc;
    if ((rc = put_globalz(w, "numpy.core.multiarray", "_reconstruct")) || (rc = save(w)) ||
        (rc = put_class_of(w, a)) || (rc = save(w)) || (rc = put_int(w, 0)) || (rc = close_tuple(w, 1)) ||
        (rc = put_bytes_raw(w, (const uint8_t *)"b", 1, 1)) || (rc = close_tuple(w, 3)) ||
        (rc = jl_emit_op(&w->e, OP_REDUCE)) || (rc = memo_or_pop(w, JL_EMIT_KEY_NODE(id))) || (rc = save(w)) ||
        (rc = jl_emit_op(&w->e, OP_MARK)) || (rc = put_int(w, 1)) ||
        (rc = put_dims(w, w->doc->dims + a->dims_at, a->ndim)) || (rc = put_dtype(w, a->dtype)) ||
        (rc = put_bool(w, a->order == 'F')))
        return rc;
    if (objects) rc = put(w, a->items);
    else if (is_lazy(w, a->data)) rc = bad(w, id, "its bytes are still in the compressed stream");
    else rc = put_bytes_raw(w, nbytes ? jl_ref_ptr(w->doc, a->data) : (const uint8_t *)"", nbytes, 0);
    if (rc || (rc = close_tuple(w, 5))) return rc;
    return jl_emit_op(&w->e, OP_BUILD);
}

/* numpy.core.multiarray.scalar(dtype, bytes). */
static NOINLINE int put_scalar(W *w, uint32_t id, const jl_array *a) {
    const jl_dtype *d = dtype_at(w, a->dtype);
    if (!d) return w->err ? w->err->code : JL_E_ARG;
    if (dt_has_object(w->doc, a->dtype)) return bad(w, id, "a numpy scalar with an object dtype");
    if (a->data.len != d->itemsize) return bad(w, id, "a numpy scalar whose data is not one item");
    const uint8_t *p = NULL;
    int rc = ref_bytes(w, id, a->data, &p);
    if (rc || (rc = put_globalz(w, "numpy.core.multiarray", "scalar")) || (rc = save(w)) ||
        (rc = put_dtype(w, a->dtype)) || (rc = put_bytes_raw(w, p, a->data.len, 0)) || (rc = close_tuple(w, 2)) ||
        (rc = jl_emit_op(&w->e, OP_REDUCE)))
        return rc;
    return memo_or_pop(w, JL_EMIT_KEY_NODE(id));
}

/* ---- one node ----------------------------------------------------------------- */

/* str / bytes / bytearray / complex / big int bytes of a node. */
static int node_bytes(W *w, uint32_t id, const uint8_t **p, uint64_t *n) {
    jl_ref r = jl_node_ref(w->doc, id);
    *n = r.len;
    return ref_bytes(w, id, r, p);
}

static NOINLINE int put_atom_ref(W *w, uint32_t id, const jl_node *nd) {
    const uint8_t *p = NULL;
    uint64_t n;
    int rc = node_bytes(w, id, &p, &n);
    if (rc) return rc;
    uint64_t key = JL_EMIT_KEY_NODE(id);
    switch (nd->kind) {
    case JL_STR:
        if ((rc = jl_emit_str(&w->e, p, n))) return rc;
        return memo_as(w, key);
    case JL_BYTES:
        if (w->e.proto >= 3) {
            if ((rc = jl_emit_bytes(&w->e, p, n))) return rc;
            return memo_as(w, key);
        }
        if ((rc = put_bytes_raw(w, p, n, 0))) return rc;
        return jl_emit_memo_set(&w->e, key, (uint32_t)(w->e.memo_len - 1));
    case JL_BYTEARRAY:
        if (w->e.proto >= 5) {
            if ((rc = jl_emit_bytearray8(&w->e, p, n))) return rc;
            return memo_as(w, key);
        }
        /* builtins.bytearray(bytes) or builtins.bytearray() */
        if ((rc = put_globalz(w, "builtins", "bytearray"))) return rc;
        if (n == 0) rc = put_op(w, OP_EMPTY_TUPLE);
        else if (!(rc = save(w)) && !(rc = put_bytes_raw(w, p, n, 0))) rc = close_tuple(w, 1);
        if (rc || (rc = jl_emit_op(&w->e, OP_REDUCE))) return rc;
        return memo_or_pop(w, key);
    default: { /* JL_COMPLEX: builtins.complex(real, imag) */
        if (n != 16) return bad(w, id, "a complex that is not 16 bytes");
        double re, im;
        memcpy(&re, p, 8);
        memcpy(&im, p + 8, 8);
        if ((rc = put_globalz(w, "builtins", "complex")) || (rc = save(w)) || (rc = save(w)) ||
            (rc = jl_emit_float(&w->e, re)) || (rc = save(w)) || (rc = jl_emit_float(&w->e, im)) ||
            (rc = close_tuple(w, 2)) || (rc = jl_emit_op(&w->e, OP_REDUCE)))
            return rc;
        return memo_or_pop(w, key);
    }
    }
}

static int put(W *w, uint32_t id) {
    const jl_doc *doc = w->doc;
    if (id >= doc->nnodes)
        return jl_fail(w->err, JL_E_ARG, JL_NO_OFFSET, "cannot write node %u: no such node", id);
    const jl_node *nd = jl_node_at(doc, id);
    int rc = save(w);
    if (rc) return rc;
    switch (nd->kind) {
    case JL_NULL: return jl_emit_op(&w->e, OP_NONE);
    case JL_BOOL: return jl_emit_op(&w->e, nd->u.i ? OP_NEWTRUE : OP_NEWFALSE);
    case JL_FLOAT: return jl_emit_float(&w->e, nd->u.f);
    case JL_INT:
        if (nd->flags & JL_F_BIG) {
            const uint8_t *p = NULL;
            uint64_t n;
            if ((rc = node_bytes(w, id, &p, &n))) return rc;
            return jl_emit_long(&w->e, p, n);
        }
        return jl_emit_int(&w->e, nd->u.i);
    case JL_GLOBAL: {
        if (nd->u.ext >= doc->nglobals) return bad(w, id, "its global record is missing");
        const jl_global *g = jl_global_of(doc, id);
        const uint8_t *m = NULL, *n = NULL;
        if ((rc = ref_bytes(w, id, g->module, &m)) || (rc = ref_bytes(w, id, g->name, &n))) return rc;
        return put_global(w, (const char *)m, g->module.len, (const char *)n, g->name.len);
    }
    default: break;
    }
    if (nd->kind >= JL_KIND_COUNT) return bad(w, id, "an unknown kind");

    /* everything else is memoized, except arrays in the main stream:
     * joblib writes a new wrapper at each occurrence */
    int is_array = nd->kind == JL_NDARRAY;
    /* (in the legacy layout an object array is numpy's own reduction, which
     * the memo holds as the array itself) */
    int inline_array = is_array && w->sc && nd->u.ext < doc->narrays &&
                       dt_has_object(doc, jl_array_of(doc, id)->dtype);
    if (!is_array || w->nested || inline_array) {
        uint32_t idx = jl_emit_memo_find(&w->e, JL_EMIT_KEY_NODE(id));
        if (idx != JL_NONE) return jl_emit_get(&w->e, idx);
    }
    switch (nd->kind) {
    case JL_STR: case JL_BYTES: case JL_BYTEARRAY: case JL_COMPLEX:
        return put_atom_ref(w, id, nd);
    default: break;
    }
    if ((rc = enter(w))) return rc;
    switch (nd->kind) {
    case JL_NDARRAY: case JL_SCALAR: {
        if (nd->u.ext >= doc->narrays) return bad(w, id, "its array record is missing");
        const jl_array *a = jl_array_of(doc, id);
        if (nd->kind == JL_SCALAR) rc = put_scalar(w, id, a);
        else if (w->nested || inline_array) rc = put_reconstruct(w, id, a);
        else rc = w->sc ? put_ndwrapper(w, id, a) : put_wrapper(w, id, a);
        break;
    }
    case JL_OBJECT:
        rc = put_object(w, id);
        break;
    default:
        rc = put_container(w, id, nd);
        break;
    }
    if (!rc) w->depth--;
    return rc;
}

/* ---- streams ------------------------------------------------------------------ */

/* lazy: the outer run's reader, or NULL for a run of its own. */
static int run(W *w, const jl_doc *doc, uint32_t id, int proto, jl_buf *out, int nested, uint32_t depth,
               jl_write_sidecars *sc, jl_lazy_reader **lazy, jl_error *err) {
    memset(w, 0, sizeof *w);
    w->doc = doc;
    w->lazy = lazy ? lazy : &w->lazy_own;
    w->sc = sc;
    w->err = err;
    w->nested = nested;
    w->depth = depth;
    w->max_depth = JL_WRITE_MAX_DEPTH;
    if (doc->limits.max_depth && doc->limits.max_depth < w->max_depth) w->max_depth = (uint32_t)doc->limits.max_depth;
    jl_buf_init(&w->scratch, &doc->alloc, 0);
    int rc = jl_emit_begin(&w->e, out, proto, &doc->alloc, err);
    if (!rc) rc = put(w, id);
    if (!rc) rc = jl_emit_end(&w->e);
    jl_emit_free(&w->e);
    jl_buf_free(&w->scratch);
    jl_lazy_reader_free(w->lazy_own);
    return rc;
}

/* An object array's payload: pickle.dump(array, f, protocol=2) with a
 * memo of its own. */
static int write_nested(W *w, uint32_t id) {
    W inner;
    return run(&inner, w->doc, id, 2, w->e.out, 1, w->depth, NULL, w->lazy, w->err);
}

int jl_write_stream(const jl_doc *doc, uint32_t id, int protocol, jl_buf *out, jl_error *err) {
    if (protocol < 2 || protocol > 5)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "pickle protocol %d is not supported (use 2 to 5)", protocol);
    W w;
    return run(&w, doc, id, protocol, out, 0, 0, NULL, NULL, err);
}

int jl_write_stream_npy(const jl_doc *doc, uint32_t id, int protocol, jl_write_sidecars *sc, jl_buf *out,
                        jl_error *err) {
    if (protocol < 2 || protocol > 5)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "pickle protocol %d is not supported (use 2 to 5)", protocol);
    if (!sc || !sc->base || !*sc->base)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "the legacy layout needs the main file's name");
    W w;
    return run(&w, doc, id, protocol, out, 0, 0, sc, NULL, err);
}

/* emit into a jl_buf; its `failed` says why (jl_write_npy's message). */
static int to_buf(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    (void)err;
    return jl_buf_append(ctx, p, n) ? JL_E_NOMEM : JL_OK;
}

int jl_write_npy(const jl_doc *doc, uint32_t id, jl_buf *out, jl_error *err) {
    W w; /* for the checks only */
    memset(&w, 0, sizeof w);
    w.doc = doc;
    w.err = err;
    if (id >= doc->nnodes || doc->nodes[id].kind != JL_NDARRAY || doc->nodes[id].u.ext >= doc->narrays)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "cannot write node %u as .npy: not an array", id);
    const jl_array *a = jl_array_of(doc, id);
    int objects, rc;
    uint64_t nbytes;
    if ((rc = array_check(&w, id, a, &objects, &nbytes))) return rc;
    if (objects) return bad(&w, id, "an object array has no .npy sidecar (it is pickled inline)");
    /* a subarray dtype adds its dims to the shape, as numpy expands it */
    uint32_t dt = a->dtype;
    uint64_t dims[JL_MAX_DIMS];
    unsigned ndim = a->ndim;
    const jl_dtype *d = &doc->dtypes[dt];
    if (ndim > JL_MAX_DIMS) return bad(&w, id, "more than " JL_XSTR(JL_MAX_DIMS) " dimensions");
    memcpy(dims, doc->dims + a->dims_at, ndim * sizeof *dims);
    /* numpy's flags: F order only when the bytes differ from C order */
    int fortran = jl_array_layout_order(dims, ndim, a->order) == 'F';
    for (int nest = 0; dt_subarray(d); nest++) {
        if (fortran) return bad(&w, id, "an F-order array of a subarray dtype");
        if (ndim + d->sub_ndim > JL_MAX_DIMS || nest > DT_MAX_NEST)
            return bad(&w, id, "more than " JL_XSTR(JL_MAX_DIMS) " dimensions");
        if ((rc = dims_ok(&w, d->sub_dims_at, d->sub_ndim))) return rc;
        memcpy(dims + ndim, doc->dims + d->sub_dims_at, d->sub_ndim * sizeof *dims);
        ndim += d->sub_ndim;
        dt = d->sub_base;
        if (!(d = dtype_at(&w, dt))) return err ? err->code : JL_E_ARG;
    }
    if ((rc = jl_npy_write_header(doc, dt, fortran, dims, ndim, out, err))) return rc;
    if (is_lazy(&w, a->data)) { /* from the compressed stream, piece by piece */
        jl_lazy_reader *r = NULL;
        if (!(rc = jl_lazy_reader_open(doc, &r, err))) rc = jl_lazy_reader_read(r, a->data.off, nbytes, to_buf, out, err);
        jl_lazy_reader_free(r);
        if (rc != JL_E_NOMEM || !out->failed) return rc;
    } else if (nbytes) {
        jl_buf_append(out, jl_ref_ptr(doc, a->data), nbytes);
    }
    if (out->failed)
        return jl_fail(err, out->failed, JL_NO_OFFSET, "%s writing a .npy file of %llu data bytes",
                       out->failed == JL_E_LIMIT ? "over max_alloc" : "out of memory", (unsigned long long)nbytes);
    return JL_OK;
}

int jl_write_bundle(jl_doc *doc, uint32_t id, const jl_write_opts *o, uint8_t **out, uint64_t *n,
                    jl_error *err) {
    jl_write_opts def = { 4, JL_COMP_NONE, 3 };
    if (!o) o = &def;
    int proto = o->protocol ? o->protocol : 4;
    int level = o->level > 0 ? o->level : 3;
    *out = NULL;
    *n = 0;
    if (o->compression >= JL_COMP_COUNT)
        return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "unknown compression %d", (int)o->compression);
    if (o->compression == JL_COMP_ZF)
        return jl_fail(err, JL_E_UNSUPPORTED, JL_NO_OFFSET,
                       "writing the legacy ZF container is not supported (joblib >= 0.10 never writes it)");
    jl_buf b; /* the whole stream is one allocation: max_alloc bounds it */
    jl_buf_init(&b, &doc->alloc, doc->limits.max_alloc);
    int rc = jl_write_stream(doc, id, proto, &b, err);
    if (rc) {
        jl_buf_free(&b);
        return rc;
    }
    if (o->compression == JL_COMP_NONE) {
        char *p = jl_buf_take(&b, n);
        if (!p) {
            jl_buf_free(&b);
            return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory finishing the bundle");
        }
        *out = (uint8_t *)p;
        return JL_OK;
    }
    rc = jl_compress(o->compression, level, (const uint8_t *)b.p, b.len, &doc->alloc, out, n, err);
    jl_buf_free(&b);
    return rc;
}
