/*
 * test_shared_buf.c - byte buffers (jl_buf) that move to a shared block
 * past JL_SHARED_MIN when asked to (can_share): exact bytes across the
 * move and later growth, free and take releasing the block, a sink-backed
 * buffer never moving; and the bundle BLOBs the write functions return
 * from such buffers (joblib_extract, joblib_ndarray, joblib_dumps of a
 * 12 MiB array): exact bytes, usable after the statement that made them
 * ends, no block left alive once SQLite drops the values.
 */
#define SQLITE_CORE 1 /* ext.h's sqlite3_* calls go straight to the linked SQLite */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "ext.h"
#include "shared.h"

int sqlite3_joblib_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#define MiB ((uint64_t)1 << 20)

/* 1 when this system has shared blocks (mremap). */
static int have_shared(void) {
    uint64_t got;
    uint8_t *p = jl_shared_new(1, &got);
    jl_shared_unref(p);
    return p != NULL;
}

/* Appends n bytes of a counter pattern starting at `from` in pieces of `step`. */
static void fill(jl_buf *b, uint64_t from, uint64_t n, uint64_t step) {
    uint8_t piece[4096];
    for (uint64_t done = 0; done < n; done += step) {
        uint64_t k = n - done < step ? n - done : step;
        for (uint64_t i = 0; i < k; i++) piece[i] = (uint8_t)((from + done + i) * 7 + ((from + done + i) >> 12));
        assert_int_equal(jl_buf_append(b, piece, k), JL_OK);
    }
}

static void expect_pattern(const uint8_t *p, uint64_t n) {
    for (uint64_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(i * 7 + (i >> 12))) fail_msg("byte %llu is %u", (unsigned long long)i, p[i]);
}

static void test_buf_moves_to_a_block(void **state) {
    (void)state;
    if (!have_shared()) skip();
    uint64_t live = jl_shared_live();
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    b.can_share = 1;
    fill(&b, 0, JL_SHARED_MIN - 4096, 4096);
    assert_int_equal(b.shared, 0); /* below the threshold: the allocator's */
    fill(&b, JL_SHARED_MIN - 4096, 3 * JL_SHARED_MIN, 4096);
    assert_int_equal(b.shared, 1);
    assert_int_equal(jl_shared_live(), live + 1);
    assert_int_equal(jl_shared_find(b.p + 5 * MiB), (const uint8_t *)b.p);
    assert_int_equal(b.len, 4 * JL_SHARED_MIN - 4096);
    assert_int_equal(b.p[b.len], 0); /* still NUL-terminated */
    expect_pattern((const uint8_t *)b.p, b.len);
    /* taken: the caller owns the block's reference */
    int shared = b.shared;
    uint64_t n = 0;
    uint8_t *p = (uint8_t *)jl_buf_take(&b, &n);
    assert_int_equal(shared, 1);
    assert_int_equal(n, 4 * JL_SHARED_MIN - 4096);
    expect_pattern(p, n);
    assert_int_equal(jl_shared_refs(p), 1);
    jl_buf_free(&b); /* empty after take: frees nothing */
    assert_int_equal(jl_shared_live(), live + 1);
    jl_shared_unref(p);
    assert_int_equal(jl_shared_live(), live);
    /* freed while shared */
    jl_buf_init(&b, NULL, 0);
    b.can_share = 1;
    fill(&b, 0, JL_SHARED_MIN + 1, 4096);
    assert_int_equal(b.shared, 1);
    jl_buf_free(&b);
    assert_int_equal(b.shared, 0);
    assert_int_equal(jl_shared_live(), live);
}

/* A sink that counts and checks the pattern of what it is given. */
static int count_sink(void *ctx, const void *p, uint64_t n) {
    uint64_t *taken = ctx;
    const uint8_t *q = p;
    for (uint64_t i = 0; i < n; i++)
        if (q[i] != (uint8_t)((*taken + i) * 7 + ((*taken + i) >> 12))) return 1;
    *taken += n;
    return 0;
}

static void test_buf_limits_and_opt_in(void **state) {
    (void)state;
    uint64_t live = jl_shared_live();
    /* without can_share a big buffer stays with its allocator */
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    fill(&b, 0, JL_SHARED_MIN + 4096, 4096);
    assert_int_equal(b.shared, 0);
    assert_int_equal(jl_shared_live(), live);
    expect_pattern((const uint8_t *)b.p, b.len);
    jl_buf_free(&b);
    /* max still bounds a shared buffer */
    jl_buf_init(&b, NULL, JL_SHARED_MIN + 100);
    b.can_share = 1;
    fill(&b, 0, JL_SHARED_MIN, 4096);
    uint8_t more[200] = { 0 };
    assert_int_equal(jl_buf_append(&b, more, sizeof more), JL_E_LIMIT);
    assert_int_equal(b.failed, JL_E_LIMIT);
    jl_buf_free(&b);
    assert_int_equal(jl_shared_live(), live);
    /* a buffer with a sink passes its bytes on and never moves to a block */
    uint64_t taken = 0;
    jl_buf_init(&b, NULL, 0);
    b.can_share = 1;
    b.sink = count_sink;
    b.sink_ctx = &taken;
    fill(&b, 0, 3 * JL_SHARED_MIN, 4096);
    assert_int_equal(jl_buf_flush(&b), JL_OK);
    assert_int_equal(b.shared, 0);
    assert_int_equal(taken, 3 * JL_SHARED_MIN);
    assert_int_equal(b.sunk, 3 * JL_SHARED_MIN);
    assert_true(b.cap <= 2 * JL_BUF_SINK_CHUNK);
    assert_int_equal(jl_shared_live(), live);
    jl_buf_free(&b);
}

/* ---- bundle BLOBs ------------------------------------------------------------------ */

static void test_big_bundle_results(void **state) {
    (void)state;
    if (!have_shared()) skip();
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_joblib_init(db, NULL, NULL), SQLITE_OK);
    uint64_t live = jl_shared_live();
    uint64_t n = 12 * MiB;
    uint8_t *a = malloc((size_t)n);
    assert_non_null(a);
    for (uint64_t i = 0; i < n; i++) a[i] = (uint8_t)(i * 7 + (i >> 12));
    /* kept in a table: SQLite copies the values, so the blocks go at once */
    char *r = jl_test_query(db,
                            "CREATE TABLE t(b BLOB);"
                            "INSERT INTO t SELECT joblib_ndarray(?1, '<f8');"
                            "INSERT INTO t SELECT joblib_extract(b, '$') FROM t;"
                            "INSERT INTO t SELECT joblib_dumps(joblib(b)) FROM t LIMIT 1;"
                            "SELECT count(*), count(DISTINCT b) FROM t",
                            a, (int)n);
    assert_string_equal(r, "int:3|int:1"); /* the same bundle bytes three ways */
    sqlite3_free(r);
    assert_int_equal(jl_shared_live(), live);
    /* the array read back from each is the input */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT joblib_load(joblib(b)), length(b) FROM t", -1, &st, NULL),
                     SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        assert_int_equal(sqlite3_column_bytes(st, 0), (int)n);
        assert_memory_equal(sqlite3_column_blob(st, 0), a, n);
        assert_true(sqlite3_column_int64(st, 1) > (sqlite3_int64)n);
    }
    assert_int_equal(rows, 3);
    sqlite3_finalize(st);
    /* a result held by a live statement is a block until the statement lets go */
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT joblib_extract(b, '$') FROM t LIMIT 1", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const uint8_t *got = sqlite3_column_blob(st, 0);
    assert_non_null(jl_shared_find(got));
    assert_int_equal(jl_shared_live(), live + 1);
    sqlite3_finalize(st);
    assert_int_equal(jl_shared_live(), live);
    sqlite3_close(db);
    free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_moves_to_a_block),
        cmocka_unit_test(test_buf_limits_and_opt_in),
        cmocka_unit_test(test_big_bundle_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
