/*
 * walk.c - the rows of joblib_each / joblib_tree (see walk.h): children of
 * a node, or a whole subtree depth-first, parents before children.
 *
 * The walk keeps an explicit stack (one frame per open container), so a
 * 1,000,000-deep list costs memory, not C stack; depth is bounded by
 * doc->limits.max_depth (0 = no bound). Every compound node is expanded
 * once: its first occurrence is recorded in a hash table (node -> parent
 * node and child position), later occurrences become ref rows whose
 * ref_fullkey is rebuilt from that chain (the first occurrence of a node
 * always hangs below the first occurrence of its parent). Strings live
 * in three reused buffers: the current fullkey, the parent's path (a
 * prefix of it, kept in sync incrementally) and the last ref target's
 * path, so a row costs no allocation and O(step) bytes of copying.
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
#include "path.h"

#include <string.h>

typedef struct wframe {
    uint32_t node;
    uint64_t row;    /* row number of this node */
    uint64_t cursor; /* next child (objects: jl_object_next_child cursor) */
    uint64_t klen;   /* length of this node's fullkey in w->key */
} wframe;

/* First occurrence of an expanded compound node. */
typedef struct seen {
    uint32_t node;   /* JL_NONE = empty slot */
    uint32_t parent; /* JL_NONE for the walk's root */
    uint32_t pos;    /* child position in parent (index, dict pair, object slot) */
} seen;

enum { ST_ROOT, ST_WALK, ST_DONE };

struct jl_walk {
    jl_doc *doc;
    int tree;
    int state;
    uint32_t root;
    uint64_t rows;      /* rows returned so far */
    size_t root_len;    /* root path length: w->key[0..root_len) */
    wframe *st;         /* owned */
    uint64_t nst, cap;
    jl_buf key;         /* fullkey of the current row */
    jl_buf path;        /* path of the current row: a prefix of key */
    jl_buf ref;         /* fullkey of the first occurrence of ref_node */
    jl_buf attr;        /* attribute name of the current row */
    char *root_path;    /* owned copy */
    uint32_t ref_node;  /* node whose path is in ref, or JL_NONE */
    seen *tab;          /* owned: open addressing, capacity a power of two */
    uint8_t *bits;      /* owned: 1 bit per node id < nbits, set once seen_add'ed;
                         * a clear bit spares the (cache-missing) table look-up */
    uint64_t nbits;
    uint64_t tcap, tcount;
    unsigned tbits;
    uint32_t *chain;    /* owned: scratch for ref paths */
    uint64_t chain_cap;
    /* doc table sizes around the last array-row view, to drop it later */
    uint64_t before[5], after[5];
    int view_live;
};

static const jl_alloc *walloc(jl_walk *w) { return &w->doc->alloc; }

static int nomem(jl_error *err) { return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory walking the tree"); }

/* ---- first occurrences ------------------------------------------------------ */

static uint64_t hash_of(const jl_walk *w, uint32_t node) {
    return ((uint64_t)node * 0x9E3779B97F4A7C15ull) >> (64 - w->tbits);
}

static seen *seen_find(const jl_walk *w, uint32_t node) {
    uint64_t mask = w->tcap - 1;
    for (uint64_t h = hash_of(w, node);; h = (h + 1) & mask) {
        seen *s = &w->tab[h];
        if (s->node == node) return s;
        if (s->node == JL_NONE) return NULL;
    }
}

/* 0 when node was certainly never added; 1 when it may have been. */
static int maybe_seen(const jl_walk *w, uint32_t node) {
    return node >= w->nbits || ((w->bits[node >> 3] >> (node & 7)) & 1);
}

static int seen_add(jl_walk *w, uint32_t node, uint32_t parent, uint32_t pos) {
    if (node < w->nbits) w->bits[node >> 3] |= (uint8_t)(1u << (node & 7));
    if ((w->tcount + 1) * 10 > w->tcap * 7) { /* keep the load under 0.7 */
        uint64_t ncap = w->tcap * 2;
        seen *nt = jl_malloc(walloc(w), (size_t)(ncap * sizeof(seen)));
        if (!nt) return JL_E_NOMEM;
        for (uint64_t k = 0; k < ncap; k++) nt[k].node = JL_NONE;
        seen *old = w->tab;
        uint64_t ocap = w->tcap;
        w->tab = nt;
        w->tcap = ncap;
        w->tbits++;
        for (uint64_t k = 0; k < ocap; k++)
            if (old[k].node != JL_NONE) {
                uint64_t h = hash_of(w, old[k].node);
                while (nt[h].node != JL_NONE) h = (h + 1) & (ncap - 1);
                nt[h] = old[k];
            }
        jl_free(walloc(w), old);
    }
    uint64_t h = hash_of(w, node);
    while (w->tab[h].node != JL_NONE) h = (h + 1) & (w->tcap - 1);
    w->tab[h].node = node;
    w->tab[h].parent = parent;
    w->tab[h].pos = pos;
    w->tcount++;
    return JL_OK;
}

/* ---- steps -------------------------------------------------------------------- */

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

/* Fills w->ref with the fullkey of the first occurrence of target. */
static int ref_path(jl_walk *w, uint32_t target) {
    if (w->ref_node == target) return JL_OK;
    uint64_t n = 0;
    for (seen *s = seen_find(w, target); s && s->parent != JL_NONE; s = seen_find(w, s->parent)) {
        if (n + 2 > w->chain_cap &&
            jl_grow(walloc(w), (void **)&w->chain, &w->chain_cap, n + 2, sizeof(uint32_t), 0))
            return JL_E_NOMEM;
        w->chain[n++] = s->parent;
        w->chain[n++] = s->pos;
    }
    w->ref.len = 0;
    jl_buf_append(&w->ref, w->root_path, w->root_len);
    for (uint64_t k = n; k >= 2; k -= 2) {
        int rc = append_step(w->doc, &w->ref, w->chain[k - 2], w->chain[k - 1]);
        if (rc) return rc;
    }
    w->ref_node = target;
    return w->ref.failed;
}

/* Keeps w->path == the first len bytes of w->key. */
static void sync_path(jl_walk *w, uint64_t len) {
    if (len <= w->path.len) buf_trunc(&w->path, len);
    else jl_buf_append(&w->path, w->key.p + w->path.len, len - w->path.len);
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
}

/* ---- the walk ------------------------------------------------------------------ */

static int expandable(const jl_doc *doc, uint32_t id, int tree) {
    const jl_node *nd = &doc->nodes[id];
    if (jl_is_container(nd->kind) || nd->kind == JL_OBJECT) return 1;
    if (nd->kind == JL_NDARRAY && !tree) {
        const jl_array *a = jl_array_of(doc, id);
        return a->ndim > 0 && !a->is_scalar;
    }
    return 0;
}

static int push(jl_walk *w, uint32_t node, uint64_t row, jl_error *err) {
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
    f->klen = w->key.len;
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
    w->ref_node = JL_NONE;
    jl_buf_init(&w->key, &doc->alloc, 0);
    jl_buf_init(&w->path, &doc->alloc, 0);
    jl_buf_init(&w->ref, &doc->alloc, 0);
    jl_buf_init(&w->attr, &doc->alloc, 0);
    if (!root_path) root_path = "$";
    w->root_len = strlen(root_path);
    w->root_path = jl_malloc(&doc->alloc, w->root_len + 1);
    w->tcap = 1024;
    w->tbits = 10;
    w->tab = jl_malloc(&doc->alloc, (size_t)(w->tcap * sizeof(seen)));
    if (!w->root_path || !w->tab) {
        jl_walk_free(w);
        return nomem(err);
    }
    memcpy(w->root_path, root_path, w->root_len + 1);
    for (uint64_t k = 0; k < w->tcap; k++) w->tab[k].node = JL_NONE;
    /* the bitmap is an optimization: without memory for it, every look-up
     * goes to the table */
    if (doc->nnodes) {
        w->bits = jl_malloc(&doc->alloc, (size_t)((doc->nnodes + 7) / 8));
        if (w->bits) {
            memset(w->bits, 0, (size_t)((doc->nnodes + 7) / 8));
            w->nbits = doc->nnodes;
        }
    }
    jl_buf_append(&w->key, root_path, w->root_len);
    int rc = w->key.failed;
    if (!rc && jl_is_compound(doc->nodes[root].kind)) rc = seen_add(w, root, JL_NONE, 0);
    if (rc) {
        jl_walk_free(w);
        return nomem(err);
    }
    if (!w->tree && expandable(doc, root, 0)) {
        /* each: the children of the root, whose path is the root's fullkey */
        jl_buf_append(&w->path, root_path, w->root_len);
        if (w->path.failed || (rc = push(w, root, 0, err))) {
            jl_walk_free(w);
            return rc ? rc : nomem(err);
        }
        w->rows = 1;
        w->state = ST_WALK;
    } else {
        size_t plen = jl_path_parent_len(root_path, w->root_len);
        jl_buf_append(&w->path, root_path, plen < w->root_len ? plen : w->root_len);
        if (w->path.failed) {
            jl_walk_free(w);
            return nomem(err);
        }
        w->state = ST_ROOT;
    }
    *out = w;
    return JL_OK;
}

static const char *const slot_attr[] = {
    [JL_SLOT_ARGS] = "__args__", [JL_SLOT_KWARGS] = "__kwargs__", [JL_SLOT_STATE] = "__state__",
    [JL_SLOT_ITEMS] = "__items__", [JL_SLOT_CLASS] = "__class__",
};

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
    if (w->state == ST_DONE) return 0;
    if (w->state == ST_ROOT) {
        memset(row, 0, sizeof *row);
        row->id = 0;
        row->parent = UINT64_MAX;
        row->node = w->root;
        row->key = JL_NONE;
        row->index = -1;
        row->step = "";
        row->fullkey = w->key.p;
        row->path = w->path.p;
        w->rows = 1;
        w->state = ST_DONE;
        if (w->tree && expandable(doc, w->root, 1)) {
            int rc = push(w, w->root, 0, err);
            if (rc) return fail_rc(w, rc);
            w->state = ST_WALK;
        }
        return 1;
    }
    while (w->nst > 0) {
        wframe *f = &w->st[w->nst - 1];
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
                    memcpy(w->before, before, sizeof before);
                    doc_counts(doc, w->after);
                    w->view_live = 1;
                }
                have = 1;
                f = &w->st[w->nst - 1];
            }
        }
        if (!have) {
            w->nst--;
            continue;
        }
        /* this row's strings */
        buf_trunc(&w->key, f->klen);
        sync_path(w, f->klen);
        int rc = append_step(doc, &w->key, f->node, pos);
        if (rc || w->key.failed || w->path.failed) return fail_nomem(w, err);
        memset(row, 0, sizeof *row);
        row->id = w->rows++;
        row->parent = f->row;
        row->node = child;
        row->key = key;
        row->index = index;
        row->step = w->key.p + f->klen;
        row->fullkey = w->key.p;
        row->path = w->path.p;
        row->attr = attr;
        uint32_t parent = f->node;
        if (!view && child < doc->nnodes && jl_is_compound(doc->nodes[child].kind)) {
            if (maybe_seen(w, child) && seen_find(w, child)) {
                if (ref_path(w, child)) return fail_nomem(w, err);
                row->is_ref = 1;
                row->ref_fullkey = w->ref.p;
            } else {
                if (seen_add(w, child, parent, (uint32_t)pos)) return fail_nomem(w, err);
                if (w->tree && expandable(doc, child, 1) && (rc = push(w, child, row->id, err)))
                    return fail_rc(w, rc);
            }
        }
        return 1;
    }
    w->state = ST_DONE;
    return 0;
}

void jl_walk_free(jl_walk *w) {
    if (!w) return;
    drop_view(w);
    const jl_alloc *a = walloc(w);
    jl_free(a, w->st);
    jl_free(a, w->tab);
    jl_free(a, w->bits);
    jl_free(a, w->chain);
    jl_free(a, w->root_path);
    jl_buf_free(&w->key);
    jl_buf_free(&w->path);
    jl_buf_free(&w->ref);
    jl_buf_free(&w->attr);
    jl_free(a, w);
}
