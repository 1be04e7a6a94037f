/*
 * testutil.h - small helpers shared by the cmocka unit tests: reading
 * files, finding the upstream corpus, and an allocator that fails after N
 * allocations (to prove every error path frees what it took). No SQLite:
 * the codec tests link only joblib_codec (ext tests add sqltest.h).
 */
#ifndef JL_TESTUTIL_H
#define JL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base.h"
#include "shared.h"

/* Reads a whole file into malloc'd memory (*len set); NULL if it cannot. */
uint8_t *jl_test_read_file(const char *path, uint64_t *len);

/* The corpus directory from $JL_CORPUS_DIR (or ../shared/corpus/joblib-upstream
 * relative to the source tree); NULL when absent. */
const char *jl_test_corpus_dir(void);

/* Returns a path "dir/name" in a static buffer (overwritten per call). */
const char *jl_test_path(const char *dir, const char *name);

/* An allocator that counts live allocations and fails every call after
 * `fail_after` successful ones (-1 = never); with `once` set, only the
 * first of those fails (fail_after becomes -1) and the rest succeed. */
typedef struct jl_test_alloc {
    jl_alloc alloc;      /* pass &t.alloc to the codec */
    long fail_after;
    long calls;
    long live;           /* allocations not yet freed */
    int once;
} jl_test_alloc;

void jl_test_alloc_init(jl_test_alloc *t, long fail_after);

/* 1 when this system has shared blocks (mremap, core/shared.h). */
int jl_test_have_shared(void);

/* n malloc'd bytes that deflate well but not trivially (runs of a slow
 * counter, `seed` mixed in every 7th byte). */
uint8_t *jl_test_pattern(uint64_t n, unsigned seed);

/* n malloc'd bytes of text runs and noise (a third random): compress
 * into many small deflate blocks and a few times less with xz. */
uint8_t *jl_test_text_noise(uint64_t n, uint32_t seed);

/* The pieces a jl_emit_fn (container.h) is handed, appended: p is
 * malloc'd (the test frees it); the first 512 sizes kept in order. */
typedef struct jl_test_sink {
    uint8_t *p;
    uint64_t len, cap, pieces;
    uint64_t short_pieces; /* pieces shorter than JL_LAZY_CHUNK */
    uint64_t sizes[512];
    uint64_t fail_at; /* nonzero: the fail_at-th piece is refused (JL_E_IO) */
} jl_test_sink;

int jl_test_collect(void *ctx, const uint8_t *p, uint64_t n, jl_error *err);

/* An index's read of bytes [off, off+len) of the stream z[0..zn) holds. */
typedef int (*jl_test_read_fn)(const void *ix, const uint8_t *z, uint64_t zn, uint64_t off, uint8_t *dst,
                               uint64_t len, jl_error *err);

/* `count` reads through `read` at seeded offsets and lengths (every 4th
 * up to `big` bytes, the others up to 4096), then the first byte and the
 * last: each must succeed with the bytes of raw[0..n). */
void jl_test_random_reads(jl_test_read_fn read, const void *ix, const uint8_t *z, uint64_t zn, const uint8_t *raw,
                          uint64_t n, int count, uint64_t big);

#ifdef HAVE_LZMA
/* raw[0..n) as one xz stream of `block`-byte Blocks by liblzma's
 * multi-threaded encoder (2 threads, preset 1, CRC64: what `xz -T2
 * --block-size=...` writes, sizes in every Block header); malloc'd. */
uint8_t *jl_test_xz_blocks(const uint8_t *raw, uint64_t n, uint64_t block, uint64_t *zn);
#endif
/* Writes n bytes to path (fails the test when it cannot). */
void jl_test_write_file(const char *path, const void *p, uint64_t n);

/* Node root of a doc written as a bundle file twice (protocol 4), plain
 * and compressed with c (a jl_compression) at level 1, to
 * /tmp/jl-<tag>-<pid>-...pkl, and both opened with limits lim (NULL: the defaults):
 * fails the test on error. jl_test_pair_close frees the docs (either may
 * have been freed and set NULL), the plain bytes and the files. */
struct jl_doc; /* value.h, not included here: test_container_nolibs.c renames container.h's names */
typedef struct jl_test_pair {
    char path[64], ppath[64]; /* the compressed file, the plain one */
    uint8_t *plain;           /* the plain bytes (the source doc's allocator) */
    uint64_t pn;
    struct jl_doc *ref, *d;   /* opened from ppath and path */
} jl_test_pair;
void jl_test_pair_open(jl_test_pair *p, struct jl_doc *src, uint32_t root, int c, const char *tag,
                       const jl_limits *lim);
void jl_test_pair_close(jl_test_pair *p, struct jl_doc *src);

#endif
