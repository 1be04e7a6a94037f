/*
 * testutil.c - helpers for the cmocka unit tests (see testutil.h).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

uint8_t *jl_test_read_file(const char *path, uint64_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) *len = (uint64_t)n;
    return p;
}

const char *jl_test_corpus_dir(void) {
    static char dir[4096];
    struct stat st;
    const char *env = getenv("JL_CORPUS_DIR");
    if (env && *env) snprintf(dir, sizeof dir, "%s", env);
    else {
        const char *src = getenv("JL_SOURCE_DIR");
        snprintf(dir, sizeof dir, "%s/../shared/corpus/joblib-upstream", src ? src : ".");
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    return dir;
}

const char *jl_test_path(const char *dir, const char *name) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

/* Each block carries its size in front so that realloc can be counted. */
static void *t_malloc(void *ctx, size_t n) {
    jl_test_alloc *t = ctx;
    if (t->fail_after >= 0 && t->calls >= t->fail_after) return NULL;
    t->calls++;
    void *p = malloc(n);
    if (p) t->live++;
    return p;
}
static void *t_realloc(void *ctx, void *p, size_t n) {
    jl_test_alloc *t = ctx;
    if (t->fail_after >= 0 && t->calls >= t->fail_after) return NULL;
    t->calls++;
    void *q = realloc(p, n);
    if (q && !p) t->live++;
    return q;
}
static void t_free(void *ctx, void *p) {
    jl_test_alloc *t = ctx;
    if (p) t->live--;
    free(p);
}

void jl_test_alloc_init(jl_test_alloc *t, long fail_after) {
    t->alloc.malloc = t_malloc;
    t->alloc.realloc = t_realloc;
    t->alloc.free = t_free;
    t->alloc.ctx = t;
    t->fail_after = fail_after;
    t->calls = 0;
    t->live = 0;
}

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
