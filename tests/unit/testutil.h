/*
 * testutil.h - small helpers shared by the cmocka unit tests: reading
 * files, finding the upstream corpus, and an allocator that fails after N
 * allocations (to prove every error path frees what it took).
 */
#ifndef JL_TESTUTIL_H
#define JL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "base.h"

/* Reads a whole file into malloc'd memory (*len set); NULL if it cannot. */
uint8_t *jl_test_read_file(const char *path, uint64_t *len);

/* The corpus directory from $JL_CORPUS_DIR (or ../shared/corpus/joblib-upstream
 * relative to the source tree); NULL when absent. */
const char *jl_test_corpus_dir(void);

/* Returns a path "dir/name" in a static buffer (overwritten per call). */
const char *jl_test_path(const char *dir, const char *name);

/* An allocator that counts live allocations and fails every call after
 * `fail_after` successful ones (-1 = never). */
typedef struct jl_test_alloc {
    jl_alloc alloc;      /* pass &t.alloc to the codec */
    long fail_after;
    long calls;
    long live;           /* allocations not yet freed */
} jl_test_alloc;

void jl_test_alloc_init(jl_test_alloc *t, long fail_after);

/* Runs every statement of sql on db (?1 bound to the BLOB blob[0..n) in
 * those that have parameters, when blob is not NULL) and returns the rows
 * of the last one: columns as "type:value" (null, int:7, real:1.5,
 * text:abc, blob:00FF) joined by '|', rows by '\n'; "error:<message>" on
 * the first failure. Free with sqlite3_free. */
char *jl_test_query(sqlite3 *db, const char *sql, const void *blob, int n);

#endif
