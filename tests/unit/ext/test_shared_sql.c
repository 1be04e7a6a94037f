/*
 * test_shared_sql.c - what SQL gets from shared blocks (core/shared.h):
 * big arrays read from a zlib bundle, whose BLOBs point into the block
 * and stay valid after the doc is freed; and the bundle BLOBs the write
 * functions return from buffers in such blocks (joblib_extract,
 * joblib_ndarray, joblib_dumps of a 12 MiB array): exact bytes, usable
 * after the statement that made them ends, no block left alive once
 * SQLite drops the values.
 */
#define SQLITE_CORE 1 /* ext.h's sqlite3_* calls go straight to the linked SQLite */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqltest.h"

#include "container.h"
#include "decode.h"
#include "ext.h"
#include "shared.h"

#define MiB ((uint64_t)1 << 20)

/* ---- big arrays through SQL ---------------------------------------------- */

static sqlite3 *db;
static char dir[64];
static uint8_t *arr_a;          /* the array's bytes (float64, native order) */
static const uint64_t arr_n = 9 * MiB;

static const char *file_in(const char *name) {
    static char buf[2][128];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s/%s", dir, name);
    return buf[which];
}

/* Opens a bundle by path, sets its root as the result and frees the doc
 * at once, before SQLite has read the value. */
static void load_then_free(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    jl_open_opts o = { jl_ext_alloc(), NULL };
    jl_doc *doc = NULL;
    jl_error err;
    if (jl_open_file((const char *)sqlite3_value_text(argv[0]), &o, &doc, &err) != JL_OK ||
        jl_ext_result_node(ctx, doc, doc->root, &err) != JL_OK)
        sqlite3_result_error(ctx, err.message, -1);
    jl_doc_free(doc);
}

static int setup_sql(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/jl-shared-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return -1;
    if (sqlite3_joblib_init(db, NULL, NULL) != SQLITE_OK) return -1;
    /* the references these tests count are those of one statement: the
     * cache across statements is off (tests/interop/test_doc_cache.py) */
    if (sqlite3_exec(db, "SELECT joblib_config('cache_bytes', 0)", NULL, NULL, NULL) != SQLITE_OK) return -1;
    if (sqlite3_create_function(db, "load_then_free", 1, SQLITE_UTF8, NULL, load_then_free, NULL,
                                NULL) != SQLITE_OK)
        return -1;
    arr_a = jl_test_pattern(arr_n, 11);
    /* the same array as a zlib bundle (compress=3), and a small one */
    char *sql = sqlite3_mprintf("SELECT joblib_dump(joblib_ndarray(?1, '<f8'), %Q, 3), "
                                "joblib_dump(joblib_ndarray(x'0000000000000000', '<f8'), %Q, 3)",
                                file_in("a.pkl.z"), file_in("b.pkl.z"));
    char *r = jl_test_query(db, sql, arr_a, (int)arr_n);
    int ok = strncmp(r, "error:", 6) != 0;
    if (!ok) fprintf(stderr, "%s\n", r);
    sqlite3_free(r);
    sqlite3_free(sql);
    return ok ? 0 : -1;
}

static int teardown_sql(void **state) {
    (void)state;
    unlink(file_in("a.pkl.z"));
    unlink(file_in("b.pkl.z"));
    rmdir(dir);
    sqlite3_close(db);
    free(arr_a);
    return 0;
}

/* Steps `sql` (?1 = a.pkl.z, ?2 = b.pkl.z) to its first row. */
static sqlite3_stmt *first_row(const char *sql) {
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, file_in("a.pkl.z"), -1, SQLITE_TRANSIENT);
    if (sqlite3_bind_parameter_count(st) > 1)
        sqlite3_bind_text(st, 2, file_in("b.pkl.z"), -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    return st;
}

static void expect_array(sqlite3_stmt *st, int col) {
    assert_int_equal(sqlite3_column_type(st, col), SQLITE_BLOB);
    assert_int_equal(sqlite3_column_bytes(st, col), (int)arr_n);
    assert_memory_equal(sqlite3_column_blob(st, col), arr_a, arr_n);
}

/* Through joblib_load: the BLOB is a pointer into the cached doc's block
 * (one block, two references) and equals the source bytes. */
static void test_sql_load(void **state) {
    (void)state;
    uint64_t live = jl_shared_live();
    sqlite3_stmt *st = first_row("SELECT joblib_load(?1)");
    expect_array(st, 0);
    const void *p = sqlite3_column_blob(st, 0);
    if (jl_test_have_shared()) {
        assert_non_null(jl_shared_find(p));
        /* the array's block (the stream's two checkpoints stay on the heap: codec/core/arena.h) */
        assert_int_equal(jl_shared_live(), live + 1);
        assert_int_equal(jl_shared_refs(jl_shared_find(p)), 2); /* the cached doc and the result */
    }
    sqlite3_finalize(st);
    assert_int_equal(jl_shared_live(), live);

    /* several results from one cached doc, and a second bundle beside them */
    st = first_row("SELECT joblib_load(?1), joblib_load(?1, '$'), length(joblib_load(?2)), "
                   "joblib_load(?1) = joblib_load(?1, '$')");
    expect_array(st, 0);
    expect_array(st, 1);
    assert_int_equal(sqlite3_column_int(st, 2), 8);
    assert_int_equal(sqlite3_column_int(st, 3), 1);
    sqlite3_finalize(st);
    assert_int_equal(jl_shared_live(), live);
}

/* The doc is freed before SQLite reads the value: the result alone keeps
 * the block alive, and its destructor releases it. */
static void test_sql_after_doc_freed(void **state) {
    (void)state;
    uint64_t live = jl_shared_live();
    sqlite3_stmt *st = first_row("SELECT load_then_free(?1), load_then_free(?1)");
    expect_array(st, 0);
    expect_array(st, 1);
    const void *p0 = sqlite3_column_blob(st, 0), *p1 = sqlite3_column_blob(st, 1);
    if (jl_test_have_shared()) {
        assert_non_null(jl_shared_find(p0));
        assert_int_equal(jl_shared_live(), live + 2); /* two docs, one block each */
        assert_int_equal(jl_shared_refs(jl_shared_find(p0)), 1);
        assert_int_equal(jl_shared_refs(jl_shared_find(p1)), 1);
    }
    /* the row's values survive a second statement that opens another bundle */
    char *sql = sqlite3_mprintf("SELECT length(joblib_load(%Q))", file_in("b.pkl.z"));
    char *r = jl_test_query(db, sql, NULL, 0);
    assert_string_equal(r, "int:8");
    sqlite3_free(r);
    sqlite3_free(sql);
    expect_array(st, 0);
    sqlite3_finalize(st);
    assert_int_equal(jl_shared_live(), live);
}

/* ---- bundle BLOBs ------------------------------------------------------------------ */

static void test_big_bundle_results(void **state) {
    (void)state;
    if (!jl_test_have_shared()) skip();
    sqlite3 *conn;
    assert_int_equal(sqlite3_open(":memory:", &conn), SQLITE_OK);
    assert_int_equal(sqlite3_joblib_init(conn, NULL, NULL), SQLITE_OK);
    uint64_t live = jl_shared_live();
    uint64_t n = 12 * MiB;
    uint8_t *a = malloc((size_t)n);
    assert_non_null(a);
    for (uint64_t i = 0; i < n; i++) a[i] = (uint8_t)(i * 7 + (i >> 12));
    /* kept in a table: SQLite copies the values, so the blocks go at once */
    char *r = jl_test_query(conn,
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
    assert_int_equal(sqlite3_prepare_v2(conn, "SELECT joblib_load(joblib(b)), length(b) FROM t", -1, &st, NULL),
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
    assert_int_equal(sqlite3_prepare_v2(conn, "SELECT joblib_extract(b, '$') FROM t LIMIT 1", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const uint8_t *got = sqlite3_column_blob(st, 0);
    assert_non_null(jl_shared_find(got));
    assert_int_equal(jl_shared_live(), live + 1);
    sqlite3_finalize(st);
    assert_int_equal(jl_shared_live(), live);
    sqlite3_close(conn);
    free(a);
}

int main(void) {
    const struct CMUnitTest big_tests[] = {
        cmocka_unit_test(test_big_bundle_results),
    };
    const struct CMUnitTest sql_tests[] = {
        cmocka_unit_test(test_sql_load),
        cmocka_unit_test(test_sql_after_doc_freed),
    };
    int failed = cmocka_run_group_tests_name("shared_sql", sql_tests, setup_sql, teardown_sql);
    failed += cmocka_run_group_tests_name("bundle_blobs", big_tests, NULL, NULL);
    return failed;
}
