/*
 * test_doc_cache.c - the cache of opened files across statements
 * (ext/doc_cache.c) through a real connection, for the sanitizers and
 * valgrind: every way an entry is taken and let go (scalar calls, cursors
 * holding it, a second cursor's private copy, a table, a stale entry still
 * in use, eviction, cache_bytes 0, a change of limits) and a connection
 * closed with docs still cached, which must free them all. The counters
 * are checked through joblib_config('cache_stats'); tests/interop/
 * test_doc_cache.py checks the rest with real joblib files.
 */
#include "sqltest.h"

#include <stdio.h>
#include <stdlib.h> /* mkdtemp */
#include <string.h>
#include <unistd.h>

static char dir[64];

static char *file_in(const char *name) {
    static char buf[2][128];
    static int i;
    i ^= 1;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

static sqlite3 *open_db(void) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_joblib_init(db, NULL, NULL), SQLITE_OK);
    return db;
}

/* Runs sql (%Q-formatted with f) and compares the rows with want. */
static void expect_rows(sqlite3 *db, const char *fmt, const char *f, const char *want) {
    char *sql = sqlite3_mprintf(fmt, f, f);
    char *got = jl_test_query(db, sql, NULL, 0);
    assert_string_equal(got, want);
    sqlite3_free(got);
    sqlite3_free(sql);
}

/* Writes {'v': v, 'a': {'value': [0.0, 1.0, 2.0]}} compressed with zlib to f. */
static void dump(sqlite3 *db, const char *f, int v) {
    char *sql = sqlite3_mprintf("SELECT joblib_dump(joblib_dict('v', %d, 'a', joblib_dict('value', joblib_list(0.0, 1.0, 2.0))), %Q, 3)",
                                v, f);
    char *got = jl_test_query(db, sql, NULL, 0);
    assert_true(strncmp(got, "error:", 6) != 0);
    sqlite3_free(got);
    sqlite3_free(sql);
}

static void test_hits_and_stale(void **state) {
    (void)state;
    sqlite3 *db = open_db();
    const char *f = file_in("a.pkl");
    dump(db, f, 7);
    expect_rows(db, "SELECT joblib_load(%Q, '$.v')", f, "int:7");
    expect_rows(db, "SELECT joblib_load(%Q, '$.v')", f, "int:7");
    expect_rows(db, "SELECT json_extract(joblib_config('cache_stats'), '$.hits', '$.misses', '$.docs')", f,
                "text:[1,1,1]");
    /* rewritten: a new inode (joblib_dump renames), read afresh */
    dump(db, f, 8);
    expect_rows(db, "SELECT joblib_load(%Q, '$.v')", f, "int:8");
    expect_rows(db, "SELECT json_extract(joblib_config('cache_stats'), '$.misses', '$.stale')", f, "text:[2,1]");
    /* the connection closes with the doc cached */
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_holders(void **state) {
    (void)state;
    sqlite3 *db = open_db();
    const char *f = file_in("b.pkl");
    dump(db, f, 1);
    /* two cursors: the first holds the cached doc, the second a private one;
     * a scalar call per row shares the cached one */
    char *sql = sqlite3_mprintf("SELECT count(*), sum(joblib_load(%Q, '$.v')) FROM joblib_tree(%Q) x, "
                                "joblib_tree(%Q) y", f, f, f);
    char *got = jl_test_query(db, sql, NULL, 0);
    assert_string_equal(got, "int:49|int:49");
    sqlite3_free(got);
    sqlite3_free(sql);
    /* a table holds the doc for its life; the file is replaced under it */
    sql = sqlite3_mprintf("CREATE VIRTUAL TABLE temp.t USING joblib(%Q, '$.a')", f);
    got = jl_test_query(db, sql, NULL, 0);
    assert_string_equal(got, "");
    sqlite3_free(got);
    sqlite3_free(sql);
    dump(db, f, 2);
    expect_rows(db, "SELECT joblib_load(%Q, '$.v')", f, "int:2");
    got = jl_test_query(db, "SELECT sum(value) FROM temp.t", NULL, 0);
    assert_string_equal(got, "real:3.0");
    sqlite3_free(got);
    /* in use while the cache is emptied: freed at the last release */
    expect_rows(db, "SELECT count(joblib_config('cache_bytes', 0)) FROM joblib_each(%Q)", f, "int:2");
    expect_rows(db, "SELECT json_extract(joblib_config('cache_stats'), '$.docs', '$.bytes')", f, "text:[0,0]");
    got = jl_test_query(db, "DROP TABLE temp.t", NULL, 0);
    sqlite3_free(got);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_eviction_and_limits(void **state) {
    (void)state;
    sqlite3 *db = open_db();
    char *g = sqlite3_mprintf("%s", file_in("c.pkl"));
    const char *f = file_in("d.pkl");
    dump(db, f, 3);
    dump(db, g, 4);
    char *got = jl_test_query(db, "SELECT joblib_config('cache_bytes', 1)", NULL, 0);
    sqlite3_free(got);
    expect_rows(db, "SELECT joblib_load(%Q, '$.v')", f, "int:3");
    expect_rows(db, "SELECT joblib_load(%Q, '$.v')", g, "int:4");
    expect_rows(db, "SELECT json_extract(joblib_config('cache_stats'), '$.docs', '$.evictions')", f, "text:[0,2]");
    got = jl_test_query(db, "SELECT joblib_config('cache_bytes', 1000000)", NULL, 0);
    sqlite3_free(got);
    expect_rows(db, "SELECT joblib_load(%Q, '$.v') + joblib_load(%Q, '$.v')", f, "int:6");
    expect_rows(db, "SELECT joblib_load(%Q, '$.v')", g, "int:4");
    /* a new limit drops both */
    got = jl_test_query(db, "SELECT joblib_config('max_nodes', 1000)", NULL, 0);
    sqlite3_free(got);
    expect_rows(db, "SELECT json_extract(joblib_config('cache_stats'), '$.docs')", f, "int:0");
    expect_rows(db, "SELECT joblib_load(%Q, '$.v')", g, "int:4");
    sqlite3_free(g);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/jl-cache-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hits_and_stale),
        cmocka_unit_test(test_holders),
        cmocka_unit_test(test_eviction_and_limits),
    };
    int failed = cmocka_run_group_tests_name("doc_cache", tests, NULL, NULL);
    const char *names[] = { "a.pkl", "b.pkl", "c.pkl", "d.pkl" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unlink(file_in(names[i]));
    rmdir(dir);
    return failed;
}
