/*
 * example.c - sqlite-joblib from C: a program that links SQLite and the
 * static library libjoblib.a, registers the extension on every connection
 * with sqlite3_auto_extension, writes a bundle with SQL and reads it back.
 *
 * Build against an installed sqlite-joblib:
 *   make PKG_CONFIG_PATH=<prefix>/lib/pkgconfig                    (Makefile)
 *   cmake -S . -B build -DCMAKE_PREFIX_PATH=<prefix> && cmake --build build
 * Run:
 *   ./example [bundle.pkl]     shows bundle.pkl too when given
 */
#include <sqlite3.h>
#include <sqlite_joblib.h>

#include <stdio.h>
#include <string.h>

/* Runs sql (with ?1 bound to text1 when not NULL) and prints each row's
 * first column. Returns 0, or 1 after printing the error. */
static int print_rows(sqlite3 *db, const char *sql, const char *text1) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "error: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    if (text1) sqlite3_bind_text(st, 1, text1, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        printf("%s\n", v ? (const char *)v : "NULL");
    }
    if (rc != SQLITE_DONE) fprintf(stderr, "error: %s\n", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : 1;
}

int main(int argc, char **argv) {
    /* every connection opened from now on gets the joblib_* functions */
    if (sqlite3_auto_extension((void (*)(void))sqlite3_joblib_init) != SQLITE_OK) {
        fprintf(stderr, "error: cannot register the extension\n");
        return 1;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
        fprintf(stderr, "error: %s\n", db ? sqlite3_errmsg(db) : "cannot open a database");
        sqlite3_close(db);
        return 1;
    }
    int failed = 0;
    /* a model-like dict: an array of 3 doubles (raw little-endian bytes),
     * a name and a list, as the bytes joblib.dump would write */
    char *err = NULL;
    if (sqlite3_exec(db,
                     "CREATE TABLE models(name TEXT, bundle BLOB);"
                     "INSERT INTO models VALUES ('demo', joblib_dumps(joblib_dict("
                     "  'coef', joblib_ndarray(x'000000000000e03f000000000000f4bf0000000000000040', '<f8'),"
                     "  'name', 'demo', 'classes', joblib_list('no', 'yes'))));",
                     NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "error: %s\n", err ? err : "?");
        sqlite3_free(err);
        sqlite3_close(db);
        return 1;
    }
    failed |= print_rows(db, "SELECT joblib_show(bundle) FROM models", NULL);
    /* one value out of the stored bundle, and the array as rows */
    failed |= print_rows(db, "SELECT joblib_load(bundle, '$.classes[1]') FROM models", NULL);
    failed |= print_rows(db, "SELECT group_concat(value, ' ') FROM models, joblib_each(models.bundle, '$.coef')",
                         NULL);
    if (argc > 1) failed |= print_rows(db, "SELECT joblib_show(?1, '$', 2)", argv[1]);
    sqlite3_close(db);
    return failed;
}
