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

#endif
