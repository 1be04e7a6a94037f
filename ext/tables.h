/*
 * tables.h - declarations of the table surface (README "Tables over
 * bundles", joblib_export under "Writing"):
 *
 *   joblib_export(select_sql, dest [, compress])   export.c
 *   CREATE VIRTUAL TABLE t USING joblib(src [, path])   table_vtab.c
 *   joblib_files(dir [, pattern [, recursive]])   files_vtab.c
 */
#ifndef JL_TABLES_H
#define JL_TABLES_H

#include "ext.h"

/* The functions and the module, as tables for the registration loop
 * (joblib.c): */
extern const jl_sql_func jl_table_funcs[];     /* joblib_export; ends with a NULL name */
extern const jl_sql_module jl_table_modules[]; /* joblib; ends with a NULL name */
extern const jl_sql_module jl_files_modules[]; /* joblib_files (files_vtab.c) */

/* The module object of CREATE VIRTUAL TABLE ... USING joblib (table_vtab.c). */
extern const sqlite3_module jl_table_module;

/* joblib_export's implementation (export.c). */
void jl_fn_export(sqlite3_context *ctx, int argc, sqlite3_value **argv);

#endif
