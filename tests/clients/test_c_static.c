/*
 * test_c_static.c - a C program that links SQLite and the static library
 * (joblib_static) and registers the extension with sqlite3_auto_extension,
 * as include/sqlite_joblib.h describes: every connection opened while the
 * auto-extension is registered has the joblib_* functions and modules; a
 * connection opened after sqlite3_cancel_auto_extension has none.
 * Prints each failed check; exits 0 when all pass.
 */
#include <sqlite3.h>

#include "sqlite_joblib.h"

#include <stdio.h>
#include <string.h>

#ifndef JL_EXPECT_VERSION
#error "JL_EXPECT_VERSION (the project version) must be defined by the build"
#endif

static int failures;

/* The first column of the first row of sql as text ("NULL" for NULL,
 * "error: msg" for an error), into out. */
static void query(sqlite3 *db, const char *sql, char *out, size_t cap) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(out, cap, "error: %s", sqlite3_errmsg(db));
        return;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", v ? (const char *)v : "NULL");
    } else if (rc == SQLITE_DONE) {
        snprintf(out, cap, "no row");
    } else {
        snprintf(out, cap, "error: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
}

static void expect(sqlite3 *db, const char *sql, const char *want, int line) {
    char got[4096];
    query(db, sql, got, sizeof got);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "line %d: %s\n  got:  %s\n  want: %s\n", line, sql, got, want);
        failures++;
    }
}
#define EXPECT(db, sql, want) expect(db, sql, want, __LINE__)

static sqlite3 *open_db(void) {
    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
        fprintf(stderr, "cannot open a database: %s\n", db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

int main(void) {
    if (sqlite3_auto_extension((void (*)(void))sqlite3_joblib_init) != SQLITE_OK) {
        fprintf(stderr, "sqlite3_auto_extension failed\n");
        return 1;
    }
    sqlite3 *a = open_db(), *b = open_db();
    if (!a || !b) return 1;

    /* both connections have the functions, with the version of this build */
    EXPECT(a, "SELECT json_extract(joblib_version(), '$.version')", JL_EXPECT_VERSION);
    EXPECT(b, "SELECT json_extract(joblib_version(), '$.version')", JL_EXPECT_VERSION);
    EXPECT(a, "SELECT json_extract(joblib_version(), '$.sqlite') = sqlite_version()", "1");

    /* write with one connection, read with the other */
    const char *make = "SELECT hex(joblib_dumps(joblib_dict('coef', "
                       "joblib_ndarray(x'000000000000e03f000000000000f4bf', '<f8'), 'n', 3)))";
    char hex[4096], sql[8192];
    query(a, make, hex, sizeof hex);
    if (strncmp(hex, "80", 2) != 0) { /* a pickle starts with PROTO */
        fprintf(stderr, "joblib_dumps gave %s\n", hex);
        failures++;
    }
    snprintf(sql, sizeof sql, "SELECT joblib_show(x'%s')", hex);
    EXPECT(b, sql,
           "$: dict len=2\n"
           "├── .coef: ndarray <f8 (2,) = [0.5, -1.25]\n"
           "└── .n: int = 3");
    snprintf(sql, sizeof sql, "SELECT joblib_load(x'%s', '$.coef[1]')", hex);
    EXPECT(b, sql, "-1.25");
    snprintf(sql, sizeof sql, "SELECT group_concat(fullkey || ':' || type, ' ') FROM joblib_tree(x'%s')", hex);
    EXPECT(b, sql, "$:dict $.coef:ndarray $.n:int");

    /* functions that write files are DIRECTONLY, readers are not */
    EXPECT(a, "SELECT count(*) FROM pragma_function_list WHERE name = 'joblib_dump' AND flags & 0x80000", "3");
    EXPECT(a, "SELECT count(*) FROM pragma_function_list WHERE name = 'joblib_show' AND flags & 0x80000", "0");

    /* after cancelling, new connections are plain SQLite */
    sqlite3_cancel_auto_extension((void (*)(void))sqlite3_joblib_init);
    sqlite3 *c = open_db();
    if (!c) return 1;
    EXPECT(c, "SELECT joblib_version()", "error: no such function: joblib_version");
    /* the old ones keep theirs */
    EXPECT(a, "SELECT json_type(joblib_version())", "object");

    /* and the entry point registers on one connection directly */
    char *err = NULL;
    if (sqlite3_joblib_init(c, &err, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite3_joblib_init: %s\n", err ? err : "?");
        failures++;
    }
    sqlite3_free(err);
    EXPECT(c, "SELECT json_type(joblib_version())", "object");

    sqlite3_close(a);
    sqlite3_close(b);
    sqlite3_close(c);
    sqlite3_reset_auto_extension();
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    else printf("all checks passed\n");
    return failures ? 1 : 0;
}
