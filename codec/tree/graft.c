/*
 * graft.c - copies the subtree at a node of one doc into another doc (see
 * graft.h), keeping sharing and cycles: each source node reached is
 * created once in the destination (a hash map remembers it) and filled
 * from a worklist, so depth costs nothing on the C stack.
 */
#include "graft.h"

#include <string.h>

#include "dtype.h"

void jl_graft_init(jl_grafter *g, jl_doc *dst, const jl_doc *src, int borrow) {
    memset(g, 0, sizeof *g);
    g->dst = dst;
    g->src = src;
    g->borrow = borrow;
}

void jl_graft_free(jl_grafter *g) {
    const jl_alloc *a = &g->dst->alloc;
    jl_free(a, g->keys);
    jl_free(a, g->vals);
    jl_free(a, g->dtypes);
    jl_free(a, g->blocks);
    jl_free(a, g->work);
    jl_free(a, g->scratch);
    g->keys = g->vals = g->dtypes = g->blocks = g->work = g->scratch = NULL;
    g->cap = g->len = g->nwork = g->cap_work = g->cap_scratch = 0;
}

static int nomem(jl_error *err) { return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory copying a value"); }

static int broken(jl_error *err, const char *what, uint64_t i) {
    return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "cannot copy a value: %s %llu is missing", what,
                   (unsigned long long)i);
}

/* ---- the node map ---------------------------------------------------------- */

static uint64_t slot_of(uint32_t key, uint64_t cap) {
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
    return (h >> 17) & (cap - 1);
}

static uint32_t map_get(const jl_grafter *g, uint32_t key) {
    if (!g->cap) return JL_NONE;
    for (uint64_t i = slot_of(key, g->cap);; i = (i + 1) & (g->cap - 1)) {
        if (g->keys[i] == key) return g->vals[i];
        if (g->keys[i] == JL_NONE) return JL_NONE;
    }
}

static int map_put(jl_grafter *g, uint32_t key, uint32_t val, jl_error *err) {
    const jl_alloc *a = &g->dst->alloc;
    if ((g->len + 1) * 2 > g->cap) {
        uint64_t ncap = g->cap ? g->cap * 2 : 64;
        if (ncap > ((uint64_t)1 << 33) || ncap * sizeof(uint32_t) > g->dst->limits.max_alloc)
            return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "a value too large to copy");
        uint32_t *k = jl_malloc(a, (size_t)ncap * sizeof *k), *v = jl_malloc(a, (size_t)ncap * sizeof *v);
        if (!k || !v) {
            jl_free(a, k);
            jl_free(a, v);
            return nomem(err);
        }
        memset(k, 0xFF, (size_t)ncap * sizeof *k);
        for (uint64_t i = 0; i < g->cap; i++) {
            if (g->keys[i] == JL_NONE) continue;
            uint64_t s = slot_of(g->keys[i], ncap);
            while (k[s] != JL_NONE) s = (s + 1) & (ncap - 1);
            k[s] = g->keys[i];
            v[s] = g->vals[i];
        }
        jl_free(a, g->keys);
        jl_free(a, g->vals);
        g->keys = k;
        g->vals = v;
        g->cap = ncap;
    }
    uint64_t s = slot_of(key, g->cap);
    while (g->keys[s] != JL_NONE) s = (s + 1) & (g->cap - 1);
    g->keys[s] = key;
    g->vals[s] = val;
    g->len++;
    return JL_OK;
}

/* A dense table of n entries set to JL_NONE, allocated on first use. */
static int dense(jl_grafter *g, uint32_t **t, uint64_t n, jl_error *err) {
    if (*t) return JL_OK;
    uint64_t bytes;
    if (jl_mul_overflow(n ? n : 1, sizeof(uint32_t), &bytes) || bytes > SIZE_MAX) return nomem(err);
    *t = jl_malloc(&g->dst->alloc, (size_t)bytes);
    if (!*t) return nomem(err);
    memset(*t, 0xFF, (size_t)bytes);
    return JL_OK;
}

/* ---- bytes ------------------------------------------------------------------ */

/* The destination's copy of source ref r. */
static int copy_ref(jl_grafter *g, jl_ref r, jl_ref *out, jl_error *err) {
    const jl_doc *src = g->src;
    if (r.block >= src->nblocks) return broken(err, "byte block", r.block);
    const jl_block *b = &src->blocks[r.block];
    uint64_t end;
    if (jl_add_overflow(r.off, r.len, &end) || end > b->len)
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "cannot copy a value: bytes beyond their block");
    if (g->borrow) {
        int rc = dense(g, &g->blocks, src->nblocks, err);
        if (rc) return rc;
        if (g->blocks[r.block] == JL_NONE) {
            uint32_t nb = jl_block_add(g->dst, b->p, b->len, JL_BLOCK_BORROWED, err);
            if (nb == JL_NONE) return err->code;
            g->blocks[r.block] = nb;
        }
        out->block = g->blocks[r.block];
        out->off = r.off;
        out->len = r.len;
        return JL_OK;
    }
    uint8_t *p = jl_heap_alloc(g->dst, r.len, out, err);
    if (!p) return err->code;
    if (r.len) memcpy(p, b->p + r.off, (size_t)r.len);
    return JL_OK;
}

/* ---- dtypes -------------------------------------------------------------------- */

static int copy_dtype(jl_grafter *g, uint32_t dt, unsigned depth, uint32_t *out, jl_error *err) {
    const jl_doc *src = g->src;
    jl_doc *dst = g->dst;
    *out = JL_NONE;
    if (dt == JL_NONE) return JL_OK;
    if (dt >= src->ndtypes) return broken(err, "dtype", dt);
    if (depth > JL_DTYPE_MAX_DEPTH + 1)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "a dtype nested deeper than %d levels", JL_DTYPE_MAX_DEPTH);
    int rc = dense(g, &g->dtypes, src->ndtypes, err);
    if (rc) return rc;
    if (g->dtypes[dt] != JL_NONE) {
        *out = g->dtypes[dt];
        return JL_OK;
    }
    const jl_dtype s = src->dtypes[dt];
    uint32_t base = JL_NONE, sub_at = 0, fields_at = 0;
    if ((rc = copy_dtype(g, s.sub_base, depth + 1, &base, err))) return rc;
    if (s.sub_ndim) {
        if ((uint64_t)s.sub_dims_at + s.sub_ndim > src->ndims) return broken(err, "dimension", s.sub_dims_at);
        if ((sub_at = jl_dims_new(dst, s.sub_ndim, err)) == JL_NONE) return err->code;
        memcpy(dst->dims + sub_at, src->dims + s.sub_dims_at, s.sub_ndim * sizeof(uint64_t));
    }
    if (s.nfields) {
        if ((uint64_t)s.fields_at + s.nfields > src->nfields) return broken(err, "field", s.fields_at);
        if ((fields_at = jl_fields_new(dst, s.nfields, err)) == JL_NONE) return err->code;
        for (uint32_t i = 0; i < s.nfields; i++) {
            const jl_field f = src->fields[s.fields_at + i];
            jl_field c = { { 0, 0, 0 }, { 0, 0, 0 }, JL_NONE, f.offset };
            if ((rc = copy_ref(g, f.name, &c.name, err))) return rc;
            if (f.title.len && (rc = copy_ref(g, f.title, &c.title, err))) return rc;
            if ((rc = copy_dtype(g, f.dtype, depth + 1, &c.dtype, err))) return rc;
            dst->fields[fields_at + i] = c;
        }
    }
    uint32_t d = jl_dtype_new(dst, err);
    if (d == JL_NONE) return err->code;
    jl_dtype *nd = &dst->dtypes[d];
    *nd = s;
    nd->sub_base = base;
    nd->sub_dims_at = sub_at;
    nd->fields_at = fields_at;
    g->dtypes[dt] = d;
    *out = d;
    return JL_OK;
}

/* ---- nodes ------------------------------------------------------------------- */

/* The destination node of source node id: created (empty) and queued for
 * filling the first time it is reached. */
static int reach(jl_grafter *g, uint32_t id, uint32_t *out, jl_error *err) {
    *out = JL_NONE;
    if (id == JL_NONE) return JL_OK;
    if (id >= g->src->nnodes) return broken(err, "node", id);
    uint32_t got = map_get(g, id);
    if (got != JL_NONE) {
        *out = got;
        return JL_OK;
    }
    uint8_t kind = g->src->nodes[id].kind;
    if (kind >= JL_KIND_COUNT) return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "cannot copy a node of kind %u", kind);
    uint32_t n = jl_node_new(g->dst, (jl_kind)kind, err);
    if (n == JL_NONE) return err->code;
    int rc = map_put(g, id, n, err);
    if (rc) return rc;
    if (jl_grow(&g->dst->alloc, (void **)&g->work, &g->cap_work, g->nwork + 1, sizeof(uint32_t),
                g->dst->limits.max_alloc))
        return nomem(err);
    g->work[g->nwork++] = id;
    *out = n;
    return JL_OK;
}

static int fill_kids(jl_grafter *g, uint32_t sid, uint32_t did, jl_error *err) {
    const jl_node *s = &g->src->nodes[sid];
    uint64_t n = s->len;
    if ((uint64_t)s->u.kids.first + n > g->src->nkids) return broken(err, "child run of node", sid);
    if (jl_grow(&g->dst->alloc, (void **)&g->scratch, &g->cap_scratch, n, sizeof(uint32_t),
                g->dst->limits.max_alloc))
        return nomem(err);
    const uint32_t *k = g->src->kids + s->u.kids.first;
    for (uint64_t i = 0; i < n; i++) {
        int rc = reach(g, k[i], &g->scratch[i], err);
        if (rc) return rc;
        if (g->scratch[i] == JL_NONE) return broken(err, "child of node", sid);
    }
    return jl_kids_append(g->dst, did, g->scratch, n, err);
}

static int fill_array(jl_grafter *g, uint32_t sid, uint32_t did, jl_error *err) {
    const jl_doc *src = g->src;
    jl_doc *dst = g->dst;
    uint64_t ext = src->nodes[sid].u.ext;
    if (ext >= src->narrays) return broken(err, "array record", ext);
    const jl_array a = src->arrays[ext];
    jl_array c = a;
    int rc;
    if ((rc = copy_dtype(g, a.dtype, 0, &c.dtype, err)) || (rc = reach(g, a.cls, &c.cls, err)) ||
        (rc = reach(g, a.items, &c.items, err)))
        return rc;
    c.dims_at = 0;
    if (a.ndim) {
        if ((uint64_t)a.dims_at + a.ndim > src->ndims) return broken(err, "dimension", a.dims_at);
        if ((c.dims_at = jl_dims_new(dst, a.ndim, err)) == JL_NONE) return err->code;
        memcpy(dst->dims + c.dims_at, src->dims + a.dims_at, a.ndim * sizeof(uint64_t));
    }
    if ((rc = copy_ref(g, a.data, &c.data, err))) return rc;
    c.file = JL_NONE; /* a sidecar file belongs to the source bundle only */
    c.stream_off = 0;
    uint32_t ai = jl_array_new(dst, err);
    if (ai == JL_NONE) return err->code;
    dst->arrays[ai] = c;
    dst->nodes[did].u.ext = ai;
    return JL_OK;
}

static int fill_object(jl_grafter *g, uint32_t sid, uint32_t did, jl_error *err) {
    const jl_doc *src = g->src;
    uint64_t ext = src->nodes[sid].u.ext;
    if (ext >= src->nobjects) return broken(err, "object record", ext);
    const jl_object o = src->objects[ext];
    jl_object c = o;
    int rc;
    if ((rc = reach(g, o.cls, &c.cls, err)) || (rc = reach(g, o.args, &c.args, err)) ||
        (rc = reach(g, o.kwargs, &c.kwargs, err)) || (rc = reach(g, o.state, &c.state, err)) ||
        (rc = reach(g, o.listitems, &c.listitems, err)) || (rc = reach(g, o.dictitems, &c.dictitems, err)) ||
        (rc = copy_dtype(g, o.dtype, 0, &c.dtype, err)))
        return rc;
    uint32_t oi = jl_object_new(g->dst, err);
    if (oi == JL_NONE) return err->code;
    g->dst->objects[oi] = c;
    g->dst->nodes[did].u.ext = oi;
    return JL_OK;
}

static int fill_global(jl_grafter *g, uint32_t sid, uint32_t did, jl_error *err) {
    const jl_doc *src = g->src;
    uint64_t ext = src->nodes[sid].u.ext;
    if (ext >= src->nglobals) return broken(err, "global record", ext);
    const jl_global s = src->globals[ext];
    jl_global c;
    int rc;
    if ((rc = copy_ref(g, s.module, &c.module, err)) || (rc = copy_ref(g, s.name, &c.name, err))) return rc;
    uint32_t gi = jl_global_new(g->dst, err);
    if (gi == JL_NONE) return err->code;
    g->dst->globals[gi] = c;
    g->dst->nodes[did].u.ext = gi;
    return JL_OK;
}

/* A byte-carrying node (str, bytes, bytearray, complex, big int). */
static int fill_bytes(jl_grafter *g, const jl_node *s, uint32_t did, jl_error *err) {
    jl_ref r = { s->u.off, s->len, s->block }, c;
    int rc = copy_ref(g, r, &c, err);
    if (rc) return rc;
    if (c.block > UINT16_MAX) return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "too many byte blocks in one value");
    jl_node *d = &g->dst->nodes[did];
    d->block = (uint16_t)c.block;
    d->len = (uint32_t)c.len;
    d->u.off = c.off;
    return JL_OK;
}

/* Fills destination node did from source node sid. */
static int fill(jl_grafter *g, uint32_t sid, uint32_t did, jl_error *err) {
    const jl_node s = g->src->nodes[sid];
    jl_doc *dst = g->dst;
    dst->nodes[did].flags = s.flags;
    switch (s.kind) {
    case JL_NULL:
        return JL_OK;
    case JL_BOOL:
    case JL_FLOAT:
        dst->nodes[did].u = s.u;
        return JL_OK;
    case JL_INT:
        if (!(s.flags & JL_F_BIG)) {
            dst->nodes[did].u = s.u;
            return JL_OK;
        }
        return fill_bytes(g, &s, did, err); /* big ints are bytes */
    case JL_COMPLEX:
    case JL_STR:
    case JL_BYTES:
    case JL_BYTEARRAY:
        return fill_bytes(g, &s, did, err);
    case JL_LIST:
    case JL_TUPLE:
    case JL_DICT:
    case JL_SET:
    case JL_FROZENSET:
        return fill_kids(g, sid, did, err);
    case JL_NDARRAY:
    case JL_SCALAR:
        return fill_array(g, sid, did, err);
    case JL_OBJECT:
        return fill_object(g, sid, did, err);
    case JL_GLOBAL:
        return fill_global(g, sid, did, err);
    default:
        return jl_fail(err, JL_E_FORMAT, JL_NO_OFFSET, "cannot copy a node of kind %u", s.kind);
    }
}

int jl_graft_node(jl_grafter *g, uint32_t id, uint32_t *out, jl_error *err) {
    jl_error local;
    if (!err) err = &local;
    *out = JL_NONE;
    if (id == JL_NONE || id >= g->src->nnodes) return broken(err, "node", id);
    uint32_t root;
    int rc = reach(g, id, &root, err);
    while (rc == JL_OK && g->nwork) {
        uint32_t sid = g->work[--g->nwork];
        rc = fill(g, sid, map_get(g, sid), err);
    }
    if (rc) {
        g->nwork = 0;
        return rc;
    }
    *out = root;
    return JL_OK;
}

int jl_graft(jl_doc *dst, const jl_doc *src, uint32_t id, int borrow, uint32_t *out, jl_error *err) {
    jl_grafter g;
    jl_graft_init(&g, dst, src, borrow);
    int rc = jl_graft_node(&g, id, out, err);
    jl_graft_free(&g);
    return rc;
}
