/*
 * render.c - text renderings of nodes (see render.h): the JSON text of any
 * node (README "Paths, types and values") and class names (as Python 3
 * loads them, pynames.h). Atoms are written by
 * atomtext.c (numbers, strings, bytes), numpy scalars and numeric arrays
 * by arraytext.c; the paths of {"__ref__": ...} come from path.c;
 * well-known objects (datetimes, Decimal, UUID, NaT...) as their natural
 * value (wellknown.c).
 *
 * The JSON renderer is iterative: an explicit stack of frames, one per open
 * container, so a 100,000-deep list costs memory, not C stack. Depth is
 * bounded by doc->limits.max_depth (0 = no bound); a node met again while
 * it is still open is a cycle, rendered as {"__ref__": "$..."} (the path of
 * the enclosing occurrence from the rendered value); a node shared
 * elsewhere is simply rendered again.
 */
#include "render.h"

#include "arraytext.h"
#include "atomtext.h"
#include "dtype.h"
#include "path.h"
#include "pynames.h"
#include "slots.h"
#include "text.h"
#include "wellknown.h"

#include <math.h>
#include <string.h>

/* Nesting of non-str dict keys rendered as JSON text inside keys. */
#define JL_RENDER_MAX_KEY_LEVEL 8u
/* Below this depth, cycles are found by scanning the stack; deeper, by a
 * bitmap over node ids made on demand. */
#define JL_RENDER_SCAN_DEPTH 64u

/* ---- names -------------------------------------------------------------- */

/* The name Python 3 loads (pynames.h: Python 2 names of protocol 0-2
 * streams mapped); the JSON of a global node keeps the name as written. */
int jl_render_global(const jl_doc *doc, uint32_t id, jl_buf *b) {
    const jl_global *g = jl_global_of(doc, id);
    const char *module, *name;
    if (jl_py3_name(doc, g, &module, &name)) {
        jl_buf_puts(b, module);
        jl_buf_putc(b, '.');
        if (name) return jl_buf_puts(b, name);
    } else {
        jl_buf_append(b, jl_ref_ptr(doc, g->module), g->module.len);
        jl_buf_putc(b, '.');
    }
    return jl_buf_append(b, jl_ref_ptr(doc, g->name), g->name.len);
}

static int valid_node(const jl_doc *doc, uint32_t id) { return id < doc->nnodes; }

/* A class cloudpickle built in the pickle: "module.Name", or "Name". */
static int render_skeleton_class(const jl_doc *doc, uint32_t cls, jl_buf *b) {
    jl_ref module, name;
    if (!jl_skeleton_class(doc, cls, &module, &name)) return 0;
    if (module.len) {
        jl_buf_append(b, jl_ref_ptr(doc, module), module.len);
        jl_buf_putc(b, '.');
    }
    jl_buf_append(b, jl_ref_ptr(doc, name), name.len);
    return 1;
}

int jl_render_class(const jl_doc *doc, uint32_t id, jl_buf *b) {
    if (!valid_node(doc, id)) return 0;
    const jl_node *nd = &doc->nodes[id];
    switch (nd->kind) {
    case JL_GLOBAL: jl_render_global(doc, id, b); return 1;
    case JL_OBJECT: {
        uint32_t cls = jl_object_of(doc, id)->cls;
        if (!valid_node(doc, cls)) return 0;
        if (doc->nodes[cls].kind == JL_OBJECT) return render_skeleton_class(doc, cls, b);
        if (doc->nodes[cls].kind != JL_GLOBAL) return 0;
        jl_render_global(doc, cls, b);
        return 1;
    }
    case JL_SCALAR: {
        const jl_array *a = jl_array_of(doc, id);
        if (a->dtype >= doc->ndtypes) return 0;
        char buf[128];
        const char *s = jl_dtype_scalar_class(doc, a->dtype, buf, sizeof buf);
        if (!s) return 0;
        jl_buf_puts(b, s);
        return 1;
    }
    case JL_NDARRAY: {
        uint32_t cls = jl_array_of(doc, id)->cls;
        if (!valid_node(doc, cls) || doc->nodes[cls].kind != JL_GLOBAL) return 0;
        if (jl_ref_eq(doc, jl_global_of(doc, cls)->name, "ndarray")) return 0;
        jl_render_global(doc, cls, b);
        return 1;
    }
    default: return 0;
    }
}
/* ---- the renderer ---------------------------------------------------------- */

enum { F_SEQ, F_DICT, F_OBJ, F_OARR };

typedef struct rframe {
    uint32_t node;
    uint8_t type;  /* F_* */
    uint8_t flag;  /* F_OBJ: __class__ written; F_OARR: items shown flat (count != shape) */
    uint32_t last; /* F_OBJ: slot of the child being rendered */
    uint64_t i;    /* next child (F_OBJ: jl_object_next_child cursor) */
} rframe;

typedef struct rctx {
    const jl_doc *doc;
    jl_buf *b;
    jl_error *err;
    rframe *st; /* owned (b->alloc) */
    uint64_t n, cap;
    uint8_t *mark; /* owned: bit per node id "open on the stack", made when deep */
    unsigned key_level;
    jl_buf tmp; /* owned: scratch for keys and unicode elements */
    jl_arraytext at; /* doc, b, err and &tmp, for the array-data renderers */
} rctx;

static int render_node(const jl_doc *doc, uint32_t id, jl_buf *b, jl_error *err, unsigned key_level);

/* The error for a failed buffer (the same as the array-data renderers'). */
static int nomem(rctx *c) { return jl_render_array_nomem(&c->at); }

/* Writes the path of the child being rendered at the top of the stack. */
static void frame_path_upto(rctx *c, jl_buf *p, uint64_t upto) {
    const jl_doc *doc = c->doc;
    jl_buf_putc(p, '$');
    for (uint64_t j = 0; j < upto && !p->failed; j++) {
        const rframe *f = &c->st[j];
        switch (f->type) {
        case F_SEQ: jl_path_step_index(p, f->i - 1); break;
        case F_DICT: jl_path_step_entry(doc, f->node, f->i - 1, p); break;
        case F_OBJ: jl_path_step_object(doc, f->node, f->last, p); break;
        case F_OARR: {
            const jl_array *a = jl_array_of(doc, f->node);
            uint64_t k = f->i - 1, idx[256];
            unsigned nd = f->flag ? 1 : a->ndim;
            if (f->flag) idx[0] = k;
            else
                for (unsigned d = nd; d-- > 0;) {
                    uint64_t dim = doc->dims[a->dims_at + d];
                    idx[d] = dim ? k % dim : 0;
                    k = dim ? k / dim : 0;
                }
            for (unsigned d = 0; d < nd; d++) jl_path_step_index(p, idx[d]);
            break;
        }
        }
    }
}

static int on_stack(rctx *c, uint32_t id) {
    if (c->mark) return (c->mark[id >> 3] >> (id & 7)) & 1;
    if (c->n < JL_RENDER_SCAN_DEPTH) {
        for (uint64_t j = 0; j < c->n; j++)
            if (c->st[j].node == id) return 1;
        return 0;
    }
    c->mark = jl_malloc(c->b->alloc, (size_t)((c->doc->nnodes + 7) / 8));
    if (!c->mark) return -1;
    memset(c->mark, 0, (size_t)((c->doc->nnodes + 7) / 8));
    for (uint64_t j = 0; j < c->n; j++) c->mark[c->st[j].node >> 3] |= (uint8_t)(1u << (c->st[j].node & 7));
    return (c->mark[id >> 3] >> (id & 7)) & 1;
}

#define CYCLE_RENDERED (-2) /* push() wrote a back-reference instead of opening a frame */

static int push(rctx *c, uint32_t id, uint8_t type) {
    uint64_t max = c->doc->limits.max_depth;
    if (max && c->n >= max)
        return jl_fail(c->err, JL_E_LIMIT, JL_NO_OFFSET,
                       "JSON nesting deeper than max_depth (%llu)", (unsigned long long)max);
    int on = on_stack(c, id);
    if (on < 0) return jl_fail(c->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory rendering JSON");
    if (on) {
        /* a value inside itself: render the back-reference as
         * {"__ref__": path of the enclosing occurrence, relative to the
         * rendered value}, the way joblib_tree shows it as a ref row */
        uint64_t j = 0;
        while (j < c->n && c->st[j].node != id) j++;
        jl_buf path;
        jl_buf_init(&path, c->b->alloc, 0);
        frame_path_upto(c, &path, j);
        int rc = path.failed ? JL_E_NOMEM : JL_OK;
        jl_buf_puts(c->b, "{\"" JL_SLOT_NAME_REF "\":");
        /* the path holds quoted keys (."a b", ["x"]): a JSON string of it */
        if (!rc) jl_json_string(c->b, path.p, path.len);
        jl_buf_putc(c->b, '}');
        jl_buf_free(&path);
        if (rc) return jl_fail(c->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory rendering JSON");
        return CYCLE_RENDERED;
    }
    if (c->n == c->cap && jl_grow(c->b->alloc, (void **)&c->st, &c->cap, c->n + 1, sizeof(rframe), 0))
        return jl_fail(c->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory rendering JSON");
    rframe *f = &c->st[c->n++];
    f->node = id;
    f->type = type;
    f->flag = 0;
    f->last = 0;
    f->i = 0;
    if (c->mark) c->mark[id >> 3] |= (uint8_t)(1u << (id & 7));
    return JL_OK;
}

static void pop(rctx *c) {
    uint32_t id = c->st[--c->n].node;
    if (c->mark) c->mark[id >> 3] &= (uint8_t)~(1u << (id & 7));
}

/* A dict key: str keys as themselves, others as their JSON text. */
static int render_key(rctx *c, uint32_t key) {
    const jl_doc *doc = c->doc;
    if (!valid_node(doc, key)) return jl_buf_puts(c->b, "\"null\"");
    const jl_node *k = &doc->nodes[key];
    if (k->kind == JL_STR) {
        const uint8_t *p = doc->blocks[k->block].p + k->u.off;
        if (!(k->flags & JL_F_PY2) || jl_is_ascii(p, k->len)) return jl_json_string(c->b, p, k->len);
    }
    if (k->kind == JL_INT && !(k->flags & JL_F_BIG)) {
        jl_buf_putc(c->b, '"');
        jl_render_i64(c->b, k->u.i);
        return jl_buf_putc(c->b, '"');
    }
    if (k->kind == JL_FLOAT && !isfinite(k->u.f)) /* as Python's json.dumps writes them */
        return jl_buf_puts(c->b, isnan(k->u.f) ? "\"NaN\"" : k->u.f > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    if (c->key_level >= JL_RENDER_MAX_KEY_LEVEL)
        return jl_fail(c->err, JL_E_LIMIT, JL_NO_OFFSET, "dict keys nested in keys more than %u levels",
                       JL_RENDER_MAX_KEY_LEVEL);
    c->tmp.len = 0;
    int rc = render_node(doc, key, &c->tmp, c->err, c->key_level + 1);
    if (rc) return rc;
    if (c->tmp.len && c->tmp.p[0] == '"') return jl_buf_append(c->b, c->tmp.p, c->tmp.len);
    return jl_json_string(c->b, c->tmp.p, c->tmp.len);
}

/* Renders an atom, or opens a compound node (pushes its frame). */
static int visit(rctx *c, uint32_t id) {
    const jl_doc *doc = c->doc;
    jl_buf *b = c->b;
    if (!valid_node(doc, id)) return jl_buf_puts(b, "null");
    const jl_node *nd = &doc->nodes[id];
    jl_wk wk;
    if ((nd->kind == JL_OBJECT || nd->kind == JL_GLOBAL) && jl_wellknown(doc, id, &wk))
        return jl_wellknown_json(&wk, b);
    const uint8_t *p = nd->kind >= JL_COMPLEX && nd->kind <= JL_BYTEARRAY /* byte-carrying kinds */
                           ? doc->blocks[nd->block].p + nd->u.off
                           : NULL;
    int rc;
    switch (nd->kind) {
    case JL_NULL: return jl_buf_puts(b, "null");
    case JL_BOOL: return jl_buf_puts(b, nd->u.i ? "true" : "false");
    case JL_INT:
        rc = jl_render_int(doc, id, b);
        if (rc == JL_E_LIMIT && !b->failed)
            return jl_fail(c->err, JL_E_LIMIT, JL_NO_OFFSET, "an int of %u bytes is too long to write in decimal",
                           nd->len);
        return rc;
    case JL_FLOAT: return jl_render_float(b, nd->u.f, 8);
    case JL_COMPLEX: {
        double v[2];
        if (nd->len != 16) return jl_buf_puts(b, "null");
        memcpy(v, p, 16);
        jl_buf_putc(b, '[');
        jl_render_float(b, v[0], 8);
        jl_buf_putc(b, ',');
        jl_render_float(b, v[1], 8);
        return jl_buf_putc(b, ']');
    }
    case JL_STR:
        if ((nd->flags & JL_F_PY2) && !jl_is_ascii(p, nd->len)) return jl_render_base64(b, p, nd->len);
        return jl_json_string(b, p, nd->len);
    case JL_BYTES:
    case JL_BYTEARRAY: return jl_render_base64(b, p, nd->len);
    case JL_GLOBAL: {
        const jl_global *g = jl_global_of(doc, id);
        jl_buf_putc(b, '"');
        jl_json_escape(b, jl_ref_ptr(doc, g->module), g->module.len, JL_JSON_RENDER);
        jl_buf_putc(b, '.');
        jl_json_escape(b, jl_ref_ptr(doc, g->name), g->name.len, JL_JSON_RENDER);
        return jl_buf_putc(b, '"');
    }
    case JL_SCALAR: return jl_render_array_leaf(&c->at, id);
    case JL_NDARRAY: {
        const jl_array *a = jl_array_of(doc, id);
        int obj = a->dtype < doc->ndtypes && doc->dtypes[a->dtype].has_object;
        if (!obj && a->items == JL_NONE) return jl_render_array_leaf(&c->at, id);
        if (!valid_node(doc, a->items) || !jl_is_container(doc->nodes[a->items].kind))
            return jl_buf_puts(b, "null");
        uint64_t count = jl_array_count(doc, a), have = doc->nodes[a->items].len;
        const uint64_t *dims = doc->dims + a->dims_at;
        if (count == have && count == 0) return jl_render_empty_block(&c->at, dims, a->ndim);
        if ((rc = push(c, id, F_OARR))) return rc == CYCLE_RENDERED ? b->failed : rc;
        rframe *f = &c->st[c->n - 1];
        f->flag = count != have;
        jl_render_brackets(b, '[', f->flag ? 1 : a->ndim);
        return b->failed;
    }
    case JL_LIST:
    case JL_TUPLE:
    case JL_SET:
    case JL_FROZENSET:
        if ((rc = push(c, id, F_SEQ))) return rc == CYCLE_RENDERED ? b->failed : rc;
        return jl_buf_putc(b, '[');
    case JL_DICT:
        if ((rc = push(c, id, F_DICT))) return rc == CYCLE_RENDERED ? b->failed : rc;
        return jl_buf_putc(b, '{');
    case JL_OBJECT:
        if ((rc = push(c, id, F_OBJ))) return rc == CYCLE_RENDERED ? b->failed : rc;
        return jl_buf_putc(b, '{');
    default: return jl_buf_puts(b, "null");
    }
}

static const char *const slot_names[] = { JL_SLOT_NAME_TABLE("\"", "\":") };

/* Advances the frame at the top of the stack by one child (or closes it). */
static int step(rctx *c) {
    const jl_doc *doc = c->doc;
    jl_buf *b = c->b;
    rframe *f = &c->st[c->n - 1];
    const jl_node *nd = &doc->nodes[f->node];
    switch (f->type) {
    case F_SEQ:
        if (f->i < nd->len) {
            uint32_t child = jl_kids_of(doc, f->node)[f->i];
            if (f->i) jl_buf_putc(b, ',');
            f->i++;
            return visit(c, child);
        }
        pop(c);
        return jl_buf_putc(b, ']');
    case F_DICT:
        if (f->i < nd->len / 2) {
            const uint32_t *k = jl_kids_of(doc, f->node) + 2 * f->i;
            if (f->i) jl_buf_putc(b, ',');
            f->i++;
            int rc = render_key(c, k[0]);
            if (rc) return rc;
            jl_buf_putc(b, ':');
            return visit(c, k[1]);
        }
        pop(c);
        return jl_buf_putc(b, '}');
    case F_OBJ: {
        const jl_object *o = jl_object_of(doc, f->node);
        if (!f->flag) {
            f->flag = 1;
            f->last = JL_SLOT_CLASS;
            jl_buf_puts(b, slot_names[JL_SLOT_CLASS]);
            return visit(c, o->cls); /* a global: "module.Name" */
        }
        uint32_t child;
        uint64_t slot;
        if (jl_object_next_child(doc, f->node, &f->i, &child, &slot)) {
            f->last = (uint32_t)slot;
            jl_buf_putc(b, ',');
            if (slot >= JL_SLOT_ENTRY) {
                int rc = render_key(c, jl_kids_of(doc, o->state)[2 * (slot - JL_SLOT_ENTRY)]);
                if (rc) return rc;
                jl_buf_putc(b, ':');
            } else jl_buf_puts(b, slot_names[slot]);
            return visit(c, child);
        }
        pop(c);
        return jl_buf_putc(b, '}');
    }
    case F_OARR: {
        const jl_array *a = jl_array_of(doc, f->node);
        const jl_node *items = &doc->nodes[a->items];
        uint64_t flat[1] = { items->len };
        const uint64_t *dims = f->flag ? flat : doc->dims + a->dims_at;
        unsigned ndim = f->flag ? 1 : a->ndim;
        if (f->i < items->len) {
            uint32_t child = jl_kids_of(doc, a->items)[f->i];
            if (f->i) jl_render_block_sep(b, dims, ndim, f->i);
            f->i++;
            return visit(c, child);
        }
        pop(c);
        jl_render_brackets(b, ']', ndim);
        return b->failed;
    }
    }
    return JL_OK;
}

static int render_node(const jl_doc *doc, uint32_t id, jl_buf *b, jl_error *err, unsigned key_level) {
    rctx c;
    memset(&c, 0, sizeof c);
    c.doc = doc;
    c.b = b;
    c.err = err;
    c.key_level = key_level;
    jl_buf_init(&c.tmp, b->alloc, b->max);
    c.at = (jl_arraytext){ doc, b, err, &c.tmp };
    int rc = visit(&c, id);
    while (!rc && c.n > 0) {
        rc = step(&c);
        if (!rc && b->failed) rc = b->failed;
    }
    /* buffer failures carry no message yet */
    if (b->failed && (rc == JL_OK || rc == b->failed)) rc = nomem(&c);
    jl_free(b->alloc, c.st);
    jl_free(b->alloc, c.mark);
    jl_buf_free(&c.tmp);
    return rc;
}

int jl_render_json(const jl_doc *doc, uint32_t id, jl_buf *b, jl_error *err) {
    return render_node(doc, id, b, err, 0);
}
