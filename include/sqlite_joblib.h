/*
 * sqlite_joblib.h - the public header of sqlite-joblib for programs that
 * link the static library (libjoblib.a) together with SQLite, instead of
 * loading the joblib0.so module at run time.
 *
 * Register the extension on every connection a program opens:
 *
 *     #include <sqlite3.h>
 *     #include <sqlite_joblib.h>
 *
 *     sqlite3_auto_extension((void (*)(void))sqlite3_joblib_init);
 *     sqlite3_open(":memory:", &db);          // joblib_* functions are there
 *
 * or on one connection:
 *
 *     char *err = NULL;
 *     if (sqlite3_joblib_init(db, &err, NULL) != SQLITE_OK) { ...; sqlite3_free(err); }
 *
 * Build flags come from pkg-config (`pkg-config --cflags --libs
 * sqlite_joblib`) or CMake (`find_package(sqlite_joblib)`, target
 * sqlite_joblib::joblib_static). The SQL the extension adds is described
 * in the README; `SELECT joblib_version()` tells the version and which
 * compressors the build supports.
 */
#ifndef SQLITE_JOBLIB_H
#define SQLITE_JOBLIB_H

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Registers every joblib_* SQL function and the joblib_each, joblib_tree
 * and joblib virtual table modules on db. pApi is ignored by the static
 * library (pass NULL). On failure returns an SQLite error code and, when
 * pzErrMsg is not NULL, sets *pzErrMsg to a message the caller frees with
 * sqlite3_free. Has the signature sqlite3_auto_extension expects once
 * cast to void (*)(void). */
int sqlite3_joblib_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#ifdef __cplusplus
}
#endif

#endif
