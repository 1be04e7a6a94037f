/*
 * sqltest.h - what the ext unit tests share on top of testutil.h: a
 * connection with the extension registered and a query runner that turns
 * the rows of the last statement into comparable text.
 */
#ifndef JL_SQLTEST_H
#define JL_SQLTEST_H

#include "testutil.h"

#include <sqlite3.h>

/* The extension's entry point, linked statically (joblib_static). */
int sqlite3_joblib_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

/* Runs every statement of sql on db (?1 bound to the BLOB blob[0..n) in
 * those that have parameters, when blob is not NULL) and returns the rows
 * of the last one: columns as "type:value" (null, int:7, real:1.5,
 * text:abc, blob:00FF) joined by '|', rows by '\n'; "error:<message>" on
 * the first failure. Free with sqlite3_free. */
char *jl_test_query(sqlite3 *db, const char *sql, const void *blob, int n);

#endif
