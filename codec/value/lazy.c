/*
 * lazy.c - reading array payloads left in a compressed stream (lazy.h):
 * the arrays under a node whose data is in the lazy block are collected
 * (a walk with a visited bit per node), sorted by stream offset, given
 * their buffers, and filled in one pass of jl_decompress_each, which
 * stops after the last of them.
 */
#include "lazy.h"

#include <stdlib.h>
#include <string.h>

#include "seek_index.h"
#include "shared.h"

#define ULL(x) ((unsigned long long)(x))

/* One array to read: its index in doc->arrays, its own range, the range
 * read for it (its own, or the whole payload it is a view of) and the
 * buffer of that range. */
typedef struct want {
    uint64_t array;
    uint64_t aoff, alen; /* the array's bytes, in the uncompressed stream */
    uint64_t off, len;   /* the range read */
    uint8_t *p;          /* owned until it becomes a block; NULL for dups */
    int shared;          /* p is a shared block */
    int dup;             /* the same range as the want before it: its buffer */
    jl_ref at;           /* where the range's bytes are once read */
} want;

typedef struct pass {
    want *w;
    uint64_t n, first;   /* arrays; the first not yet complete */
    uint64_t pos;        /* stream offset of the next piece */
    int done;
} pass;

static int by_off(const void *a, const void *b) {
    const want *x = a, *y = b;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* jl_decompress_each's consumer: copies each piece's overlap with the
 * wanted ranges; stops once all are complete. */
static int fill(void *ctx, const uint8_t *p, uint64_t n, jl_error *err) {
    pass *s = ctx;
    uint64_t lo = s->pos, hi = s->pos + n;
    for (uint64_t i = s->first; i < s->n && s->w[i].off < hi; i++) {
        want *w = &s->w[i];
        if (w->dup) continue;
        uint64_t a = w->off > lo ? w->off : lo, b = w->off + w->len < hi ? w->off + w->len : hi;
        if (a < b) memcpy(w->p + (a - w->off), p + (a - lo), (size_t)(b - a));
    }
    while (s->first < s->n && s->w[s->first].off + s->w[s->first].len <= hi) s->first++;
    s->pos = hi;
    if (s->first < s->n) return JL_OK;
    s->done = 1;
    return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "stopped after the last array");
}

static int push(jl_doc *doc, uint32_t **stack, uint64_t *n, uint64_t *cap, uint32_t id, jl_error *err) {
    if (id == JL_NONE || id >= doc->nnodes) return JL_OK;
    if (*n == *cap) {
        uint64_t c = *cap ? *cap * 2 : 256;
        uint32_t *s = jl_realloc(&doc->alloc, *stack, (size_t)(c * sizeof *s));
        if (!s) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory walking the tree for array data");
        *stack = s;
        *cap = c;
    }
    (*stack)[(*n)++] = id;
    return JL_OK;
}

/* The arrays under id still in the stream, into *out (n of them). */
static int collect(jl_doc *doc, uint32_t id, want **out, uint64_t *count, jl_error *err) {
    uint64_t *seen = jl_malloc(&doc->alloc, (size_t)((doc->nnodes + 63) / 64 * 8));
    uint32_t *stack = NULL;
    uint64_t n = 0, cap = 0, nw = 0, capw = 0;
    want *w = NULL;
    int rc = JL_OK;
    if (!seen) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory walking the tree for array data");
    memset(seen, 0, (size_t)((doc->nnodes + 63) / 64 * 8));
    if ((rc = push(doc, &stack, &n, &cap, id, err))) goto done;
    while (n && !rc) {
        uint32_t x = stack[--n];
        if (seen[x / 64] >> (x % 64) & 1) continue;
        seen[x / 64] |= (uint64_t)1 << (x % 64);
        const jl_node *nd = &doc->nodes[x];
        if (jl_is_container(nd->kind)) {
            const uint32_t *k = jl_kids_of(doc, x);
            for (uint32_t i = 0; i < nd->len && !rc; i++) rc = push(doc, &stack, &n, &cap, k[i], err);
        } else if (nd->kind == JL_OBJECT) {
            const jl_object *o = jl_object_of(doc, x);
            uint32_t parts[] = { o->cls, o->args, o->kwargs, o->state, o->listitems, o->dictitems };
            for (size_t i = 0; i < sizeof parts / sizeof *parts && !rc; i++)
                rc = push(doc, &stack, &n, &cap, parts[i], err);
        } else if (nd->kind == JL_NDARRAY || nd->kind == JL_SCALAR) {
            const jl_array *a = jl_array_of(doc, x);
            if ((rc = push(doc, &stack, &n, &cap, a->items, err))) break;
            if (a->data.block != doc->lazy_block) continue;
            if (nw == capw) {
                uint64_t c = capw ? capw * 2 : 16;
                want *q = jl_realloc(&doc->alloc, w, (size_t)(c * sizeof *q));
                if (!q) {
                    rc = jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory listing arrays to read");
                    break;
                }
                w = q;
                capw = c;
            }
            w[nw++] = (want){ nd->u.ext, a->data.off, a->data.len, a->data.off, a->data.len, NULL, 0, 0, { 0, 0, 0 } };
        }
    }
done:
    jl_free(&doc->alloc, seen);
    jl_free(&doc->alloc, stack);
    if (rc) {
        jl_free(&doc->alloc, w);
        return rc;
    }
    *out = w;
    *count = nw;
    return JL_OK;
}

/* Frees the buffers still owned by w and w itself. */
static void drop(jl_doc *doc, want *w, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        if (!w[i].p || w[i].dup || w[i].at.len) continue; /* a heap range is the doc's */
        if (w[i].shared) jl_shared_unref(w[i].p);
        else jl_free(&doc->alloc, w[i].p);
    }
    jl_free(&doc->alloc, w);
}

/* Ranges of at least this many bytes get an allocation of their own (a
 * shared block from JL_SHARED_MIN) and are remembered; smaller ones (a row,
 * an element) go to the doc's heap. */
#define OWN_MIN ((uint64_t)1 << 20)

/* Buffers for every range (dups share the one before them). */
static int allocate(jl_doc *doc, want *w, uint64_t n, jl_error *err) {
    const char *comp = jl_compression_name((jl_compression)doc->lazy_comp);
    for (uint64_t i = 0; i < n; i++) {
        if (w[i].dup) continue;
        if (w[i].len > doc->limits.max_alloc)
            return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET,
                           "an array of %llu bytes (at byte %llu of the %s stream) exceeds max_alloc (%llu bytes; "
                           "joblib_config('max_alloc', N) raises it)",
                           ULL(w[i].len), ULL(w[i].off), comp, ULL(doc->limits.max_alloc));
        if (w[i].len < OWN_MIN) {
            jl_ref r;
            if (!(w[i].p = jl_heap_alloc(doc, w[i].len, &r, err))) return err->code;
            w[i].at = r;
            w[i].at.len = w[i].len ? w[i].len : 1; /* marks a heap range (drop leaves it) */
            continue;
        }
        uint64_t got;
        if (w[i].len >= JL_SHARED_MIN && (w[i].p = jl_shared_new(w[i].len, &got))) w[i].shared = 1;
        else if (w[i].len <= SIZE_MAX) w[i].p = jl_malloc(&doc->alloc, (size_t)w[i].len);
        if (!w[i].p) /* the machine's limit, not a bug: said as a limit, with the size */
            return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET,
                           "cannot allocate %llu bytes for the data of an array (at byte %llu of the %s "
                           "stream): out of memory or address space",
                           ULL(w[i].len), ULL(w[i].off), comp);
    }
    return JL_OK;
}

/* An array whose range was read before (its view, or itself in another
 * statement's scratch) points into that block: 1 when done so. */
static int from_span(jl_doc *doc, jl_array *a) {
    for (uint64_t i = 0; i < doc->nlazy_spans; i++) {
        const struct jl_lazy_span *s = &doc->lazy_spans[i];
        if (a->data.off >= s->off && a->data.off - s->off <= s->len && a->data.len <= s->len - (a->data.off - s->off)) {
            a->data = (jl_ref){ a->data.off - s->off, a->data.len, s->block };
            return 1;
        }
    }
    return 0;
}

static int add_span(jl_doc *doc, uint64_t off, uint64_t len, uint32_t block, jl_error *err) {
    if (doc->nlazy_spans == doc->cap_lazy_spans) {
        uint64_t c = doc->cap_lazy_spans ? doc->cap_lazy_spans * 2 : 8;
        struct jl_lazy_span *q = jl_realloc(&doc->alloc, doc->lazy_spans, (size_t)(c * sizeof *q));
        if (!q) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory noting an array read");
        doc->lazy_spans = q;
        doc->cap_lazy_spans = c;
    }
    doc->lazy_spans[doc->nlazy_spans++] = (struct jl_lazy_span){ off, len, block };
    return JL_OK;
}

int jl_lazy_note(jl_doc *doc, uint64_t off, uint64_t len, jl_error *err) {
    if (doc->nlazy_ranges == doc->cap_lazy_ranges) {
        uint64_t c = doc->cap_lazy_ranges ? doc->cap_lazy_ranges * 2 : 16;
        uint64_t *q = jl_realloc(&doc->alloc, doc->lazy_ranges, (size_t)(c * 2 * sizeof *q));
        if (!q) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory noting an array left in the stream");
        doc->lazy_ranges = q;
        doc->cap_lazy_ranges = c;
    }
    doc->lazy_ranges[2 * doc->nlazy_ranges] = off;
    doc->lazy_ranges[2 * doc->nlazy_ranges + 1] = len;
    doc->nlazy_ranges++;
    return JL_OK;
}

/* The payload (noted in stream order) holding [off, off+len): 1 with *r. */
static int payload_of(const jl_doc *doc, uint64_t off, uint64_t len, uint64_t *roff, uint64_t *rlen) {
    uint64_t lo = 0, hi = doc->nlazy_ranges;
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (doc->lazy_ranges[2 * mid] <= off) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return 0;
    uint64_t o = doc->lazy_ranges[2 * (lo - 1)], l = doc->lazy_ranges[2 * (lo - 1) + 1];
    if (off - o > l || len > l - (off - o)) return 0;
    *roff = o;
    *rlen = l;
    return 1;
}

/* Fills every range: from the stream's index (seek_index.h), else in one pass
 * from the start of the stream for all of them. */
static int read_ranges(jl_doc *doc, want *w, uint64_t n, jl_error *err) {
    pass s = { w, n, 0, 0, 0 };
    while (s.first < s.n && (s.w[s.first].len == 0 || s.w[s.first].dup)) s.first++;
    const jl_block *src = &doc->blocks[doc->lazy_src];
    uint64_t total;
    int rc = JL_OK;
    if (doc->lazy_index) {
        for (; s.first < s.n; s.first++)
            if (!w[s.first].dup &&
                (rc = jl_seek_index_read(doc->lazy_index, src->p, src->len, w[s.first].off, w[s.first].p,
                                            w[s.first].len, err)))
                break;
    } else if (s.first < s.n) {
        rc = jl_decompress_each((jl_compression)doc->lazy_comp, src->p, src->len, &doc->alloc,
                                doc->limits.max_decompressed, fill, &s, &total, err);
    }
    if (s.done || s.first == s.n) {
        jl_error_clear(err);
        return JL_OK;
    }
    if (rc == JL_OK)
        rc = jl_fail(err, JL_E_TRUNCATED, JL_NO_OFFSET,
                     "file is truncated: the %s stream ends at byte %llu, before an array's data at byte %llu",
                     jl_compression_name((jl_compression)doc->lazy_comp), ULL(s.pos), ULL(w[s.first].off));
    return rc;
}

/* Each range's buffer becomes the doc's (a block, a remembered span) and
 * each array points into it. */
static int adopt(jl_doc *doc, want *w, uint64_t n, jl_error *err) {
    jl_ref at = { 0, 0, 0 };
    for (uint64_t i = 0; i < n; i++) {
        if (!w[i].dup) {
            if (w[i].at.len) { /* in the doc's heap already */
                at = w[i].at;
            } else {
                uint32_t b = jl_block_add(doc, w[i].p, w[i].len, w[i].shared ? JL_BLOCK_SHARED : JL_BLOCK_HEAP, err);
                if (b == JL_NONE) return err->code;
                if (!w[i].shared) doc->blocks[b].cap = w[i].len;
                w[i].p = NULL; /* the doc's now */
                at = (jl_ref){ 0, w[i].len, b };
                if (add_span(doc, w[i].off, w[i].len, b, err)) return err->code;
            }
        }
        doc->arrays[w[i].array].data = (jl_ref){ at.off + (w[i].aoff - w[i].off), w[i].alen, at.block };
    }
    return JL_OK;
}

static int load(jl_doc *doc, uint32_t id, int whole, jl_error *err) {
    if (!jl_doc_is_lazy(doc) || id == JL_NONE || id >= doc->nnodes) return JL_OK;
    const jl_node *nd = &doc->nodes[id];
    if ((nd->kind == JL_NDARRAY || nd->kind == JL_SCALAR) && jl_array_of(doc, id)->items == JL_NONE &&
        jl_array_of(doc, id)->data.block != doc->lazy_block)
        return JL_OK; /* the common question, without a walk */
    want *w = NULL;
    uint64_t n = 0;
    int rc = collect(doc, id, &w, &n, err);
    if (rc) return rc;
    uint64_t k = 0; /* those read before need no pass */
    for (uint64_t i = 0; i < n; i++)
        if (!from_span(doc, &doc->arrays[w[i].array])) w[k++] = w[i];
    n = k;
    if (n == 0) {
        jl_free(&doc->alloc, w);
        return JL_OK;
    }
    for (uint64_t i = 0; whole && i < n; i++) /* a view: the whole payload it is part of */
        payload_of(doc, w[i].aoff, w[i].alen, &w[i].off, &w[i].len);
    qsort(w, (size_t)n, sizeof *w, by_off);
    for (uint64_t i = 1; i < n; i++)
        w[i].dup = w[i].off == w[i - 1].off && w[i].len == w[i - 1].len;
    if ((rc = allocate(doc, w, n, err)) || (rc = read_ranges(doc, w, n, err)) || (rc = adopt(doc, w, n, err))) {
        drop(doc, w, n);
        return rc;
    }
    jl_free(&doc->alloc, w);
    return JL_OK;
}

int jl_lazy_load(jl_doc *doc, uint32_t id, jl_error *err) { return load(doc, id, 0, err); }

int jl_lazy_load_whole(jl_doc *doc, uint32_t id, jl_error *err) { return load(doc, id, 1, err); }
