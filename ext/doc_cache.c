/*
 * doc_cache.c - the per-connection LRU cache of opened bundle files
 * (doc_cache.h says what it keeps and who uses it; README "The cache of
 * opened files" says it for users).
 *
 *   SELECT joblib_config('cache_bytes');            -- 268435456 (256 MiB)
 *   SELECT joblib_config('cache_bytes', 0);         -- off
 *   SELECT joblib_config('cache_stats');            -- {"hits":..,...}
 *
 * A lookup stats the path first and compares device, inode, size and the
 * modification and change times in nanoseconds with the entry's. The stat
 * comes before the open, so a file replaced between the two is keyed by
 * the old stat and simply read again at the next lookup; never the other
 * way round (new key, old content).
 */
#include "doc_cache.h"

#include <string.h>
#include <sys/stat.h>

#include "decode.h"
#include "seek_index.h"

void jl_doc_cache_init(jl_doc_cache *c) {
    memset(c, 0, sizeof *c);
    c->max_bytes = JL_DEFAULT_CACHE_BYTES;
}

/* ---- accounting ------------------------------------------------------------- */

uint64_t jl_doc_cache_bytes(const jl_doc *doc) {
    uint64_t n = sizeof *doc;
    /* tables moved to shared blocks (nodes_shared, kids_shared) are counted
     * the same: their capacity is what they hold */
    n += doc->cap_nodes * sizeof(jl_node) + doc->cap_kids * sizeof(uint32_t);
    n += doc->cap_blocks * sizeof(jl_block) + doc->cap_arrays * sizeof(jl_array);
    n += doc->cap_objects * sizeof(jl_object) + doc->cap_globals * sizeof(jl_global);
    n += doc->cap_dtypes * sizeof(jl_dtype) + doc->cap_fields * sizeof(jl_field);
    n += doc->cap_dims * sizeof(uint64_t) + doc->cap_files * sizeof(jl_file);
    if (doc->multi) n += (doc->multi_nnodes + 63) / 64 * 8;
    for (uint64_t i = 0; i < doc->nblocks; i++) {
        const jl_block *b = &doc->blocks[i];
        if (b->owner == JL_BLOCK_HEAP) n += b->cap > b->len ? b->cap : b->len;
        else if (b->owner == JL_BLOCK_SHARED) n += b->len;
        /* JL_BLOCK_MMAP: page cache; JL_BLOCK_BORROWED: not ours; JL_BLOCK_LAZY:
         * nothing until read (what is read goes to heap or shared blocks) */
    }
    /* a stream read as it inflated: where its payloads lie, and the checkpoints */
    n += doc->cap_lazy_spans * sizeof *doc->lazy_spans + doc->cap_lazy_ranges * 2 * sizeof(uint64_t);
    n += jl_seek_index_bytes(doc->lazy_index);
    return n;
}

/* ---- the list ---------------------------------------------------------------- */

static void unlink_entry(jl_doc_cache *c, jl_cache_entry *en) {
    if (!en->linked) return;
    if (en->prev) en->prev->next = en->next;
    else c->head = en->next;
    if (en->next) en->next->prev = en->prev;
    else c->tail = en->prev;
    en->prev = en->next = NULL;
    en->linked = 0;
    c->bytes -= en->bytes;
    c->ndocs--;
}

static void push_front(jl_doc_cache *c, jl_cache_entry *en) {
    en->prev = NULL;
    en->next = c->head;
    if (c->head) c->head->prev = en;
    else c->tail = en;
    c->head = en;
    en->linked = 1;
    c->bytes += en->bytes;
    c->ndocs++;
}

static void free_entry(jl_cache_entry *en) {
    jl_doc_free(en->doc);
    sqlite3_free(en->path);
    sqlite3_free(en);
}

/* Takes an entry out of the cache: freed now when unused, else at its
 * last release. */
static void drop(jl_doc_cache *c, jl_cache_entry *en) {
    unlink_entry(c, en);
    if (en->refs == 0) free_entry(en);
}

/* Evicts least recently used entries not in use until the cache fits. */
static void fit(jl_doc_cache *c) {
    jl_cache_entry *en = c->tail;
    while (en && (c->bytes > c->max_bytes || c->ndocs > JL_CACHE_MAX_DOCS)) {
        jl_cache_entry *prev = en->prev;
        if (en->refs == 0) {
            drop(c, en);
            c->evictions++;
        }
        en = prev;
    }
}

void jl_doc_cache_free(jl_doc_cache *c) {
    while (c->head) {
        jl_cache_entry *en = c->head;
        unlink_entry(c, en);
        free_entry(en);
    }
}

void jl_doc_cache_clear(jl_doc_cache *c) {
    while (c->head) drop(c, c->head);
}

/* 0 turns the cache off: every entry leaves it, those in use (a table
 * holding its doc) at their last release. */
void jl_doc_cache_set_max(jl_doc_cache *c, uint64_t max) {
    c->max_bytes = max;
    if (max == 0) jl_doc_cache_clear(c);
    else fit(c);
}

void jl_doc_cache_stats(const jl_doc_cache *c, jl_buf *b) {
    jl_buf_printf(b,
                  "{\"cache_bytes\":%llu,\"bytes\":%llu,\"docs\":%llu,\"hits\":%llu,\"misses\":%llu,"
                  "\"evictions\":%llu,\"stale\":%llu}",
                  (unsigned long long)c->max_bytes, (unsigned long long)c->bytes,
                  (unsigned long long)c->ndocs, (unsigned long long)c->hits,
                  (unsigned long long)c->misses, (unsigned long long)c->evictions,
                  (unsigned long long)c->stale);
}

/* ---- using entries ------------------------------------------------------------- */

static jl_cache_entry *new_entry(jl_ext *e, jl_doc *doc) {
    jl_cache_entry *en = sqlite3_malloc64(sizeof *en);
    if (!en) {
        jl_doc_free(doc);
        return NULL;
    }
    memset(en, 0, sizeof *en);
    en->ext = e;
    en->doc = doc;
    en->refs = 1;
    jl_ext_ref(e); /* an entry in use keeps the connection's settings (and cache) alive */
    return en;
}

jl_cache_entry *jl_doc_cache_private(jl_ext *e, jl_doc *doc) { return new_entry(e, doc); }

static int same_key(const jl_cache_entry *en, const char *path, const struct stat *st) {
    return en->dev == (uint64_t)st->st_dev && en->ino == (uint64_t)st->st_ino &&
           en->size == (uint64_t)st->st_size &&
           en->mtime_ns == (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec &&
           en->ctime_ns == (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec &&
           strcmp(en->path, path) == 0;
}

static int acquire(jl_cache_entry *en, int hold, jl_cache_entry **out) {
    en->refs++;
    if (hold) en->held = 1;
    jl_ext_ref(en->ext);
    *out = en;
    return JL_OK;
}

int jl_doc_cache_open(jl_ext *e, const char *path, int hold, jl_cache_entry **out, jl_error *err) {
    jl_doc_cache *c = e->cache;
    jl_open_opts o = { jl_ext_alloc(), &e->limits };
    struct stat st;
    int keyed = c->max_bytes > 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
    *out = NULL;
    if (keyed) {
        for (jl_cache_entry *en = c->head; en; en = en->next) {
            if (strcmp(en->path, path) != 0) continue;
            if (!same_key(en, path, &st)) { /* rewritten or replaced: read afresh */
                drop(c, en);
                c->stale++;
                break;
            }
            if (hold && en->held) break; /* another cursor or table keeps marks on it */
            unlink_entry(c, en);         /* to the front */
            push_front(c, en);
            c->hits++;
            return acquire(en, hold, out);
        }
    }
    jl_doc *doc = NULL;
    int rc = jl_open_file(path, &o, &doc, err);
    if (rc != JL_OK) return rc;
    c->misses++;
    jl_cache_entry *en = new_entry(e, doc);
    if (!en) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory keeping the bundle");
    if (hold) en->held = 1;
    /* cached unless the cache is off, the file has sidecars, or a holder
     * already shares the cached copy (this one is then private) */
    int shared_copy = 0;
    for (jl_cache_entry *x = c->head; keyed && x; x = x->next)
        if (strcmp(x->path, path) == 0) shared_copy = 1;
    if (keyed && doc->nfiles <= 1 && !shared_copy) {
        size_t n = strlen(path) + 1;
        en->path = sqlite3_malloc64(n);
        if (en->path) {
            memcpy(en->path, path, n);
            en->dev = (uint64_t)st.st_dev;
            en->ino = (uint64_t)st.st_ino;
            en->size = (uint64_t)st.st_size;
            en->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
            en->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
            en->bytes = jl_doc_cache_bytes(doc);
            push_front(c, en);
            fit(c);
        }
    }
    *out = en;
    return JL_OK;
}

void jl_doc_cache_release(jl_cache_entry *en, int hold) {
    if (!en) return;
    jl_ext *e = en->ext;
    jl_doc_cache *c = e->cache;
    if (hold) en->held = 0;
    if (--en->refs == 0) {
        if (!en->linked) {
            free_entry(en);
        } else {
            /* lazily read data may have grown the doc while in use */
            uint64_t now = jl_doc_cache_bytes(en->doc);
            c->bytes = c->bytes - en->bytes + now;
            en->bytes = now;
            fit(c);
        }
    }
    jl_ext_unref(e); /* last: may free the cache with the settings */
}

void jl_doc_cache_release_aux(void *en) { jl_doc_cache_release(en, 0); }
