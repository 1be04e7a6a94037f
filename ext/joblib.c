/*
 * joblib.c - the entry point of the joblib extension: registers every SQL
 * function and virtual table module on a connection.
 *
 *   sqlite3> .load ./joblib0
 *   >>> conn.load_extension("./joblib0")         # Python's sqlite3
 *   sqlite3_joblib_init(db, &errmsg, NULL);      // static library (SQLITE_CORE)
 *   sqlite3_auto_extension((void (*)(void))sqlite3_joblib_init);
 *
 * This is the one translation unit with SQLITE_EXTENSION_INIT1. The same
 * sources build the loadable module and, with SQLITE_CORE defined, the
 * static library whose sqlite3_* calls go straight to the linked SQLite.
 *
 * Registration is data: the tables below (one per ext/ file that defines
 * SQL names) are looped over; the first failure stops the loop and is
 * reported through pzErrMsg naming the function or module. Every function
 * and module gets the connection's jl_ext (limits) as user data; each
 * registration holds a reference released by its xDestroy.
 *
 * Needs SQLite >= 3.35 at run time (sqlite3_create_function_v2 with
 * INNOCUOUS/DIRECTONLY, sqlite3_str); written against 3.40.1.
 */
#include "sqlite3ext.h"

#include "sqlite_joblib.h" /* the entry point's declaration */
SQLITE_EXTENSION_INIT1

#include "ext.h"
#include "tables.h"
#include "write.h"

/* Function and module tables, in registration order: the read surface
 * (read_funcs.c, each_tree.c), the write surface (write.h) and the table
 * surface (tables.h). */
static const jl_sql_func *const func_tables[] = {
    jl_read_funcs,
    jl_write_funcs,
    jl_copy_funcs,
    jl_table_funcs,
    jl_show_funcs,
};

static const jl_sql_module *const module_tables[] = {
    jl_read_modules,
    jl_table_modules,
    jl_files_modules,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void report(char **pzErrMsg, sqlite3 *db, const char *what, const char *name, int rc) {
    if (!pzErrMsg) return;
    const char *why = rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db);
    *pzErrMsg = sqlite3_mprintf("joblib: cannot register %s %s: %s", what, name, why);
}

/* The module file is joblib0.so. sqlite3_load_extension() without an entry
 * point derives it from the file name (sqlite3LoadExtension): the base name
 * up to its first '.', a leading "lib" dropped, letters only, lowercased, so
 * joblib0 -> sqlite3_joblib_init, the same as sqlite-vec's vec0 ->
 * sqlite3_vec_init. No alias is needed. */
#ifdef _WIN32
__declspec(dllexport)
#else
__attribute__((visibility("default"))) /* the one symbol the module exports */
#endif
int sqlite3_joblib_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    int rc = SQLITE_OK;
    jl_ext *ext = jl_ext_new(); /* our own reference, dropped at the end */
    if (!ext) {
        if (pzErrMsg) *pzErrMsg = sqlite3_mprintf("joblib: out of memory");
        return SQLITE_NOMEM;
    }
    for (size_t t = 0; rc == SQLITE_OK && t < COUNT(func_tables); t++) {
        for (const jl_sql_func *f = func_tables[t]; rc == SQLITE_OK && f->name; f++) {
            jl_ext_ref(ext); /* released by jl_ext_unref, also when registration fails */
            rc = sqlite3_create_function_v2(db, f->name, f->nArg, f->flags, ext, f->xFunc,
                                            f->xStep, f->xFinal, jl_ext_unref);
            if (rc != SQLITE_OK) report(pzErrMsg, db, "function", f->name, rc);
        }
    }
    for (size_t t = 0; rc == SQLITE_OK && t < COUNT(module_tables); t++) {
        for (const jl_sql_module *m = module_tables[t]; rc == SQLITE_OK && m->name; m++) {
            jl_ext_ref(ext);
            rc = sqlite3_create_module_v2(db, m->name, m->module, ext, jl_ext_unref);
            if (rc != SQLITE_OK) report(pzErrMsg, db, "module", m->name, rc);
        }
    }
    jl_ext_unref(ext);
    return rc;
}
