/*
 * walk.c - the rows of joblib_each / joblib_tree (see walk.h): children of
 * a node, or a whole subtree depth-first, parents before children.
 *
 * The walk keeps an explicit stack (one frame per open container), so a
 * 1,000,000-deep list costs memory, not C stack; depth is bounded by
 * doc->limits.max_depth (0 = no bound).
 *
 * Every compound node is expanded once; later occurrences are ref rows
 * naming the fullkey of the first. Only nodes that can be reached twice
 * need remembering: the doc's multi-reference bitmap (computed once per
 * doc, see doc_multi) says which nodes have more than one incoming edge;
 * those (and the walk's root, which a cycle can reach) go into a hash
 * table with the fullkey of their first occurrence. Every other node is
 * reached once, so a tree without sharing costs no table at all.
 *
 * Strings are lazy: jl_walk_next fills only ids, nodes and keys; the
 * path strings of a row are built by jl_walk_strings when asked for. The
 * key buffer holds the fullkeys of the first `kvalid` frames (each frame
 * remembers its own step position), so asking after any number of
 * skipped rows rebuilds only the frames that changed meanwhile.
 *
 * Row numbering: the root row is 0 (in each mode it is not returned when
 * the root has children, but its children still name 0 as parent). In
 * each mode over an ndarray, rows are views from jl_array_row; the nodes
 * a view appends to the doc are dropped again at the next row when nothing
 * else was appended meanwhile, so listing a 7-million-row matrix does not
 * grow the doc.
 */
#include "walk.h"

#include "ndarray.h"
#include "nodekeys.h"
#include "path.h"
#include "slots.h"

#include <string.h>

typedef struct wframe {
    uint32_t node;
    uint64_t row;    /* row number of this node */
    uint64_t cursor; /* next child (objects: jl_object_next_child cursor) */
    uint64_t pos;    /* this node's position in the frame below (unused for frame 0) */
    uint64_t klen;   /* length of this node's fullkey in w->key, when the frame is below kvalid */
} wframe;

enum { ST_ROOT, ST_WALK, ST_DONE };

struct jl_walk {
    jl_doc *doc;
    int tree;
    int state;
    uint32_t root;
    uint64_t rows;      /* rows returned so far */
    size_t root_len;    /* root path length */
    char *root_path;    /* owned copy */
    size_t root_parent_len; /* length of the root's parent path */
    wframe *st;         /* owned */
    uint64_t nst, cap;
    uint64_t kvalid;    /* frames [0, kvalid) have their fullkey at the head of key */
    jl_buf key;         /* fullkeys of the valid frames, then the current row's step */
    jl_buf path;        /* path of the current row (a copy of a prefix of key) */
    jl_buf attr;        /* attribute name of the current row */
    jl_nodekeys seen;   /* fullkeys of the first occurrences of nodes reachable twice */
    /* the current row, for jl_walk_strings */
    int row_root;       /* 1: the root row (strings are the root path) */
    uint64_t row_frame; /* index of the parent frame */
    uint64_t row_pos;   /* child position in that frame's node */
    uint32_t row_ref;   /* for ref rows: the node whose first fullkey to show */
    int row_done;       /* strings already built for this row */
    int row_live;       /* the last jl_walk_next returned a row */
    /* doc table sizes around the last array-row view, to drop it later */
    uint64_t before[5], after[5];
    int view_live;
    int each_root;      /* each mode over a compound root: frame 0 is the root */
    uint64_t stop;      /* jl_walk_seek: frame 0 ends at this cursor (0: no bound) */
};

static const jl_alloc *walloc(jl_walk *w) { return &w->doc->alloc; }

static int nomem(jl_error *err) { return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory walking the tree"); }

/* ---- which nodes can be reached twice ------------------------------------------ */

static void mark_edge(uint64_t *once, uint64_t *multi, uint64_t n, uint32_t x) {
    if (x >= n) return; /* beyond the bitmap: multi anyway */
    uint64_t bit = 1ull << (x & 63);
    if (once[x >> 6] & bit) multi[x >> 6] |= bit;
    else once[x >> 6] |= bit;
}

/* The doc's multi-reference bitmap: bit x set when node x is the child of
 * more than one edge the walk follows (dict values, container items, object
 * children). Computed once and kept in the doc until nodes are removed
 * (jl_doc_multi_forget); NULL without memory. */
static const uint64_t *doc_multi(jl_doc *doc) {
    /* nodes appended since count as multi (needs_table); whatever removes
     * nodes or changes old nodes' children forgets the cache */
    if (doc->multi && doc->nnodes >= doc->multi_nnodes && doc->nobjects >= doc->multi_nobjects)
        return doc->multi;
    jl_doc_multi_forget(doc);
    uint64_t n = doc->nnodes, words = (n + 63) / 64 + 1;
    uint64_t *once = jl_malloc(&doc->alloc, (size_t)(words * 8));
    uint64_t *multi = jl_malloc(&doc->alloc, (size_t)(words * 8));
    if (!once || !multi) {
        jl_free(&doc->alloc, once);
        jl_free(&doc->alloc, multi);
        return NULL;
    }
    memset(once, 0, (size_t)(words * 8));
    memset(multi, 0, (size_t)(words * 8));
    for (uint64_t id = 0; id < n; id++) {
        const jl_node *nd = &doc->nodes[id];
        if (jl_is_container(nd->kind)) {
            if (!nd->len) continue; /* doc->kids may be NULL */
            const uint32_t *k = doc->kids + nd->u.kids.first;
            for (uint32_t j = nd->kind == JL_DICT; j < nd->len; j += 1 + (nd->kind == JL_DICT))
                mark_edge(once, multi, n, k[j]);
        } else if (nd->kind == JL_OBJECT) {
            uint64_t cursor = 0, slot;
            uint32_t child;
            while (jl_object_next_child(doc, (uint32_t)id, &cursor, &child, &slot))
                mark_edge(once, multi, n, child);
        }
    }
    jl_free(&doc->alloc, once);
    doc->multi = multi;
    doc->multi_nnodes = doc->nnodes;
    doc->multi_nobjects = doc->nobjects;
    return doc->multi;
}

/* 1 when reaching `child` from `parent` needs the first-occurrence table. */
static int needs_table(const jl_walk *w, uint32_t parent, uint32_t child) {
    /* read from the doc each time: another walk may have dropped the cache */
    const jl_doc *doc = w->doc;
    if (!doc->multi || child == w->root || child >= doc->multi_nnodes || parent >= doc->multi_nnodes)
        return 1;
    return (doc->multi[child >> 6] >> (child & 63)) & 1;
}

/* ---- path strings ------------------------------------------------------------------ */

static void buf_trunc(jl_buf *b, uint64_t len) {
    if (b->p && len <= b->len) {
        b->len = len;
        b->p[len] = 0;
    }
}

static int append_step(const jl_doc *doc, jl_buf *b, uint32_t parent, uint64_t pos) {
    switch (doc->nodes[parent].kind) {
    case JL_DICT: return jl_path_step_entry(doc, parent, pos, b);
    case JL_OBJECT: return jl_path_step_object(doc, parent, pos, b);
    default: return jl_path_step_index(b, pos);
    }
}

/* Makes key hold the fullkeys of frames [0, upto], then the step `pos`
 * of frame upto's node: the fullkey of that child. */
static int child_key(jl_walk *w, uint64_t upto, uint64_t pos) {
    if (w->kvalid > upto + 1) w->kvalid = upto + 1;
    buf_trunc(&w->key, w->st[w->kvalid - 1].klen);
    for (uint64_t d = w->kvalid; d <= upto; d++) {
        int rc = append_step(w->doc, &w->key, w->st[d - 1].node, w->st[d].pos);
        if (rc) return rc;
        w->st[d].klen = w->key.len;
    }
    w->kvalid = upto + 1;
    int rc = append_step(w->doc, &w->key, w->st[upto].node, pos);
    if (rc) return rc;
    return w->key.failed;
}

/* ---- array-row views ------------------------------------------------------------ */

static void doc_counts(const jl_doc *doc, uint64_t c[5]) {
    c[0] = doc->nnodes;
    c[1] = doc->narrays;
    c[2] = doc->ndims;
    c[3] = doc->nkids;
    c[4] = doc->ndtypes;
}

/* Drops the last view's nodes when nothing was appended after them. */
static void drop_view(jl_walk *w) {
    if (!w->view_live) return;
    w->view_live = 0;
    uint64_t now[5];
    doc_counts(w->doc, now);
    if (memcmp(now, w->after, sizeof now) != 0) return;
    w->doc->nnodes = w->before[0];
    w->doc->narrays = w->before[1];
    w->doc->ndims = w->before[2];
    w->doc->nkids = w->before[3];
    w->doc->ndtypes = w->before[4];
    if (w->doc->nnodes < w->doc->multi_nnodes) jl_doc_multi_forget(w->doc);
}

/* ---- the walk ------------------------------------------------------------------ */

static int expandable(const jl_doc *doc, uint32_t id, int tree) {
    const jl_node *nd = &doc->nodes[id];
    if (jl_is_container(nd->kind) || nd->kind == JL_OBJECT) return 1;
    if (nd->kind == JL_NDARRAY) {
        /* each: rows of any array; tree: elements of object arrays only */
        const jl_array *a = jl_array_of(doc, id);
        return a->ndim > 0 && !a->is_scalar && (!tree || a->items != JL_NONE);
    }
    return 0;
}

static int push(jl_walk *w, uint32_t node, uint64_t row, uint64_t pos, jl_error *err) {
    uint64_t max = w->doc->limits.max_depth;
    if (max && w->nst >= max)
        return jl_fail(err, JL_E_LIMIT, JL_NO_OFFSET, "tree deeper than max_depth (%llu)",
                       (unsigned long long)max);
    if (w->nst == w->cap && jl_grow(walloc(w), (void **)&w->st, &w->cap, w->nst + 1, sizeof(wframe), 0))
        return nomem(err);
    wframe *f = &w->st[w->nst++];
    f->node = node;
    f->row = row;
    f->cursor = 0;
    f->pos = pos;
    f->klen = w->root_len;
    return JL_OK;
}

int jl_walk_start(jl_doc *doc, uint32_t root, const char *root_path, int tree, jl_walk **out, jl_error *err) {
    *out = NULL;
    if (root >= doc->nnodes) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "walk root %u is not a node", root);
    jl_walk *w = jl_malloc(&doc->alloc, sizeof *w);
    if (!w) return nomem(err);
    memset(w, 0, sizeof *w);
    w->doc = doc;
    w->tree = tree != 0;
    w->root = root;
    jl_buf_init(&w->key, &doc->alloc, 0);
    jl_buf_init(&w->path, &doc->alloc, 0);
    jl_buf_init(&w->attr, &doc->alloc, 0);
    if (!root_path) root_path = "$";
    w->root_len = strlen(root_path);
    w->root_path = jl_malloc(&doc->alloc, w->root_len + 1);
    if (jl_nodekeys_init(&w->seen, &doc->alloc) != JL_OK || !w->root_path) {
        jl_walk_free(w);
        return nomem(err);
    }
    memcpy(w->root_path, root_path, w->root_len + 1);
    size_t plen = jl_path_parent_len(root_path, w->root_len);
    w->root_parent_len = plen < w->root_len ? plen : w->root_len;
    /* without memory for the bitmap every compound node goes to the table */
    if (jl_is_compound(doc->nodes[root].kind)) doc_multi(doc);
    jl_buf_append(&w->key, root_path, w->root_len);
    int rc = w->key.failed;
    if (!rc && jl_is_compound(doc->nodes[root].kind)) rc = jl_nodekeys_put(&w->seen, root, root_path, w->root_len);
    if (rc) {
        jl_walk_free(w);
        return nomem(err);
    }
    if (!w->tree && expandable(doc, root, 0)) {
        /* each: the children of the root, whose path is the root's fullkey */
        if ((rc = push(w, root, 0, 0, err))) {
            jl_walk_free(w);
            return rc;
        }
        w->kvalid = 1;
        w->rows = 1;
        w->state = ST_WALK;
        w->each_root = 1;
    } else {
        w->state = ST_ROOT;
    }
    *out = w;
    return JL_OK;
}

static const char *const slot_attr[] = { JL_SLOT_NAME_TABLE("", "") };

/* Ends the walk after an error already reported in err. */
static int fail_rc(jl_walk *w, int rc) {
    w->state = ST_DONE;
    w->nst = 0;
    return -rc;
}

/* Ends the walk after an allocation or buffer failure. */
static int fail_nomem(jl_walk *w, jl_error *err) { return fail_rc(w, nomem(err)); }

int jl_walk_next(jl_walk *w, jl_walk_row *row, jl_error *err) {
    jl_doc *doc = w->doc;
    drop_view(w);
    w->row_done = 0;
    w->row_live = 0;
    if (w->state == ST_DONE) return 0;
    if (w->state == ST_ROOT) {
        memset(row, 0, sizeof *row);
        row->id = 0;
        row->parent = UINT64_MAX;
        row->node = w->root;
        row->key = JL_NONE;
        row->index = -1;
        w->row_root = 1;
        w->row_live = 1;
        w->rows = 1;
        w->state = ST_DONE;
        if (w->tree && expandable(doc, w->root, 1)) {
            int rc = push(w, w->root, 0, 0, err);
            if (rc) return fail_rc(w, rc);
            w->kvalid = 1;
            w->state = ST_WALK;
        }
        return 1;
    }
    while (w->nst > 0) {
        wframe *f = &w->st[w->nst - 1];
        if (w->stop && w->nst == 1 && f->cursor >= w->stop) {
            w->nst = 0;
            break;
        }
        const jl_node *pn = &doc->nodes[f->node];
        uint32_t child = JL_NONE, key = JL_NONE;
        uint64_t pos = 0;
        int64_t index = -1;
        int view = 0, have = 0;
        const char *attr = NULL;
        if (pn->kind == JL_DICT) {
            if (f->cursor < pn->len / 2) {
                const uint32_t *k = jl_kids_of(doc, f->node) + 2 * f->cursor;
                key = k[0];
                child = k[1];
                pos = f->cursor++;
                have = 1;
            }
        } else if (jl_is_container(pn->kind)) {
            if (f->cursor < pn->len) {
                child = jl_kids_of(doc, f->node)[f->cursor];
                pos = f->cursor++;
                index = (int64_t)pos;
                have = 1;
            }
        } else if (pn->kind == JL_OBJECT) {
            have = jl_object_next_child(doc, f->node, &f->cursor, &child, &pos);
            if (have && pos >= JL_SLOT_ENTRY) {
                uint32_t st = jl_object_of(doc, f->node)->state;
                key = jl_kids_of(doc, st)[2 * (pos - JL_SLOT_ENTRY)];
                const jl_node *kn = &doc->nodes[key];
                if (kn->kind == JL_STR) {
                    w->attr.len = 0;
                    jl_buf_append(&w->attr, doc->blocks[kn->block].p + kn->u.off, kn->len);
                    if (w->attr.failed) return fail_nomem(w, err);
                    attr = w->attr.p;
                }
            } else if (have) attr = slot_attr[pos];
        } else if (pn->kind == JL_NDARRAY) {
            const jl_array *a = jl_array_of(doc, f->node);
            if (f->cursor < doc->dims[a->dims_at]) {
                pos = f->cursor++;
                index = (int64_t)pos;
                uint64_t before[5];
                doc_counts(doc, before);
                jl_error e;
                jl_error_clear(&e);
                child = jl_array_row(doc, f->node, pos, &e);
                if (child == JL_NONE) {
                    if (e.code == JL_OK)
                        jl_fail(&e, JL_E_FORMAT, JL_NO_OFFSET, "row %llu of the array has no node",
                                (unsigned long long)pos);
                    if (err) *err = e;
                    return fail_rc(w, e.code);
                }
                if (doc->nnodes > before[0]) { /* a fresh view */
                    view = 1;
                    /* each drops it at the next row; a tree may expand it (a
                     * row of an object array), so it stays until the walk ends */
                    if (!w->tree) {
                        memcpy(w->before, before, sizeof before);
                        doc_counts(doc, w->after);
                        w->view_live = 1;
                    }
                }
                have = 1;
                f = &w->st[w->nst - 1];
            }
        }
        if (!have) {
            w->nst--;
            if (w->kvalid > w->nst) w->kvalid = w->nst;
            continue;
        }
        row->id = w->rows++;
        row->parent = f->row;
        row->node = child;
        row->key = key;
        row->index = index;
        row->step = row->fullkey = row->path = row->ref_fullkey = NULL;
        row->is_ref = 0;
        row->attr = attr;
        row->view = view;
        row->depth = w->nst;
        w->row_root = 0;
        w->row_live = 1;
        w->row_frame = w->nst - 1;
        w->row_pos = pos;
        uint32_t parent = f->node;
        if (!view && child < doc->nnodes && jl_is_compound(doc->nodes[child].kind)) {
            int first = 1;
            if (needs_table(w, parent, child)) {
                if (jl_nodekeys_get(&w->seen, child)) {
                    first = 0;
                    row->is_ref = 1;
                    w->row_ref = child;
                } else {
                    int rc = child_key(w, w->nst - 1, pos);
                    if (rc || jl_nodekeys_put(&w->seen, child, w->key.p, w->key.len)) return fail_nomem(w, err);
                }
            }
            if (first && w->tree && expandable(doc, child, 1)) {
                int rc = push(w, child, row->id, pos, err);
                if (rc) return fail_rc(w, rc);
            }
        } else if (view && w->tree && expandable(doc, child, 1)) {
            /* a row of an N-D object array: reached once, its elements follow */
            int rc = push(w, child, row->id, pos, err);
            if (rc) return fail_rc(w, rc);
        }
        return 1;
    }
    w->state = ST_DONE;
    return 0;
}

int jl_walk_strings(jl_walk *w, jl_walk_row *row, jl_error *err) {
    if (!w->row_live) return jl_fail(err, JL_E_ARG, JL_NO_OFFSET, "the walk has no current row");
    if (w->row_done) return JL_OK;
    if (w->row_root) {
        row->step = "";
        row->fullkey = w->root_path;
        w->path.len = 0;
        jl_buf_append(&w->path, w->root_path, w->root_parent_len);
    } else {
        if (child_key(w, w->row_frame, w->row_pos) || w->key.failed) return nomem(err);
        uint64_t plen = w->st[w->row_frame].klen;
        w->path.len = 0;
        jl_buf_append(&w->path, w->key.p, (size_t)plen);
        row->step = w->key.p + plen;
        row->fullkey = w->key.p;
    }
    if (w->path.failed) return nomem(err);
    if (!w->path.p) jl_buf_putc(&w->path, 0), w->path.len = 0;
    if (w->path.failed) return nomem(err);
    row->path = w->path.p;
    if (row->is_ref) {
        const char *first = jl_nodekeys_get(&w->seen, w->row_ref);
        row->ref_fullkey = first ? first : "";
    }
    w->row_done = 1;
    return JL_OK;
}

int64_t jl_walk_positional(const jl_walk *w) {
    if (w->tree || !w->each_root) return -1;
    const jl_node *nd = &w->doc->nodes[w->st[0].node];
    if (nd->kind == JL_DICT) return nd->len / 2;
    if (jl_is_container(nd->kind)) return nd->len;
    if (nd->kind == JL_NDARRAY) {
        const jl_array *a = jl_array_of(w->doc, w->st[0].node);
        return (int64_t)w->doc->dims[a->dims_at];
    }
    return -1;
}

int jl_walk_seek(jl_walk *w, uint64_t pos) {
    int64_t n = jl_walk_positional(w);
    if (n < 0) return 0;
    drop_view(w);
    w->row_live = 0;
    if (pos >= (uint64_t)n) {
        w->nst = 0;
        w->state = ST_DONE;
        return 1;
    }
    w->nst = 1;
    w->kvalid = 1;
    w->state = ST_WALK;
    w->st[0].cursor = pos;
    w->rows = pos + 1;
    w->stop = pos + 1;
    /* the row must be what a full walk gives: a compound child that an
     * earlier sibling already is becomes a ref row naming that sibling */
    const jl_doc *doc = w->doc;
    const jl_node *nd = &doc->nodes[w->st[0].node];
    int dict = nd->kind == JL_DICT;
    const uint32_t *k;
    if (nd->kind == JL_NDARRAY) {
        /* rows are fresh views, except the elements of a 1-D object array */
        const jl_array *a = jl_array_of(doc, w->st[0].node);
        if (a->ndim != 1 || a->items == JL_NONE || pos >= doc->nodes[a->items].len) return 1;
        k = jl_kids_of(doc, a->items);
    } else {
        k = jl_kids_of(doc, w->st[0].node);
    }
    uint32_t child = k[dict ? 2 * pos + 1 : pos];
    if (!jl_is_compound(doc->nodes[child].kind) || !needs_table(w, w->st[0].node, child)) return 1;
    for (uint64_t j = 0; j < pos && !jl_nodekeys_get(&w->seen, child); j++) {
        if (k[dict ? 2 * j + 1 : j] != child) continue;
        if (child_key(w, 0, j) || jl_nodekeys_put(&w->seen, child, w->key.p, w->key.len)) {
            w->nst = 0; /* out of memory: no rows rather than a wrong one */
            w->state = ST_DONE;
        }
        break;
    }
    return 1;
}

void jl_walk_free(jl_walk *w) {
    if (!w) return;
    drop_view(w);
    const jl_alloc *a = walloc(w);
    jl_free(a, w->st);
    jl_nodekeys_free(&w->seen);
    jl_free(a, w->root_path);
    jl_buf_free(&w->key);
    jl_buf_free(&w->path);
    jl_buf_free(&w->attr);
    jl_free(a, w);
}
