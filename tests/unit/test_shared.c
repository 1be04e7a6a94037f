/*
 * test_shared.c - shared blocks (codec/shared.c) and what stands on them:
 * the reference count and the registry that finds a block from any byte
 * in it; the decompression sink that moves to a shared block past
 * JL_SHARED_MIN (exact bytes for every container, limit errors, small
 * outputs and a failing allocator as before); and big arrays read through
 * SQL from a zlib bundle, whose BLOBs point into the block and stay valid
 * after the doc is freed.
 */
#define SQLITE_CORE 1 /* ext.h's sqlite3_* calls go straight to the linked SQLite */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "container.h"
#include "decode.h"
#include "ext.h"
#include "shared.h"

int sqlite3_joblib_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#define MiB ((uint64_t)1 << 20)

/* n bytes that deflate well but not trivially (runs of a slow counter). */
static uint8_t *pattern(uint64_t n, unsigned seed) {
    uint8_t *p = malloc((size_t)n);
    assert_non_null(p);
    for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)((i / 97) * 31 + (i % 7 == 0 ? seed : 0));
    return p;
}

/* 1 when this system has shared blocks (mremap). */
static int have_shared(void) {
    uint64_t got;
    uint8_t *p = jl_shared_new(1, &got);
    jl_shared_unref(p);
    return p != NULL;
}

static uint8_t *compress(jl_compression c, const uint8_t *p, uint64_t n, uint64_t *clen) {
    uint8_t *out = NULL;
    jl_error err;
    assert_int_equal(jl_compress(c, 1, p, n, NULL, &out, clen, &err), JL_OK);
    return out;
}

/* ---- the block itself ---------------------------------------------------- */

static void test_refcount(void **state) {
    (void)state;
    uint64_t live = jl_shared_live(), got = 0;
    uint8_t *p = jl_shared_new(100, &got);
    if (!p) skip(); /* no mremap on this system */
    assert_true(got >= 100);
    assert_int_equal(jl_shared_live(), live + 1);
    assert_int_equal(jl_shared_refs(p), 1);
    assert_int_equal(p[0], 0); /* fresh anonymous memory */
    p[0] = 0xA5;
    p[got - 1] = 0x5A;
    assert_ptr_equal(jl_shared_find(p), p);
    assert_ptr_equal(jl_shared_find(p + got - 1), p);
    assert_null(jl_shared_find(p - 1)); /* the header is not data */
    assert_null(jl_shared_find(&got));

    jl_shared_ref(p);
    jl_shared_ref(p);
    assert_int_equal(jl_shared_refs(p), 3);
    jl_shared_unref_at(p + got / 2);
    jl_shared_unref_at(p + got - 1);
    assert_int_equal(jl_shared_refs(p), 1);
    assert_int_equal(jl_shared_live(), live + 1);

    /* growth keeps the bytes and the registration, wherever it lands */
    uint64_t got2 = 0;
    uint8_t *q = jl_shared_resize(p, got + 5 * MiB, &got2);
    assert_non_null(q);
    assert_true(got2 >= got + 5 * MiB);
    assert_int_equal(q[0], 0xA5);
    assert_int_equal(q[got - 1], 0x5A);
    assert_int_equal(q[got2 - 1], 0);
    assert_ptr_equal(jl_shared_find(q + got2 - 1), q);
    assert_int_equal(jl_shared_live(), live + 1);
    assert_int_equal(jl_shared_refs(q), 1);

    /* shrinking stays in place and cuts the tail */
    uint64_t got3 = 0;
    assert_ptr_equal(jl_shared_resize(q, 10, &got3), q);
    assert_true(got3 >= 10 && got3 < got2);
    assert_int_equal(q[0], 0xA5);
    assert_null(jl_shared_find(q + got2 - 1));

    jl_shared_unref(q);
    assert_int_equal(jl_shared_live(), live);
    jl_shared_unref(NULL);
}

/* The prefault helper runs beside a writer through growth, shrinking and
 * the last unref; the bytes are the writer's. */
static void test_prefault(void **state) {
    (void)state;
    uint64_t live = jl_shared_live(), got = 0;
    uint8_t *p = jl_shared_new(3 * MiB, &got);
    if (!p) skip();
    jl_shared_prefault(p);
    jl_shared_prefault(p); /* a second start is a no-op */
    for (uint64_t i = 0; i < got; i += 4096) p[i] = (uint8_t)(i >> 12);
    jl_shared_written(p, got);
    uint64_t got2 = 0;
    uint8_t *q = jl_shared_resize(p, 40 * MiB, &got2);
    assert_non_null(q);
    for (uint64_t i = 0; i < got; i += 4096) assert_int_equal(q[i], (uint8_t)(i >> 12));
    for (uint64_t i = got; i < got2; i += MiB) {
        q[i] = 0x77;
        jl_shared_written(q, i + 1);
    }
    assert_int_equal(q[got2 - 1], 0);
    uint64_t got3 = 0;
    assert_ptr_equal(jl_shared_resize(q, 5 * MiB, &got3), q); /* shrink under the helper */
    jl_shared_written(q, got3);
    assert_int_equal(q[got], 0x77);
    jl_shared_prefault_end(q);
    jl_shared_prefault_end(q);
    jl_shared_prefault(q);
    jl_shared_unref(q); /* the last reference stops the helper too */
    assert_int_equal(jl_shared_live(), live);
}

/* ---- the decompression sink ------------------------------------------------ */

/* Every container: an output past JL_SHARED_MIN comes back as a shared
 * block with the exact bytes; the old call keeps the allocator. */
static void test_sink_shared(void **state) {
    (void)state;
    if (!have_shared()) skip();
    const uint64_t n = 12 * MiB + 12345;
    uint8_t *src = pattern(n, 3);
    const jl_compression kinds[] = { JL_COMP_ZLIB, JL_COMP_GZIP, JL_COMP_ZF, JL_COMP_LZ4 };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (!jl_compression_available(kinds[k])) continue;
        uint64_t clen, len = 0, live = jl_shared_live();
        uint8_t *comp = compress(kinds[k], src, n, &clen), *out = NULL, owner = 0;
        jl_error err;
        jl_test_alloc ta;
        jl_test_alloc_init(&ta, -1);
        assert_int_equal(jl_decompress_block(kinds[k], comp, clen, &ta.alloc, UINT64_MAX, &out,
                                             &len, &owner, &err), JL_OK);
        assert_int_equal(owner, JL_BLOCK_SHARED);
        assert_int_equal(len, n);
        assert_memory_equal(out, src, n);
        assert_int_equal(ta.live, 0); /* the small start buffer went back */
        assert_int_equal(jl_shared_live(), live + 1);
        assert_ptr_equal(jl_shared_find(out + n - 1), out);
        jl_decompressed_free(&ta.alloc, out, owner);
        assert_int_equal(jl_shared_live(), live);

        /* jl_decompress never hands out a shared block */
        assert_int_equal(jl_decompress(kinds[k], comp, clen, &ta.alloc, UINT64_MAX, &out, &len, &err),
                         JL_OK);
        assert_int_equal(len, n);
        assert_int_equal(ta.live, 1);
        assert_int_equal(jl_shared_live(), live);
        assert_memory_equal(out, src, n);
        jl_free(&ta.alloc, out);
        free(comp);
    }
    free(src);
}

/* The limit is exact wherever it falls (before the move, on a shared
 * block being grown, on its last byte), and nothing is left behind. */
static void test_sink_limits(void **state) {
    (void)state;
    const uint64_t n = 12 * MiB;
    uint8_t *src = pattern(n, 5);
    uint64_t clen, live = jl_shared_live();
    const jl_compression kinds[] = { JL_COMP_ZLIB, JL_COMP_GZIP };
    for (size_t k = 0; k < 2; k++) {
        uint8_t *comp = compress(kinds[k], src, n, &clen);
        const uint64_t maxes[] = { 4 * MiB, JL_SHARED_MIN, 9 * MiB, n - 1 };
        for (size_t i = 0; i < sizeof maxes / sizeof maxes[0]; i++) {
            uint8_t *out = (uint8_t *)1, owner = 0;
            uint64_t len = 7;
            jl_error err;
            assert_int_equal(jl_decompress_block(kinds[k], comp, clen, NULL, maxes[i], &out, &len,
                                                 &owner, &err), JL_E_LIMIT);
            char want[96];
            snprintf(want, sizeof want, "decompressed size exceeds the limit of %llu bytes",
                     (unsigned long long)maxes[i]);
            assert_string_equal(err.message, want);
            assert_null(out);
            assert_int_equal(len, 0);
            assert_int_equal(jl_shared_live(), live);
        }
        uint8_t *out, owner;
        uint64_t len;
        jl_error err;
        assert_int_equal(jl_decompress_block(kinds[k], comp, clen, NULL, n, &out, &len, &owner, &err),
                         JL_OK);
        assert_int_equal(len, n);
        assert_memory_equal(out, src, n);
        jl_decompressed_free(NULL, out, owner);
        free(comp);
    }

    /* a ZF header that announces one byte less than its stream holds */
    uint8_t *comp = compress(JL_COMP_ZF, src, n, &clen);
    char head[32];
    int w = snprintf(head, sizeof head, "ZF0x%llx", (unsigned long long)(n - 1));
    memcpy(comp, head, (size_t)w);
    uint8_t *out, owner;
    uint64_t len;
    jl_error err;
    assert_int_equal(jl_decompress_block(JL_COMP_ZF, comp, clen, NULL, UINT64_MAX, &out, &len, &owner,
                                         &err), JL_E_FORMAT);
    char want[128];
    snprintf(want, sizeof want, "ZF stream inflates to more than the %llu bytes its header announces",
             (unsigned long long)(n - 1));
    assert_string_equal(err.message, want);
    assert_int_equal(jl_shared_live(), live);
    free(comp);
    free(src);
}

/* Small outputs stay with the caller's allocator; a failing allocator
 * fails cleanly at every step, before and after the move to a block. */
static void test_sink_allocator(void **state) {
    (void)state;
    uint64_t live = jl_shared_live();
    int shared = have_shared();
    const uint64_t sizes[] = { 100000, 10 * MiB };
    for (size_t s = 0; s < 2; s++) {
        uint64_t n = sizes[s], clen;
        uint8_t *src = pattern(n, 9);
        uint8_t *comp = compress(JL_COMP_ZLIB, src, n, &clen);
        int done = 0;
        for (long fail = 0; fail < 64 && !done; fail++) {
            jl_test_alloc ta;
            jl_test_alloc_init(&ta, fail);
            uint8_t *out = NULL, owner = 0;
            uint64_t len = 0;
            jl_error err;
            int rc = jl_decompress_block(JL_COMP_ZLIB, comp, clen, &ta.alloc, UINT64_MAX, &out, &len,
                                         &owner, &err);
            if (rc == JL_OK) {
                assert_int_equal(len, n);
                assert_memory_equal(out, src, n);
                assert_int_equal(owner, n >= JL_SHARED_MIN && shared ? JL_BLOCK_SHARED : JL_BLOCK_HEAP);
                assert_int_equal(ta.live, owner == JL_BLOCK_HEAP ? 1 : 0);
                jl_decompressed_free(&ta.alloc, out, owner);
                done = 1;
            } else {
                assert_int_equal(rc, JL_E_NOMEM);
                assert_null(out);
            }
            assert_int_equal(ta.live, 0);
            assert_int_equal(jl_shared_live(), live);
        }
        assert_true(done);
        free(comp);
        free(src);
    }
}

/* ---- big arrays through SQL ---------------------------------------------- */

static sqlite3 *db;
static char dir[64];
static uint8_t *arr_a;          /* the array's bytes (float64, native order) */
static const uint64_t arr_n = 9 * MiB;

static const char *file_in(const char *name) {
    static char buf[2][128];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s/%s", dir, name);
    return buf[which];
}

/* Opens a bundle by path, sets its root as the result and frees the doc
 * at once, before SQLite has read the value. */
static void load_then_free(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    jl_open_opts o = { jl_ext_alloc(), NULL };
    jl_doc *doc = NULL;
    jl_error err;
    if (jl_open_file((const char *)sqlite3_value_text(argv[0]), &o, &doc, &err) != JL_OK ||
        jl_ext_result_node(ctx, doc, doc->root, &err) != JL_OK)
        sqlite3_result_error(ctx, err.message, -1);
    jl_doc_free(doc);
}

static int setup_sql(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/jl-shared-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return -1;
    if (sqlite3_joblib_init(db, NULL, NULL) != SQLITE_OK) return -1;
    if (sqlite3_create_function(db, "load_then_free", 1, SQLITE_UTF8, NULL, load_then_free, NULL,
                                NULL) != SQLITE_OK)
        return -1;
    arr_a = pattern(arr_n, 11);
    /* the same array as a zlib bundle (compress=3), and a small one */
    char *sql = sqlite3_mprintf("SELECT joblib_dump(joblib_ndarray(?1, '<f8'), %Q, 3), "
                                "joblib_dump(joblib_ndarray(x'0000000000000000', '<f8'), %Q, 3)",
                                file_in("a.pkl.z"), file_in("b.pkl.z"));
    char *r = jl_test_query(db, sql, arr_a, (int)arr_n);
    int ok = strncmp(r, "error:", 6) != 0;
    if (!ok) fprintf(stderr, "%s\n", r);
    sqlite3_free(r);
    sqlite3_free(sql);
    return ok ? 0 : -1;
}

static int teardown_sql(void **state) {
    (void)state;
    unlink(file_in("a.pkl.z"));
    unlink(file_in("b.pkl.z"));
    rmdir(dir);
    sqlite3_close(db);
    free(arr_a);
    return 0;
}

/* Steps `sql` (?1 = a.pkl.z, ?2 = b.pkl.z) to its first row. */
static sqlite3_stmt *first_row(const char *sql) {
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, file_in("a.pkl.z"), -1, SQLITE_TRANSIENT);
    if (sqlite3_bind_parameter_count(st) > 1)
        sqlite3_bind_text(st, 2, file_in("b.pkl.z"), -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    return st;
}

static void expect_array(sqlite3_stmt *st, int col) {
    assert_int_equal(sqlite3_column_type(st, col), SQLITE_BLOB);
    assert_int_equal(sqlite3_column_bytes(st, col), (int)arr_n);
    assert_memory_equal(sqlite3_column_blob(st, col), arr_a, arr_n);
}

/* Through joblib_load: the BLOB is a pointer into the cached doc's block
 * (one block, two references) and equals the source bytes. */
static void test_sql_load(void **state) {
    (void)state;
    uint64_t live = jl_shared_live();
    sqlite3_stmt *st = first_row("SELECT joblib_load(?1)");
    expect_array(st, 0);
    const void *p = sqlite3_column_blob(st, 0);
    if (have_shared()) {
        assert_non_null(jl_shared_find(p));
        assert_int_equal(jl_shared_live(), live + 1);
        assert_int_equal(jl_shared_refs(jl_shared_find(p)), 2); /* the cached doc and the result */
    }
    sqlite3_finalize(st);
    assert_int_equal(jl_shared_live(), live);

    /* several results from one cached doc, and a second bundle beside them */
    st = first_row("SELECT joblib_load(?1), joblib_load(?1, '$'), length(joblib_load(?2)), "
                   "joblib_load(?1) = joblib_load(?1, '$')");
    expect_array(st, 0);
    expect_array(st, 1);
    assert_int_equal(sqlite3_column_int(st, 2), 8);
    assert_int_equal(sqlite3_column_int(st, 3), 1);
    sqlite3_finalize(st);
    assert_int_equal(jl_shared_live(), live);
}

/* The doc is freed before SQLite reads the value: the result alone keeps
 * the block alive, and its destructor releases it. */
static void test_sql_after_doc_freed(void **state) {
    (void)state;
    uint64_t live = jl_shared_live();
    sqlite3_stmt *st = first_row("SELECT load_then_free(?1), load_then_free(?1)");
    expect_array(st, 0);
    expect_array(st, 1);
    const void *p0 = sqlite3_column_blob(st, 0), *p1 = sqlite3_column_blob(st, 1);
    if (have_shared()) {
        assert_non_null(jl_shared_find(p0));
        assert_int_equal(jl_shared_live(), live + 2); /* two docs, one block each */
        assert_int_equal(jl_shared_refs(jl_shared_find(p0)), 1);
        assert_int_equal(jl_shared_refs(jl_shared_find(p1)), 1);
    }
    /* the row's values survive a second statement that opens another bundle */
    char *sql = sqlite3_mprintf("SELECT length(joblib_load(%Q))", file_in("b.pkl.z"));
    char *r = jl_test_query(db, sql, NULL, 0);
    assert_string_equal(r, "int:8");
    sqlite3_free(r);
    sqlite3_free(sql);
    expect_array(st, 0);
    sqlite3_finalize(st);
    assert_int_equal(jl_shared_live(), live);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_prefault),
        cmocka_unit_test(test_sink_shared),
        cmocka_unit_test(test_sink_limits),
        cmocka_unit_test(test_sink_allocator),
    };
    const struct CMUnitTest sql_tests[] = {
        cmocka_unit_test(test_sql_load),
        cmocka_unit_test(test_sql_after_doc_freed),
    };
    int failed = cmocka_run_group_tests_name("shared", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("shared_sql", sql_tests, setup_sql, teardown_sql);
    return failed;
}
