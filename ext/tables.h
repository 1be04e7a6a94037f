/*
 * tables.h - declarations of the table surface (README "Tables over
 * bundles", joblib_export under "Writing"):
 *
 *   joblib_export(select_sql, dest [, compress])   export.c
 *   CREATE VIRTUAL TABLE t USING joblib(src [, path])   table_vtab.c
 */
#ifndef JL_TABLES_H
#define JL_TABLES_H

#include "ext.h"

/* Registers joblib_export and the `joblib` virtual table module on db; cfg
 * is the connection's jl_ext (each registration takes a reference, dropped
 * by its xDestroy). Returns an SQLite result code; on failure the error is
 * in sqlite3_errmsg(db). */
int jl_register_table_functions(sqlite3 *db, void *cfg);

/* The same, as tables for a registration loop (joblib.c): */
extern const jl_sql_func jl_table_funcs[];     /* joblib_export; ends with a NULL name */
extern const jl_sql_module jl_table_modules[]; /* joblib; ends with a NULL name */

/* The module object of CREATE VIRTUAL TABLE ... USING joblib (table_vtab.c). */
extern const sqlite3_module jl_table_module;

/* joblib_export's implementation (export.c). */
void jl_fn_export(sqlite3_context *ctx, int argc, sqlite3_value **argv);

#endif
