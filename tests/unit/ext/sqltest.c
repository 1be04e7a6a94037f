/*
 * sqltest.c - the query runner of sqltest.h.
 */
#include "sqltest.h"

/* One column as "type:value". */
static void put_col(sqlite3_str *s, sqlite3_stmt *st, int i) {
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL: sqlite3_str_appendall(s, "null"); break;
    case SQLITE_INTEGER: sqlite3_str_appendf(s, "int:%lld", sqlite3_column_int64(st, i)); break;
    case SQLITE_FLOAT: sqlite3_str_appendf(s, "real:%!.15g", sqlite3_column_double(st, i)); break;
    case SQLITE_TEXT: sqlite3_str_appendf(s, "text:%s", sqlite3_column_text(st, i)); break;
    default: {
        const unsigned char *p = sqlite3_column_blob(st, i);
        int n = sqlite3_column_bytes(st, i);
        sqlite3_str_appendall(s, "blob:");
        for (int k = 0; k < n; k++) sqlite3_str_appendf(s, "%02X", p[k]);
    }
    }
}

char *jl_test_query(sqlite3 *db, const char *sql, const void *blob, int n) {
    sqlite3_str *s = sqlite3_str_new(db);
    const char *tail = sql;
    while (tail && *tail) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
        if (rc == SQLITE_OK && !st) break; /* only white space or comments left */
        if (rc == SQLITE_OK && blob && sqlite3_bind_parameter_count(st) > 0)
            rc = sqlite3_bind_blob(st, 1, blob, n, SQLITE_STATIC);
        sqlite3_str_reset(s);
        int rows = 0;
        while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (rows++) sqlite3_str_appendchar(s, 1, '\n');
            for (int i = 0; i < sqlite3_column_count(st); i++) {
                if (i) sqlite3_str_appendchar(s, 1, '|');
                put_col(s, st, i);
            }
            rc = SQLITE_OK;
        }
        if (rc != SQLITE_DONE && rc != SQLITE_OK) {
            sqlite3_str_reset(s);
            sqlite3_str_appendf(s, "error:%s", sqlite3_errmsg(db));
            sqlite3_finalize(st);
            break;
        }
        sqlite3_finalize(st);
    }
    char *out = sqlite3_str_finish(s);
    return out ? out : sqlite3_mprintf("");
}
