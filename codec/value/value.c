/*
 * value.c - the value tree arena (see value.h): node and side-table
 * allocation, the doc's heap of bytes, child runs of containers, and the
 * small read helpers shared by every module.
 */
#include "value.h"
#include "seek_index.h"
#include "shared.h"
#include "text.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HEAP_BLOCK_MIN ((uint64_t)64 << 10)

jl_doc *jl_doc_new(const jl_alloc *alloc, const jl_limits *limits) {
    if (!alloc) alloc = jl_alloc_default();
    jl_doc *doc = jl_malloc(alloc, sizeof *doc);
    if (!doc) return NULL;
    memset(doc, 0, sizeof *doc);
    doc->alloc = *alloc;
    if (limits) doc->limits = *limits;
    else jl_limits_default(&doc->limits);
    doc->heap_block = JL_NONE;
    doc->lazy_block = doc->lazy_src = JL_NONE;
    doc->root = JL_NONE;
    doc->python = 3;
    return doc;
}

void jl_doc_free(jl_doc *doc) {
    if (!doc) return;
    const jl_alloc *a = &doc->alloc;
    for (uint64_t i = 0; i < doc->nblocks; i++) {
        jl_block *b = &doc->blocks[i];
        if (b->owner == JL_BLOCK_HEAP) jl_free(a, (void *)b->p);
        else if (b->owner == JL_BLOCK_MMAP && b->p) munmap((void *)b->p, (size_t)b->len);
        else if (b->owner == JL_BLOCK_SHARED) jl_shared_unref(b->p);
        if (b->fd >= 0) close(b->fd);
    }
    for (uint64_t i = 0; i < doc->nfiles; i++) jl_free(a, doc->files[i].path);
    if (doc->nodes_shared) jl_shared_unref((const uint8_t *)doc->nodes);
    else jl_free(a, doc->nodes);
    if (doc->kids_shared) jl_shared_unref((const uint8_t *)doc->kids);
    else jl_free(a, doc->kids);
    jl_free(a, doc->blocks);
    jl_free(a, doc->arrays);
    jl_free(a, doc->objects);
    jl_free(a, doc->globals);
    jl_free(a, doc->dtypes);
    jl_free(a, doc->fields);
    jl_free(a, doc->dims);
    jl_free(a, doc->files);
    jl_free(a, doc->multi);
    jl_free(a, doc->lazy_spans);
    jl_free(a, doc->lazy_ranges);
    jl_seek_index_free(doc->lazy_index);
    jl_alloc copy = *a;
    jl_free(&copy, doc);
}

/* Grows one of the doc's vectors; reports a limit or out-of-memory. */
static int grow(jl_doc *doc, void **p, uint64_t *cap, uint64_t need, size_t elem, const char *what,
                jl_error *err) {
    int rc = jl_grow(&doc->alloc, p, cap, need, elem, doc->limits.max_alloc);
    if (rc == JL_E_LIMIT)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "%s table exceeds max_alloc (%llu bytes)", what,
                       (unsigned long long)doc->limits.max_alloc);
    if (rc) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory growing the %s table", what);
    return JL_OK;
}

/* Grows the node or child table: past JL_SHARED_MIN bytes it lives in a
 * shared block (shared.h: huge pages, grown by mremap), whose first touch
 * costs one fault per 2 MiB instead of one per 4 KiB. `used` elements are
 * kept; *shared says where the table lives. */
static int grow_table(jl_doc *doc, void **p, uint64_t *cap, uint64_t used, uint64_t need, size_t elem,
                      int *shared, const char *what, jl_error *err) {
    uint64_t ncap = *cap ? *cap : 16, bytes, got = 0, max = doc->limits.max_alloc;
    while (ncap < need && ncap <= UINT64_MAX / 2) ncap *= 2;
    if (ncap < need || jl_mul_overflow(ncap, elem, &bytes) || (max && bytes > max)) {
        ncap = need; /* doubling passes the limit: the exact need */
        if (jl_mul_overflow(ncap, elem, &bytes) || (max && bytes > max))
            return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "%s table exceeds max_alloc (%llu bytes)", what,
                           (unsigned long long)max);
    }
    if (*shared || bytes >= JL_SHARED_MIN) {
        uint8_t *q = *shared ? jl_shared_resize(*p, bytes, &got) : jl_shared_new(bytes, &got);
        if (q) {
            if (!*shared) {
                if (used) memcpy(q, *p, (size_t)(used * elem));
                jl_free(&doc->alloc, *p);
                *shared = 1;
            }
            *p = q;
            *cap = got / elem;
            return JL_OK;
        }
        if (*shared) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory growing the %s table", what);
    }
    return grow(doc, p, cap, need, elem, what, err);
}

void jl_doc_multi_forget(jl_doc *doc) {
    jl_free(&doc->alloc, doc->multi);
    doc->multi = NULL;
    doc->multi_nnodes = doc->multi_nobjects = 0;
}

uint32_t jl_node_new(jl_doc *doc, jl_kind kind, jl_error *err) {
    if (doc->nnodes >= doc->limits.max_nodes || doc->nnodes >= JL_NONE - 1) {
        jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "more than max_nodes (%llu) values",
                (unsigned long long)doc->limits.max_nodes);
        return JL_NONE;
    }
    if (doc->nnodes == doc->cap_nodes &&
        grow_table(doc, (void **)&doc->nodes, &doc->cap_nodes, doc->nnodes, doc->nnodes + 1, sizeof(jl_node),
                   &doc->nodes_shared, "node", err))
        return JL_NONE;
    jl_node *n = &doc->nodes[doc->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    if (jl_is_container((uint8_t)kind)) n->u.kids.first = n->u.kids.cap = 0;
    return (uint32_t)doc->nnodes++;
}

uint32_t jl_new_int(jl_doc *doc, int64_t v, jl_error *err) {
    uint32_t id = jl_node_new(doc, JL_INT, err);
    if (id != JL_NONE) doc->nodes[id].u.i = v;
    return id;
}

uint32_t jl_new_int_decimal(jl_doc *doc, const uint8_t *d, uint64_t nd, int neg, jl_error *err) {
    int64_t v;
    if (jl_decimal_int64(d, nd, neg, &v)) return jl_new_int(doc, v, err);
    jl_ref ref;
    uint8_t *b = jl_heap_alloc(doc, JL_DECIMAL_LE_CAP(nd), &ref, err);
    if (!b) return JL_NONE;
    ref.len = jl_decimal_le(d, nd, neg, b);
    uint32_t id = jl_new_ref(doc, JL_INT, ref, err);
    if (id != JL_NONE) doc->nodes[id].flags |= JL_F_BIG;
    return id;
}

uint32_t jl_new_float(jl_doc *doc, double v, jl_error *err) {
    uint32_t id = jl_node_new(doc, JL_FLOAT, err);
    if (id != JL_NONE) doc->nodes[id].u.f = v;
    return id;
}

uint32_t jl_new_bool(jl_doc *doc, int v, jl_error *err) {
    uint32_t id = jl_node_new(doc, JL_BOOL, err);
    if (id != JL_NONE) doc->nodes[id].u.i = v ? 1 : 0;
    return id;
}

uint32_t jl_new_ref(jl_doc *doc, jl_kind kind, jl_ref ref, jl_error *err) {
    if (ref.len > UINT32_MAX || ref.block > UINT16_MAX) {
        jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "a %s of %llu bytes is larger than 4 GiB",
                jl_kind_name((uint8_t)kind), (unsigned long long)ref.len);
        return JL_NONE;
    }
    uint32_t id = jl_node_new(doc, kind, err);
    if (id == JL_NONE) return id;
    jl_node *n = &doc->nodes[id];
    n->block = (uint16_t)ref.block;
    n->len = (uint32_t)ref.len;
    n->u.off = ref.off;
    return id;
}

uint32_t jl_new_bytes(jl_doc *doc, jl_kind kind, const void *p, uint64_t n, jl_error *err) {
    jl_ref ref;
    uint8_t *dst = jl_heap_alloc(doc, n, &ref, err);
    if (!dst) return JL_NONE;
    if (n) memcpy(dst, p, (size_t)n);
    return jl_new_ref(doc, kind, ref, err);
}

uint32_t jl_block_add(jl_doc *doc, const uint8_t *p, uint64_t len, uint8_t owner, jl_error *err) {
    if (doc->nblocks >= UINT16_MAX) {
        jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "too many byte blocks in one bundle");
        return JL_NONE;
    }
    if (grow(doc, (void **)&doc->blocks, &doc->cap_blocks, doc->nblocks + 1, sizeof(jl_block), "block", err))
        return JL_NONE;
    jl_block *b = &doc->blocks[doc->nblocks];
    b->p = p;
    b->len = len;
    b->cap = 0;
    b->owner = owner;
    b->fd = -1;
    return (uint32_t)doc->nblocks++;
}

uint8_t *jl_heap_alloc(jl_doc *doc, uint64_t n, jl_ref *ref, jl_error *err) {
    if (n > doc->limits.max_alloc) {
        jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "an allocation of %llu bytes exceeds max_alloc (%llu)",
                (unsigned long long)n, (unsigned long long)doc->limits.max_alloc);
        return NULL;
    }
    jl_block *cur = doc->heap_block != JL_NONE ? &doc->blocks[doc->heap_block] : NULL;
    if (!cur || cur->cap - cur->len < n) {
        /* a new block: large requests get their own, small ones share a growing one */
        uint64_t size = HEAP_BLOCK_MIN << (doc->nblocks < 16 ? doc->nblocks / 2 : 8);
        int own = n >= size / 4;
        if (own) size = n;
        uint8_t *p = jl_malloc(&doc->alloc, (size_t)(size ? size : 1));
        if (!p) {
            jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory allocating %llu bytes",
                    (unsigned long long)size);
            return NULL;
        }
        uint32_t b = jl_block_add(doc, p, 0, JL_BLOCK_HEAP, err);
        if (b == JL_NONE) {
            jl_free(&doc->alloc, p);
            return NULL;
        }
        doc->blocks[b].cap = size;
        if (own) {
            doc->blocks[b].len = n;
            ref->block = b;
            ref->off = 0;
            ref->len = n;
            return p;
        }
        doc->heap_block = b;
        cur = &doc->blocks[b];
    }
    ref->block = doc->heap_block;
    ref->off = cur->len;
    ref->len = n;
    uint8_t *dst = (uint8_t *)cur->p + cur->len;
    cur->len += n;
    return dst;
}

int jl_kids_append(jl_doc *doc, uint32_t c, const uint32_t *ids, uint64_t n, jl_error *err) {
    if (n == 0) return JL_OK;
    jl_node *node = &doc->nodes[c];
    uint64_t count = node->len, first = node->u.kids.first, cap = node->u.kids.cap;
    uint64_t total = count + n;
    if (total > UINT32_MAX - 1)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "a container with more than 2^32 items");
    if (count + n <= cap) {
        /* room in this container's run */
    } else if (first + cap == doc->nkids) {
        /* the run is the last one: extend it in place */
        uint64_t ncap = total;
        if (grow_table(doc, (void **)&doc->kids, &doc->cap_kids, doc->nkids, first + ncap, sizeof(uint32_t),
                       &doc->kids_shared, "child", err))
            return JL_E_NOMEM;
        doc->nkids = first + ncap;
        cap = ncap;
    } else {
        /* move the run to the end with doubled capacity (amortized O(1) per item) */
        uint64_t ncap = cap * 2 > total ? cap * 2 : total;
        if (ncap > UINT32_MAX) ncap = total;
        uint64_t nfirst = doc->nkids;
        if (nfirst + ncap > UINT32_MAX)
            return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "more than 2^32 container items in one bundle");
        if (grow_table(doc, (void **)&doc->kids, &doc->cap_kids, doc->nkids, nfirst + ncap, sizeof(uint32_t),
                       &doc->kids_shared, "child", err))
            return JL_E_NOMEM;
        if (count) memmove(doc->kids + nfirst, doc->kids + first, (size_t)count * sizeof(uint32_t));
        doc->nkids = nfirst + ncap;
        first = nfirst;
        cap = ncap;
    }
    if (first + cap > UINT32_MAX)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "more than 2^32 container items in one bundle");
    node = &doc->nodes[c];
    memcpy(doc->kids + first + count, ids, (size_t)n * sizeof(uint32_t));
    node->u.kids.first = (uint32_t)first;
    node->u.kids.cap = (uint32_t)cap;
    node->len = (uint32_t)total;
    return JL_OK;
}

#define SIDE_NEW(fn, field, count, cap, type, what)                                             \
    uint32_t fn(jl_doc *doc, jl_error *err) {                                                   \
        if (doc->count >= JL_NONE - 1) {                                                        \
            jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "too many %s entries", what);                \
            return JL_NONE;                                                                     \
        }                                                                                       \
        if (grow(doc, (void **)&doc->field, &doc->cap, doc->count + 1, sizeof(type), what, err)) \
            return JL_NONE;                                                                     \
        memset(&doc->field[doc->count], 0, sizeof(type));                                       \
        return (uint32_t)doc->count++;                                                          \
    }

static uint32_t jl_array_new_raw(jl_doc *doc, jl_error *err);
static uint32_t jl_object_new_raw(jl_doc *doc, jl_error *err);
static uint32_t jl_dtype_new_raw(jl_doc *doc, jl_error *err);
SIDE_NEW(jl_array_new_raw, arrays, narrays, cap_arrays, jl_array, "array")
SIDE_NEW(jl_object_new_raw, objects, nobjects, cap_objects, jl_object, "object")
SIDE_NEW(jl_global_new, globals, nglobals, cap_globals, jl_global, "global")
SIDE_NEW(jl_dtype_new_raw, dtypes, ndtypes, cap_dtypes, jl_dtype, "dtype")

uint32_t jl_array_new(jl_doc *doc, jl_error *err) {
    uint32_t i = jl_array_new_raw(doc, err);
    if (i != JL_NONE) {
        jl_array *a = &doc->arrays[i];
        a->dtype = a->cls = a->items = a->file = JL_NONE;
        a->order = 'C';
    }
    return i;
}

uint32_t jl_object_new(jl_doc *doc, jl_error *err) {
    uint32_t i = jl_object_new_raw(doc, err);
    if (i != JL_NONE) {
        jl_object *o = &doc->objects[i];
        o->cls = o->args = o->kwargs = o->state = o->listitems = o->dictitems = o->dtype = JL_NONE;
    }
    return i;
}

uint32_t jl_dtype_new(jl_doc *doc, jl_error *err) {
    uint32_t i = jl_dtype_new_raw(doc, err);
    if (i != JL_NONE) {
        jl_dtype *d = &doc->dtypes[i];
        d->sub_base = JL_NONE;
        d->byteorder = '|';
    }
    return i;
}

uint32_t jl_dims_new(jl_doc *doc, uint64_t n, jl_error *err) {
    if (doc->ndims + n >= JL_NONE) {
        jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "too many array dimensions in one bundle");
        return JL_NONE;
    }
    if (grow(doc, (void **)&doc->dims, &doc->cap_dims, doc->ndims + n + 1, sizeof(uint64_t), "dimension", err))
        return JL_NONE;
    uint32_t at = (uint32_t)doc->ndims;
    memset(doc->dims + at, 0, (size_t)n * sizeof(uint64_t));
    doc->ndims += n;
    return at;
}

uint32_t jl_fields_new(jl_doc *doc, uint64_t n, jl_error *err) {
    if (doc->nfields + n >= JL_NONE) {
        jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "too many dtype fields in one bundle");
        return JL_NONE;
    }
    if (grow(doc, (void **)&doc->fields, &doc->cap_fields, doc->nfields + n + 1, sizeof(jl_field), "field", err))
        return JL_NONE;
    uint32_t at = (uint32_t)doc->nfields;
    memset(doc->fields + at, 0, (size_t)n * sizeof(jl_field));
    for (uint64_t i = 0; i < n; i++) doc->fields[at + i].dtype = JL_NONE;
    doc->nfields += n;
    return at;
}

uint32_t jl_file_add(jl_doc *doc, const char *path, uint8_t compression, jl_error *err) {
    if (grow(doc, (void **)&doc->files, &doc->cap_files, doc->nfiles + 1, sizeof(jl_file), "file", err))
        return JL_NONE;
    size_t n = strlen(path);
    char *copy = jl_malloc(&doc->alloc, n + 1);
    if (!copy) {
        jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
        return JL_NONE;
    }
    memcpy(copy, path, n + 1);
    doc->files[doc->nfiles].path = copy;
    doc->files[doc->nfiles].compression = compression;
    return (uint32_t)doc->nfiles++;
}

static const char *const kind_names[JL_KIND_COUNT] = {
    [JL_NULL] = "null",       [JL_BOOL] = "bool",         [JL_INT] = "int",
    [JL_FLOAT] = "float",     [JL_COMPLEX] = "complex",   [JL_STR] = "str",
    [JL_BYTES] = "bytes",     [JL_BYTEARRAY] = "bytearray", [JL_LIST] = "list",
    [JL_TUPLE] = "tuple",     [JL_DICT] = "dict",         [JL_SET] = "set",
    [JL_FROZENSET] = "frozenset", [JL_NDARRAY] = "ndarray", [JL_SCALAR] = "scalar",
    [JL_OBJECT] = "object",   [JL_GLOBAL] = "global",
};

const char *jl_kind_name(uint8_t kind) {
    return kind < JL_KIND_COUNT ? kind_names[kind] : "?";
}

uint64_t jl_array_count(const jl_doc *doc, const jl_array *a) {
    uint64_t n = 1;
    for (unsigned i = 0; i < a->ndim; i++) n *= doc->dims[a->dims_at + i];
    return n;
}

int jl_ref_eq(const jl_doc *doc, jl_ref r, const char *s) {
    size_t n = strlen(s);
    return r.len == n && (n == 0 || memcmp(jl_ref_ptr(doc, r), s, n) == 0);
}

uint32_t jl_dict_get(const jl_doc *doc, uint32_t d, const char *key, size_t n) {
    const jl_node *dn = &doc->nodes[d];
    if (dn->kind != JL_DICT) return JL_NONE;
    const uint32_t *k = jl_kids_of(doc, d);
    for (uint64_t i = dn->len; i >= 2; i -= 2) {
        const jl_node *kn = &doc->nodes[k[i - 2]];
        if (kn->kind != JL_STR || kn->len != n) continue;
        if (n == 0 || memcmp(doc->blocks[kn->block].p + kn->u.off, key, n) == 0) return k[i - 1];
    }
    return JL_NONE;
}
