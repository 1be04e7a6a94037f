/*
 * fuzz_decode.c - libFuzzer target: the input is a whole bundle (any
 * container, any pickle) opened with jl_open_memory. A decode must give a
 * doc whose structure holds (doc_check.h) and whose arrays convert to
 * native C-order bytes of exactly shape x itemsize, or an error with a
 * code and a message; never a crash, a leak or undefined behaviour.
 * The doc is also rendered as JSON and walked as joblib_tree does, each
 * row's fullkey resolving back to a node of the same kind, and planned as
 * a table (a pandas frame or any table shape, frame.h) and read cell by cell.
 */
#include <stdint.h>
#include <string.h>

#include "decode.h"
#include "doc_check.h"
#include "frame.h"
#include "fuzz_limits.h"
#include "ndarray.h"
#include "render.h"
#include "path.h"
#include "walk.h"

/* Converts every array (and the first row of each) as the SQL surface
 * does, and checks the sizes. */
static void exercise_arrays(jl_doc *doc) {
    uint64_t n0 = doc->nnodes;
    for (uint64_t i = 0; i < n0 && i < 4096; i++) {
        uint8_t kind = doc->nodes[i].kind;
        if (kind != JL_NDARRAY && kind != JL_SCALAR) continue;
        const jl_array *a = jl_array_of(doc, (uint32_t)i);
        int object = doc->dtypes[a->dtype].has_object || a->items != JL_NONE;
        const uint8_t *p;
        uint64_t n;
        uint8_t *owned;
        jl_error err;
        int rc = jl_array_native_bytes(doc, (uint32_t)i, &p, &n, &owned, &err);
        if (object) {
            JL_CHECK(rc != JL_OK, "object array %llu has native bytes", (unsigned long long)i);
        } else {
            JL_CHECK(rc == JL_OK, "native bytes of array %llu: %s", (unsigned long long)i, err.message);
            JL_CHECK(n == jl_array_of(doc, (uint32_t)i)->data.len, "native bytes %llu of array %llu",
                     (unsigned long long)n, (unsigned long long)i);
            if (n) jl_check_sink ^= p[0] ^ p[n - 1];
            jl_free(&doc->alloc, owned);
        }
        if (kind == JL_NDARRAY) {
            uint32_t row = jl_array_row(doc, (uint32_t)i, 0, &err);
            if (row != JL_NONE) JL_CHECK(row < doc->nnodes, "row 0 of array %llu", (unsigned long long)i);
            else if (err.code != JL_OK) JL_CHECK(err.message[0], "row 0 of array %llu: no message", (unsigned long long)i);
            row = jl_array_row(doc, (uint32_t)i, UINT64_MAX, &err);
            JL_CHECK(row == JL_NONE, "row 2^64-1 of array %llu exists", (unsigned long long)i);
        }
    }
}

/* The root as JSON, bounded: text or a clean error (a cycle, the depth
 * limit, the output limit). */
static void render_root(jl_doc *doc) {
    jl_buf b;
    jl_error err;
    jl_buf_init(&b, &doc->alloc, (uint64_t)4 << 20);
    int rc = jl_render_json(doc, doc->root, &b, &err);
    if (rc == JL_OK) JL_CHECK(b.len > 0 && !b.failed, "JSON of the root is empty");
    else JL_CHECK(err.code == (jl_code)rc && err.message[0], "render error %d without a message", rc);
    jl_buf_free(&b);
}

/* The first rows of joblib_tree: each fullkey selects a node of the kind
 * the row shows (README "Paths, types and values": fullkey is a path that selects that node). */
/* A key set twice in one dict (only a crafted pickle does that) is told
 * apart by position in dicts of up to 256 entries; in a larger dict an
 * earlier duplicate's fullkey selects the last entry, as README "Paths"
 * says. Such docs are exempt from the fullkey check. Keys are compared
 * loosely (any two tuples of one length match): the exemption may be too
 * wide, never too narrow. */
static int loose_same_key(const jl_doc *doc, uint32_t a, uint32_t b) {
    const jl_node *x = &doc->nodes[a], *y = &doc->nodes[b];
    if (a == b) return 1;
    if (x->kind != y->kind) return 0;
    switch (x->kind) {
    case JL_NULL: return 1;
    case JL_BOOL: return x->u.i == y->u.i;
    case JL_FLOAT: return x->u.f == y->u.f;
    case JL_INT:
        if ((x->flags ^ y->flags) & JL_F_BIG) return 0;
        if (!(x->flags & JL_F_BIG)) return x->u.i == y->u.i;
        return x->len == y->len && memcmp(jl_ref_ptr(doc, jl_node_ref(doc, a)), jl_ref_ptr(doc, jl_node_ref(doc, b)), x->len) == 0;
    case JL_STR:
    case JL_BYTES:
        return x->len == y->len && memcmp(jl_ref_ptr(doc, jl_node_ref(doc, a)), jl_ref_ptr(doc, jl_node_ref(doc, b)), x->len) == 0;
    case JL_TUPLE: return x->len == y->len;
    default: return 0;
    }
}

static int has_big_dict_with_duplicates(const jl_doc *doc) {
    for (uint64_t id = 0; id < doc->nnodes; id++) {
        const jl_node *d = &doc->nodes[id];
        if (d->kind != JL_DICT || d->len / 2 <= 256) continue;
        const uint32_t *k = jl_kids_of(doc, (uint32_t)id);
        for (uint64_t i = 0; i < d->len / 2; i++)
            for (uint64_t j = i + 1; j < d->len / 2; j++)
                if (loose_same_key(doc, k[2 * i], k[2 * j])) return 1;
    }
    return 0;
}

static void walk_tree(jl_doc *doc) {
    jl_walk *w = NULL;
    jl_error err;
    int rc = jl_walk_start(doc, doc->root, "$", 1, &w, &err);
    if (rc != JL_OK) {
        JL_CHECK(err.message[0], "walk start failed without a message");
        return;
    }
    jl_walk_row row;
    int exempt = has_big_dict_with_duplicates(doc);
    for (int i = 0; i < 2000; i++) {
        int r = jl_walk_next(w, &row, &err);
        if (r < 0) JL_CHECK(err.message[0], "walk failed without a message");
        if (r <= 0) break;
        JL_CHECK(row.node < doc->nnodes, "walk row node %u", row.node);
        if (i % 3 == 1) continue; /* strings are lazy: skipped rows must not disturb later ones */
        rc = jl_walk_strings(w, &row, &err);
        if (rc != JL_OK) {
            JL_CHECK(err.message[0], "walk strings failed without a message");
            break;
        }
        uint8_t kind = doc->nodes[row.node].kind;
        uint32_t again;
        jl_error perr;
        rc = jl_path_resolve(doc, doc->root, row.fullkey, strlen(row.fullkey), &again, &perr);
        JL_CHECK(rc == JL_OK || !exempt || perr.message[0], "path failed without a message");
        if (exempt) continue; /* the documented limit above */
        JL_CHECK(rc == JL_OK && again != JL_NONE, "fullkey %s does not resolve: %s", row.fullkey,
                 rc ? perr.message : "selects nothing");
        JL_CHECK(doc->nodes[again].kind == kind, "fullkey %s is a %s, resolves to a %s", row.fullkey,
                 jl_kind_name(kind), jl_kind_name(doc->nodes[again].kind));
    }
    jl_walk_free(w);
}

/* The root as a table (a pandas frame, or any table shape): every cell of
 * the first rows located and its text or bytes read, inside the doc. */
static void plan_root(jl_doc *doc) {
    if (doc->root == JL_NONE) return;
    jl_table_plan p;
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_frame_plan_make(doc, doc->root, NULL, 0, &doc->alloc, &p, NULL, &err);
    if (rc != JL_OK) JL_CHECK(err.code == (jl_code)rc && err.message[0], "plan error %d without a message", rc);
    for (uint64_t r = 0; rc == JL_OK && r < p.nrows && r < 64; r++)
        for (uint32_t j = 0; j < p.ncols; j++) {
            const jl_tcol *c = &p.cols[j];
            uint64_t src;
            if (c->how == JL_TCOL_RECDICT || c->how == JL_TCOL_RECSEQ) continue;
            if (!jl_table_cell_source(doc, c, r, &src)) continue;
            if (c->how == JL_TCOL_ARRAY) {
                jl_ref at = jl_table_cell_ref(doc, c, src);
                JL_CHECK(at.off + at.len <= doc->blocks[at.block].len, "cell outside its block");
            }
            jl_buf b;
            jl_buf_init(&b, &doc->alloc, 1 << 20);
            jl_table_cell_text(doc, &p, c, src, &b, &err);
            jl_buf_free(&b);
        }
    jl_table_plan_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    jl_limits lim;
    jl_fuzz_limits(&lim);
    jl_open_opts o = { NULL, &lim };
    jl_doc *doc = NULL;
    jl_error err;
    int rc = jl_open_memory(data, size, 1, &o, &doc, &err);
    if (rc != JL_OK) {
        JL_CHECK(doc == NULL, "a failed open returned a doc");
        JL_CHECK(rc > JL_OK && rc <= JL_E_UNSAFE, "open returned %d", rc);
        JL_CHECK(err.code == (jl_code)rc, "error code %d, returned %d", err.code, rc);
        JL_CHECK(err.message[0] && memchr(err.message, 0, sizeof err.message), "empty error message");
        return 0;
    }
    JL_CHECK(doc != NULL, "open succeeded without a doc");
    jl_check_doc(doc);
    exercise_arrays(doc);
    render_root(doc);
    walk_tree(doc);
    plan_root(doc);
    jl_check_doc(doc);
    jl_doc_free(doc);
    return 0;
}
