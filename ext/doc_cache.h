/*
 * doc_cache.h - the per-connection cache of opened bundle files across
 * statements (README "The cache of opened files"): a bounded LRU list of
 * jl_doc objects keyed by the path and the file's device, inode, size,
 * modification and change times (nanoseconds), so that a file rewritten or
 * replaced on disk is read afresh. Each doc is counted by the memory it
 * holds (doc_cache.c, jl_doc_cache_bytes); docs in use (refs > 0) are never
 * freed by eviction.
 *
 * Users:
 *  - scalar functions (jl_ext_begin / jl_ext_end, source_open.c) hold an
 *    entry for one statement execution through sqlite3_set_auxdata;
 *  - joblib_each / joblib_tree cursors and joblib tables hold one for their
 *    life with `hold` set: they keep nodes appended past a mark of their
 *    own and roll back to it, so at most one of them shares a doc at a
 *    time (a second gets a private doc, freed at its release). Scalar calls
 *    roll back what they append within the call, so they share with anyone.
 *
 * BLOB sources are not cached (keying them would mean hashing every byte):
 * they get private entries, as do bundles with sidecar files (a sidecar may
 * change without the main file changing) and any file when cache_bytes is 0.
 *
 * Not thread-safe by itself: SQLite calls the functions of one connection
 * one at a time (the connection's mutex, or the application's promise in
 * multi-thread mode).
 */
#ifndef JL_DOC_CACHE_H
#define JL_DOC_CACHE_H

#include "ext.h"

/* Default of joblib_config('cache_bytes') (README says why). */
#ifndef JL_DEFAULT_CACHE_BYTES
#define JL_DEFAULT_CACHE_BYTES ((uint64_t)256 << 20)
#endif
/* At most this many docs are kept, whatever their size: each cached
 * uncompressed file of JL_BLOCK_FD_MIN or more keeps a descriptor and a
 * mapping open. */
#define JL_CACHE_MAX_DOCS 64

typedef struct jl_cache_entry jl_cache_entry;

/* One doc in use or cached. Owned by the cache while linked; a private or
 * dropped entry (`linked` 0) is freed at its last release. */
struct jl_cache_entry {
    jl_cache_entry *prev, *next; /* LRU list, most recent first (linked entries) */
    struct jl_ext *ext;          /* the connection's settings (holds the cache) */
    char *path;                  /* sqlite3_malloc'd; NULL for a private entry */
    uint64_t dev, ino, size;
    int64_t mtime_ns, ctime_ns;
    jl_doc *doc;                 /* owned: jl_doc_free when the entry goes */
    uint64_t bytes;              /* as counted at the last release */
    int refs;                    /* users now */
    int held;                    /* 1 while a cursor or table holds it (hold) */
    int linked;                  /* 1 while in the cache's list */
};

typedef struct jl_doc_cache {
    jl_cache_entry *head, *tail; /* most / least recently used */
    uint64_t max_bytes;          /* joblib_config('cache_bytes'); 0 = off */
    uint64_t bytes, ndocs;       /* what the linked entries count */
    uint64_t hits, misses, evictions, stale; /* joblib_config('cache_stats') */
} jl_doc_cache;

void jl_doc_cache_init(jl_doc_cache *c);
/* Frees every linked entry (the connection is closing: none is in use). */
void jl_doc_cache_free(jl_doc_cache *c);

/* The entry for file `path`, with one more reference (and held when
 * `hold`): cached when its key still matches, else opened with e's limits
 * and cached when allowed. Returns JL_OK or the open error. */
int jl_doc_cache_open(struct jl_ext *e, const char *path, int hold, jl_cache_entry **out, jl_error *err);
/* A private entry owning `doc` (a BLOB source), refs 1. NULL on OOM (the
 * doc is freed then). */
jl_cache_entry *jl_doc_cache_private(struct jl_ext *e, jl_doc *doc);
/* Drops one reference (and the hold when `hold`): recounts the doc's bytes
 * (lazily read data may have grown it) and evicts least recently used
 * entries not in use until the cache fits. */
void jl_doc_cache_release(jl_cache_entry *en, int hold);
/* The same as a destructor for sqlite3_set_auxdata (not held). */
void jl_doc_cache_release_aux(void *en);

/* Sets cache_bytes and evicts to fit (0 empties the cache). */
void jl_doc_cache_set_max(jl_doc_cache *c, uint64_t max);
/* Drops every entry: those in use are freed at their last release. For a
 * change of limits (docs were opened under the old ones). */
void jl_doc_cache_clear(jl_doc_cache *c);
/* {"cache_bytes":..,"bytes":..,"docs":..,"hits":..,"misses":..,
 *  "evictions":..,"stale":..} appended to b. */
void jl_doc_cache_stats(const jl_doc_cache *c, jl_buf *b);

/* The memory a doc holds, as the cache counts it: its tables at their
 * capacity, heap blocks at their capacity, shared blocks (decompressed
 * streams) at their length; mapped files count nothing (their pages are
 * the kernel's page cache, dropped under pressure and shared). */
uint64_t jl_doc_cache_bytes(const jl_doc *doc);

#endif
