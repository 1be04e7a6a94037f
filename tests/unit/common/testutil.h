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

/* A jl_emit_fn consumer (container.h) for tests: appends every piece
 * (p: malloc'd, the test frees it) and counts them. */
typedef struct jl_test_sink {
    uint8_t *p;
    uint64_t len, cap, pieces, short_pieces; /* short: not JL_LAZY_CHUNK bytes */
} jl_test_sink;
int jl_test_collect(void *ctx, const uint8_t *p, uint64_t n, jl_error *err);

#ifdef HAVE_LZMA
/* raw[0..n) as one xz stream of `block`-byte Blocks by liblzma's
 * multi-threaded encoder (2 threads, preset 1, CRC64: what `xz -T2
 * --block-size=...` writes, sizes in every Block header); malloc'd. */
uint8_t *jl_test_xz_blocks(const uint8_t *raw, uint64_t n, uint64_t block, uint64_t *zn);
#endif

#endif
