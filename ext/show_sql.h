/*
 * show_sql.h - registration of joblib_show and joblib_version
 * (show_funcs.c). The text rendering itself is codec/tree/show.h.
 */
#ifndef JL_EXT_SHOW_H
#define JL_EXT_SHOW_H

#include "ext.h"

/* Registers joblib_show (1 to 3 arguments) and joblib_version on db; cfg
 * is the connection's jl_ext (each registration takes a reference).
 * Returns an SQLite result code; on failure the error is in
 * sqlite3_errmsg(db). */
int jl_register_show_functions(sqlite3 *db, void *cfg);

/* The same functions as a table (ends with a NULL name), for a
 * registration loop that prefers tables. */
extern const jl_sql_func jl_show_funcs[];

#endif
