/*
 * pyeq.c - Python's equality and hash classes of dict keys, and the merge
 * of equal keys (pyeq.h). Numbers compare by value across bool, int, big
 * int, float and complex, as Python's numeric tower does; the hash here
 * is ours, only consistent with that equality (equal keys, equal hash).
 */
#include "pyeq.h"

#include <math.h>
#include <string.h>

#define UNIQUE 0 /* hash of a key equal only to itself (NaN, objects, ...) */
/* Nodes one comparison or hash may visit: a crafted tuple holding itself
 * twice would otherwise cost 2**depth; past it, keys are "only equal to
 * themselves" (not merged). */
#define BUDGET 100000u

static uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h | 1; /* never UNIQUE */
}

static uint64_t bytes_hash(const uint8_t *p, uint64_t n, uint64_t tag) {
    uint64_t h = 0xcbf29ce484222325ull ^ tag;
    for (uint64_t k = 0; k < n; k++) h = (h ^ p[k]) * 0x100000001b3ull;
    return mix(h);
}

/* A real number: an int64 (is_int), a double, or a big int's bytes. */
typedef struct num {
    int kind; /* 0 none, 1 int64, 2 double, 3 big, 4 complex with imag != 0 */
    int64_t i;
    double f, im;
    const uint8_t *big;
    uint64_t nbig;
} num;

static num num_of(const jl_doc *doc, uint32_t id) {
    num r;
    memset(&r, 0, sizeof r);
    const jl_node *n = &doc->nodes[id];
    switch (n->kind) {
    case JL_BOOL: case JL_INT:
        if (n->kind == JL_INT && (n->flags & JL_F_BIG)) {
            r.kind = 3;
            r.big = doc->blocks[n->block].p + n->u.off;
            r.nbig = n->len;
        } else {
            r.kind = 1;
            r.i = n->u.i;
        }
        return r;
    case JL_FLOAT: r.kind = 2; r.f = n->u.f; break;
    case JL_COMPLEX: {
        if (n->len < 16) return r;
        memcpy(&r.f, doc->blocks[n->block].p + n->u.off, 8);
        memcpy(&r.im, doc->blocks[n->block].p + n->u.off + 8, 8);
        r.kind = r.im == 0 ? 2 : 4;
        if (isnan(r.im)) r.kind = 0;
        break;
    }
    default: return r;
    }
    if (isnan(r.f)) r.kind = 0;
    else if (r.kind == 2 && r.f == floor(r.f) && r.f >= -9223372036854775808.0 && r.f < 9223372036854775808.0) {
        r.kind = 1; /* an integral double is that int (-0.0 is 0) */
        r.i = (int64_t)r.f;
    }
    return r;
}

/* 1 when integral double f (|f| >= 2**63) is the big int b[0..n). */
static int big_is_double(const uint8_t *b, uint64_t n, double f) {
    if (isinf(f) || f != floor(f) || n == 0 || n > 1100) return 0;
    int neg = f < 0;
    double m = fabs(f);
    unsigned carry = 1;
    for (uint64_t k = 0; k < n; k++) {
        unsigned byte = (unsigned)fmod(m, 256.0); /* exact: m is an integral double */
        m = floor(m / 256.0);
        if (neg) { /* two's complement: invert and add one */
            byte = (~byte & 0xFFu) + carry;
            carry = byte >> 8;
            byte &= 0xFFu;
        }
        if (b[k] != byte) return 0;
    }
    return m == 0 && ((b[n - 1] & 0x80) != 0) == neg;
}

static int num_eq(const num *x, const num *y) {
    if (x->kind == 0 || y->kind == 0) return 0;
    if (x->kind > y->kind) return num_eq(y, x);
    switch (x->kind) {
    case 1: return y->kind == 1 && x->i == y->i; /* an int64 never equals a non-integral or huge double */
    case 2:
        if (y->kind == 2) return x->f == y->f;
        return y->kind == 3 && big_is_double(y->big, y->nbig, x->f);
    case 3: return y->kind == 3 && x->nbig == y->nbig && memcmp(x->big, y->big, (size_t)x->nbig) == 0;
    case 4: return y->kind == 4 && x->f == y->f && x->im == y->im;
    default: return 0;
    }
}

static uint64_t num_hash(const num *x) {
    uint64_t bits;
    switch (x->kind) {
    case 1: return mix((uint64_t)x->i ^ 0x11);
    case 2:
        /* huge integral doubles may equal a big int: one class for them */
        if (x->f == floor(x->f)) return mix(0x33);
        memcpy(&bits, &x->f, 8);
        return mix(bits);
    case 3: return mix(0x33);
    case 4: {
        uint64_t b2;
        memcpy(&bits, &x->f, 8);
        memcpy(&b2, &x->im, 8);
        return mix(bits ^ mix(b2));
    }
    default: return UNIQUE;
    }
}

static int is_number(uint8_t kind) {
    return kind == JL_BOOL || kind == JL_INT || kind == JL_FLOAT || kind == JL_COMPLEX;
}

static int eq(const jl_doc *doc, uint32_t a, uint32_t b, unsigned depth, unsigned *budget) {
    if (a == b) return 1;
    if (a >= doc->nnodes || b >= doc->nnodes || depth > JL_PYEQ_DEPTH || *budget == 0) return 0;
    --*budget;
    const jl_node *x = &doc->nodes[a], *y = &doc->nodes[b];
    if (is_number(x->kind) && is_number(y->kind)) {
        num p = num_of(doc, a), q = num_of(doc, b);
        return num_eq(&p, &q);
    }
    if (x->kind != y->kind) return 0;
    switch (x->kind) {
    case JL_NULL: return 1;
    case JL_STR: case JL_BYTES:
        return x->len == y->len &&
               (x->len == 0 || memcmp(doc->blocks[x->block].p + x->u.off, doc->blocks[y->block].p + y->u.off, x->len) == 0);
    case JL_TUPLE:
        if (x->len != y->len) return 0;
        for (uint32_t k = 0; k < x->len; k++)
            if (!eq(doc, jl_kids_of(doc, a)[k], jl_kids_of(doc, b)[k], depth + 1, budget)) return 0;
        return 1;
    case JL_FROZENSET:
        if (x->len != y->len) return 0;
        for (uint32_t k = 0; k < x->len; k++) {
            uint32_t e = jl_kids_of(doc, a)[k];
            int found = 0;
            for (uint32_t j = 0; j < y->len && !found; j++) found = eq(doc, e, jl_kids_of(doc, b)[j], depth + 1, budget);
            if (!found) return 0;
        }
        return 1;
    default: return 0;
    }
}

int jl_py_key_eq(const jl_doc *doc, uint32_t a, uint32_t b) {
    unsigned budget = BUDGET;
    return eq(doc, a, b, 0, &budget);
}

static uint64_t hash(const jl_doc *doc, uint32_t id, unsigned depth, unsigned *budget) {
    if (id >= doc->nnodes || depth > JL_PYEQ_DEPTH || *budget == 0) return UNIQUE;
    --*budget;
    const jl_node *n = &doc->nodes[id];
    if (is_number(n->kind)) {
        num x = num_of(doc, id);
        return num_hash(&x);
    }
    switch (n->kind) {
    case JL_NULL: return mix(0x55);
    case JL_STR: case JL_BYTES:
        return bytes_hash(n->len ? doc->blocks[n->block].p + n->u.off : NULL, n->len, n->kind);
    case JL_TUPLE: case JL_FROZENSET: {
        uint64_t h = n->kind == JL_TUPLE ? 0x77 : 0x99;
        for (uint32_t k = 0; k < n->len; k++) {
            uint64_t e = hash(doc, jl_kids_of(doc, id)[k], depth + 1, budget);
            if (e == UNIQUE) return UNIQUE;
            h = n->kind == JL_TUPLE ? mix(h * 31 + e) : h + e; /* a set's: order-free */
        }
        return mix(h + n->len);
    }
    default: return UNIQUE;
    }
}

int jl_py_dict_merge(const jl_doc *doc, uint32_t *kv, uint64_t n, uint64_t *out_pairs, jl_error *err) {
    uint64_t npairs = n / 2, cap = 16, kept = 0;
    *out_pairs = npairs;
    if (npairs < 2) return JL_OK;
    while (cap < 2 * npairs) cap *= 2;
    if (cap > SIZE_MAX / sizeof(uint64_t)) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory merging dict keys");
    /* slots hold 1 + the index of a kept pair (0: empty) */
    uint64_t *slot = jl_malloc(&doc->alloc, (size_t)(cap * sizeof *slot));
    uint64_t *hashes = jl_malloc(&doc->alloc, (size_t)(npairs * sizeof *hashes));
    if (!slot || !hashes) {
        jl_free(&doc->alloc, slot);
        jl_free(&doc->alloc, hashes);
        return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory merging dict keys");
    }
    memset(slot, 0, (size_t)(cap * sizeof *slot));
    for (uint64_t i = 0; i < npairs; i++) {
        uint32_t key = kv[2 * i], val = kv[2 * i + 1];
        unsigned budget = BUDGET;
        uint64_t h = hash(doc, key, 0, &budget), at = UINT64_MAX;
        if (h == UNIQUE) h = mix(0x5eed0000000000ull ^ key); /* equal only to itself: the same node */
        uint64_t s = h & (cap - 1);
        for (; slot[s]; s = (s + 1) & (cap - 1)) {
            uint64_t j = slot[s] - 1;
            if (hashes[j] == h && jl_py_key_eq(doc, kv[2 * j], key)) {
                at = j;
                break;
            }
        }
        if (at == UINT64_MAX) slot[s] = kept + 1;
        if (at != UINT64_MAX) {
            kv[2 * at + 1] = val; /* the first key stays, the last value wins */
            continue;
        }
        hashes[kept] = h;
        kv[2 * kept] = key;
        kv[2 * kept + 1] = val;
        kept++;
    }
    jl_free(&doc->alloc, slot);
    jl_free(&doc->alloc, hashes);
    *out_pairs = kept;
    return JL_OK;
}
