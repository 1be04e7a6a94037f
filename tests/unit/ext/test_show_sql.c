/*
 * test_show_sql.c - joblib_show and joblib_version through a real
 * connection: values, NULLs, error messages and function flags (the text
 * itself is tested in tests/unit/codec/test_show.c).
 */
#include "sqltest.h"

#include "seed_bytes.h"
#include "seed_show.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- through SQL ----------------------------------------------------------------------------- */

static sqlite3 *db;

static int setup(void **state) {
    (void)state;
    char *err = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return -1;
    int rc = sqlite3_joblib_init(db, &err, NULL);
    if (rc != SQLITE_OK) fprintf(stderr, "init: %s\n", err ? err : "?");
    sqlite3_free(err);
    return rc == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    sqlite3_close(db);
    db = NULL;
    return 0;
}

/* The first column of the first row: "text:...", "int:N", "null", or
 * "error:message" (sqlite3_malloc'd). ?1 is bound to the blob when given. */
static char *run(const char *sql, const void *blob, int n) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return sqlite3_mprintf("error:%s", sqlite3_errmsg(db));
    if (blob) sqlite3_bind_blob(st, 1, blob, n, SQLITE_STATIC);
    char *out;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        switch (sqlite3_column_type(st, 0)) {
        case SQLITE_NULL: out = sqlite3_mprintf("null"); break;
        case SQLITE_INTEGER: out = sqlite3_mprintf("int:%lld", sqlite3_column_int64(st, 0)); break;
        case SQLITE_TEXT: out = sqlite3_mprintf("text:%s", sqlite3_column_text(st, 0)); break;
        default: out = sqlite3_mprintf("type:%d", sqlite3_column_type(st, 0)); break;
        }
    } else {
        out = sqlite3_mprintf("error:%s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return out;
}

static void expect_at(const char *sql, const void *blob, int n, const char *want, int line) {
    char *got = run(sql, blob, n);
    if (strcmp(got, want) != 0) fail_msg("line %d: %s\n  got:  %s\n  want: %s", line, sql, got, want);
    sqlite3_free(got);
}
#define EXPECT(sql, want) expect_at(sql, seed_p4, (int)sizeof seed_p4, want, __LINE__)
#define EXPECT0(sql, want) expect_at(sql, NULL, 0, want, __LINE__)

static void test_sql_show(void **state) {
    (void)state;
    char want[2048];
    snprintf(want, sizeof want, "text:%s", SEED_TEXT);
    EXPECT("SELECT joblib_show(?1)", want);
    EXPECT("SELECT joblib_show(?1, '$')", want);
    EXPECT("SELECT joblib_show(?1, '$', 1)", "text:$: list len=2\n├── [0]: tuple len=2\n└── [1]: tuple len=2");
    EXPECT("SELECT joblib_show(?1, '$', 0)", "text:$: list len=2");
    EXPECT("SELECT joblib_show(?1, '$[1][#-1]')", "text:$[1][#-1]: ndarray <i8 (10,) = [0, 1, 2, …, 7, 8, 9]");
    /* the path as written heads the text; fullkeys below it extend it */
    EXPECT("SELECT joblib_show(?1, '$[0]')",
           "text:$[0]: tuple len=2\n├── [0]: str = 'a'\n└── [1]: list len=3\n"
           "    ├── [0]: int = 1\n    ├── [1]: int = 2\n    └── [2]: int = 3");
    /* plain text, not JSON */
    EXPECT("SELECT json_quote(joblib_show(?1, '$[0][0]'))", "text:\"$[0][0]: str = 'a'\"");
    /* NULL in, NULL out; a path that selects nothing */
    EXPECT("SELECT joblib_show(?1, '$[7]')", "null");
    EXPECT0("SELECT joblib_show(NULL)", "null");
    EXPECT("SELECT joblib_show(?1, NULL)", "null");
    EXPECT("SELECT joblib_show(?1, '$', NULL)", "null");
    /* a file path src gives the same text */
    char path[] = "/tmp/jl_test_show_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, seed_p2, sizeof seed_p2), (ssize_t)sizeof seed_p2);
    close(fd);
    char *sql = sqlite3_mprintf("SELECT joblib_show(%Q)", path);
    EXPECT0(sql, want);
    sqlite3_free(sql);
    unlink(path);
}

static void test_sql_errors(void **state) {
    (void)state;
    EXPECT("SELECT joblib_show(?1, 5)",
           "error:joblib: joblib_show(): argument 2 (path) must be TEXT such as '$.a[0]', not INTEGER");
    EXPECT("SELECT joblib_show(?1, '$', 'x')",
           "error:joblib: joblib_show(): argument 3 (depth) must be an INTEGER >= 0, not TEXT");
    EXPECT("SELECT joblib_show(?1, '$', 1.5)",
           "error:joblib: joblib_show(): argument 3 (depth) must be an INTEGER >= 0, not REAL");
    EXPECT("SELECT joblib_show(?1, '$', -1)",
           "error:joblib: joblib_show(): argument 3 (depth) must be an INTEGER >= 0, not -1");
    EXPECT0("SELECT joblib_show(1)",
            "error:joblib: joblib_show(): argument 1 (src) must be a file path (TEXT) or the bytes of a "
            "bundle (BLOB), not INTEGER");
    char *got = run("SELECT joblib_show(?1, '$[')", seed_p4, (int)sizeof seed_p4);
    assert_true(strncmp(got, "error:joblib: ", 14) == 0);
    assert_non_null(strstr(got, "path $["));
    sqlite3_free(got);
    got = run("SELECT joblib_show(x'00')", NULL, 0);
    assert_true(strncmp(got, "error:joblib: ", 14) == 0);
    sqlite3_free(got);
    got = run("SELECT joblib_show('/nonexistent/model.pkl')", NULL, 0);
    assert_true(strncmp(got, "error:joblib: ", 14) == 0);
    assert_non_null(strstr(got, "/nonexistent/model.pkl"));
    sqlite3_free(got);
}

static void test_sql_version(void **state) {
    (void)state;
    EXPECT0("SELECT json_type(joblib_version())", "text:object");
    EXPECT0("SELECT json_extract(joblib_version(), '$.version') GLOB '[0-9]*.[0-9]*.[0-9]*'", "int:1");
    EXPECT0("SELECT json_extract(joblib_version(), '$.sqlite') = sqlite_version()", "int:1");
    /* zlib, gzip and zf are always built; the others when their library was found */
    EXPECT0("SELECT count(*) FROM json_each(joblib_version(), '$.compressors') "
            "WHERE value IN ('zlib','gzip','zf')", "int:3");
    EXPECT0("SELECT count(*) FROM json_each(joblib_version(), '$.compressors') "
            "WHERE value NOT IN ('zlib','gzip','bz2','lzma','xz','lz4','zf')", "int:0");
    /* JSON subtype: nests as an object, not a string */
    EXPECT0("SELECT json_type(json_array(joblib_version()), '$[0]')", "text:object");
}

static void test_sql_flags(void **state) {
    (void)state;
    /* joblib_show reads files: neither DETERMINISTIC (0x800), DIRECTONLY
     * (0x80000) nor INNOCUOUS (0x200000); joblib_version is pure */
    EXPECT0("SELECT group_concat(narg || ':' || (flags & 0x280800), ' ') FROM "
            "(SELECT * FROM pragma_function_list WHERE name = 'joblib_show' ORDER BY narg)",
            "text:1:0 2:0 3:0");
    EXPECT0("SELECT group_concat(narg || ':' || (flags & 0x280800), ' ') FROM "
            "pragma_function_list WHERE name = 'joblib_version'",
            "text:0:2099200");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sql_show),    cmocka_unit_test(test_sql_errors),
        cmocka_unit_test(test_sql_version), cmocka_unit_test(test_sql_flags),
    };
    return cmocka_run_group_tests_name("show_sql", tests, setup, teardown);
}
