/*
 * frame_write.c - the pickle shape of a pandas.DataFrame as pandas 1.5.3
 * writes it, built as value-tree nodes for the bundle writer (see
 * frame_write.h for the shape and why it loads in pandas 1.x and 2.x).
 */
#include "frame_write.h"

#include <string.h>

#include "array_build.h"
#include "dtype.h"

/* The globals the shape refers to, by index. */
enum { G_DATAFRAME, G_MANAGER, G_UNPICKLE_BLOCK, G_SLICE, G_NEW_INDEX, G_INDEX, G_RANGE, G_COUNT };

static const char *const GLOBALS[G_COUNT][2] = {
    [G_DATAFRAME] = { "pandas.core.frame", "DataFrame" },
    [G_MANAGER] = { "pandas.core.internals.managers", "BlockManager" },
    [G_UNPICKLE_BLOCK] = { "pandas._libs.internals", "_unpickle_block" },
    [G_SLICE] = { "builtins", "slice" },
    [G_NEW_INDEX] = { "pandas.core.indexes.base", "_new_Index" },
    [G_INDEX] = { "pandas.core.indexes.base", "Index" },
    [G_RANGE] = { "pandas.core.indexes.range", "RangeIndex" },
};

typedef struct fb {
    jl_doc *doc;
    jl_error *err;
    uint32_t g[G_COUNT]; /* global nodes, made once */
    uint32_t none;
} fb;

static int heap_ref(fb *b, const char *s, jl_ref *r) {
    size_t n = strlen(s);
    uint8_t *p = jl_heap_alloc(b->doc, n, r, b->err);
    if (!p) return -1;
    memcpy(p, s, n);
    return 0;
}

static uint32_t global(fb *b, int which) {
    if (b->g[which] != JL_NONE) return b->g[which];
    jl_ref m, n;
    if (heap_ref(b, GLOBALS[which][0], &m) || heap_ref(b, GLOBALS[which][1], &n)) return JL_NONE;
    uint32_t gi = jl_global_new(b->doc, b->err);
    if (gi == JL_NONE) return JL_NONE;
    b->doc->globals[gi].module = m;
    b->doc->globals[gi].name = n;
    uint32_t id = jl_node_new(b->doc, JL_GLOBAL, b->err);
    if (id == JL_NONE) return JL_NONE;
    b->doc->nodes[id].u.ext = gi;
    return b->g[which] = id;
}

static uint32_t str(fb *b, const char *s) { return jl_new_bytes(b->doc, JL_STR, s, strlen(s), b->err); }

/* A container of kind k holding ids[0..n) (JL_NONE among them: failure). */
static uint32_t container(fb *b, jl_kind k, const uint32_t *ids, uint64_t n) {
    for (uint64_t i = 0; i < n; i++)
        if (ids[i] == JL_NONE) return JL_NONE;
    uint32_t c = jl_node_new(b->doc, k, b->err);
    if (c == JL_NONE || (n && jl_kids_append(b->doc, c, ids, n, b->err))) return JL_NONE;
    return c;
}

/* An object: cls(*args) (REDUCE) or cls.__new__(cls, *args) (NEWOBJ), then state. */
static uint32_t object(fb *b, uint32_t cls, uint32_t args, uint32_t state, jl_how how) {
    if (cls == JL_NONE || args == JL_NONE) return JL_NONE;
    uint32_t oi = jl_object_new(b->doc, b->err);
    if (oi == JL_NONE) return JL_NONE;
    uint32_t id = jl_node_new(b->doc, JL_OBJECT, b->err);
    if (id == JL_NONE) return JL_NONE;
    jl_object *o = &b->doc->objects[oi];
    o->cls = cls;
    o->args = args;
    o->kwargs = JL_NONE;
    o->state = state;
    o->listitems = o->dictitems = o->dtype = JL_NONE;
    o->how = (uint8_t)how;
    b->doc->nodes[id].u.ext = oi;
    return id;
}

/* func(*args) with the args given as nodes. */
static uint32_t call(fb *b, int func, const uint32_t *args, uint64_t n) {
    return object(b, global(b, func), container(b, JL_TUPLE, args, n), JL_NONE, JL_HOW_REDUCE);
}

static uint32_t integer(fb *b, int64_t v) { return jl_new_int(b->doc, v, b->err); }

/* _new_Index(Index, {'data': <object array of items>, 'name': None}) */
static uint32_t object_index(fb *b, const uint32_t *items, uint64_t n) {
    uint32_t dt;
    if (jl_dtype_parse(b->doc, "|O", 2, &dt, b->err)) return JL_NONE;
    uint32_t list = container(b, JL_LIST, items, n);
    if (list == JL_NONE) return JL_NONE;
    jl_array_spec spec = { dt, &n, 1, 'C', (jl_ref){ 0, 0, 0 }, list };
    uint32_t kv[4] = { str(b, "data"), jl_array_build(b->doc, &spec, b->err), str(b, "name"), b->none };
    uint32_t args[2] = { global(b, G_INDEX), container(b, JL_DICT, kv, 4) };
    return call(b, G_NEW_INDEX, args, 2);
}

/* _new_Index(RangeIndex, {'name': None, 'start': 0, 'stop': n, 'step': 1}) */
static uint32_t range_index(fb *b, uint64_t n) {
    uint32_t kv[8] = { str(b, "name"), b->none, str(b, "start"), integer(b, 0),
                       str(b, "stop"), integer(b, (int64_t)n), str(b, "step"), integer(b, 1) };
    uint32_t args[2] = { global(b, G_RANGE), container(b, JL_DICT, kv, 8) };
    return call(b, G_NEW_INDEX, args, 2);
}

/* _unpickle_block(values, slice(j, j + 1, 1), 2) */
static uint32_t block(fb *b, uint32_t values, uint32_t j) {
    uint32_t s[3] = { integer(b, j), integer(b, (int64_t)j + 1), integer(b, 1) };
    uint32_t args[3] = { values, call(b, G_SLICE, s, 3), integer(b, 2) };
    return call(b, G_UNPICKLE_BLOCK, args, 3);
}

static uint32_t build(fb *b, const uint32_t *names, const uint32_t *values, uint32_t ncols, uint64_t nrows) {
    jl_doc *doc = b->doc;
    uint32_t *blocks = jl_malloc(&doc->alloc, sizeof(uint32_t) * (size_t)(ncols ? ncols : 1));
    if (!blocks) {
        jl_fail(b->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
        return JL_NONE;
    }
    uint32_t j = 0;
    for (; j < ncols; j++)
        if ((blocks[j] = block(b, values[j], j)) == JL_NONE) break;
    uint32_t blocks_tuple = j == ncols ? container(b, JL_TUPLE, blocks, ncols) : JL_NONE;
    jl_free(&doc->alloc, blocks);
    if (blocks_tuple == JL_NONE) return JL_NONE;
    uint32_t axes[2] = { object_index(b, names, ncols), nrows ? range_index(b, nrows) : object_index(b, NULL, 0) };
    uint32_t margs[2] = { blocks_tuple, container(b, JL_LIST, axes, 2) };
    uint32_t flags[2] = { str(b, "allows_duplicate_labels"), jl_new_bool(doc, 1, b->err) };
    uint32_t state[10] = { str(b, "_mgr"), call(b, G_MANAGER, margs, 2),
                           str(b, "_typ"), str(b, "dataframe"),
                           str(b, "_metadata"), container(b, JL_LIST, NULL, 0),
                           str(b, "attrs"), container(b, JL_DICT, NULL, 0),
                           str(b, "_flags"), container(b, JL_DICT, flags, 2) };
    uint32_t st = container(b, JL_DICT, state, 10);
    if (st == JL_NONE) return JL_NONE;
    return object(b, global(b, G_DATAFRAME), container(b, JL_TUPLE, NULL, 0), st, JL_HOW_NEWOBJ);
}

uint32_t jl_frame_write_build(jl_doc *doc, const uint32_t *names, const uint32_t *values, uint32_t ncols,
                              uint64_t nrows, jl_error *err) {
    fb b = { doc, err, { 0 }, JL_NONE };
    for (int i = 0; i < G_COUNT; i++) b.g[i] = JL_NONE;
    b.none = jl_node_new(doc, JL_NULL, err);
    if (b.none == JL_NONE) return JL_NONE;
    uint32_t id = build(&b, names, values, ncols, nrows);
    if (id == JL_NONE && !err->code) jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    return id;
}
