/*
 * test_frame.c - pandas frames as column plans (codec/tree/frame.c) over
 * the committed seeds tests/fuzz/seeds/fuzz_decode/frame.pkl (a DataFrame
 * with a MultiIndex and int, object, category, tz datetime, Int64 and
 * timedelta columns, pickled once by pandas 1.5.3, protocol 4),
 * series.pkl (a named Series, protocol 2), kinds.pkl (Period, Interval,
 * block and object Sparse columns, pandas 1.5.3, protocol 4) and
 * series.tar (a Series pickle in a tar, as to_pickle's compression='tar'
 * writes it): names, declared types and every cell; then every
 * truncation and one-byte change of the seeds,
 * planned and read cell by cell (never out of the doc's bytes: ASan and
 * valgrind runs check), and allocation failures at every step of a plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "frame.h"
#include "frameshow.h"
#include "testutil.h"

static uint8_t *seed(const char *name, uint64_t *len) {
    const char *src = getenv("JL_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fuzz/seeds/fuzz_decode/%s", src ? src : "..", name);
    uint8_t *p = jl_test_read_file(path, len);
    if (!p) fail_msg("cannot read %s (set JL_SOURCE_DIR)", path);
    return p;
}

/* Every cell of plan p as text, "a|b|c\n" per row, NULL cells empty; the
 * bytes of ARRAY cells are checked to lie in their block. */
static char *cells(const jl_doc *doc, const jl_table_plan *p) {
    jl_buf b;
    jl_buf_init(&b, jl_alloc_default(), 0);
    jl_error err;
    for (uint64_t r = 0; r < p->nrows && r < 1000; r++) {
        for (uint32_t j = 0; j < p->ncols; j++) {
            const jl_tcol *c = &p->cols[j];
            uint64_t src;
            if (j) jl_buf_putc(&b, '|');
            if (!jl_table_cell_source(doc, c, r, &src)) continue;
            if (c->how == JL_TCOL_ARRAY && src != JL_TCOL_FILL) {
                jl_ref at = jl_table_cell_ref(doc, c, src);
                assert_true(at.off + at.len <= doc->blocks[at.block].len);
                if (c->flags & JL_TCOL_F_INTERVAL)
                    assert_true(c->data2.off + src * c->stride + c->off + at.len <= doc->blocks[c->data2.block].len);
            }
            jl_error_clear(&err);
            jl_table_cell_text(doc, p, c, src, &b, &err);
        }
        jl_buf_putc(&b, '\n');
    }
    jl_buf_putc(&b, 0);
    return jl_buf_take(&b, NULL);
}

static jl_doc *open_seed(const uint8_t *p, uint64_t n) {
    jl_doc *doc = NULL;
    jl_error err;
    jl_open_opts o = { NULL, NULL };
    if (jl_open_memory(p, n, 1, &o, &doc, &err) != JL_OK) return NULL;
    return doc;
}

/* The seed `name` opened (its bytes in *p), a frame of `kind`, planned. */
static jl_doc *planned(const char *name, int kind, uint8_t **p, jl_table_plan *plan, uint32_t *nindex) {
    uint64_t n;
    jl_error err;
    *p = seed(name, &n);
    jl_doc *doc = open_seed(*p, n);
    assert_non_null(doc);
    assert_int_equal(jl_frame_kind(doc, doc->root), kind);
    assert_int_equal(jl_frame_plan_make(doc, doc->root, NULL, 0, jl_alloc_default(), plan, nindex, &err), JL_OK);
    return doc;
}

static void test_frame_seed(void **state) {
    (void)state;
    uint8_t *p;
    jl_table_plan plan;
    jl_error err;
    uint32_t nindex = 0;
    jl_doc *doc = planned("frame.pkl", 1, &p, &plan, &nindex);
    assert_int_equal(nindex, 2);
    assert_int_equal(plan.nrows, 3);
    const char *names[] = { "k", "l", "a", "s", "c", "t", "m", "td" };
    const char *decls[] = { "INTEGER", "TEXT", "INTEGER", "TEXT", "TEXT", "TEXT", "INTEGER", "INTEGER" };
    assert_int_equal(plan.ncols, 8);
    for (uint32_t j = 0; j < 8; j++) {
        assert_string_equal(plan.cols[j].name, names[j]);
        assert_string_equal(plan.cols[j].decl, decls[j]);
    }
    char *text = cells(doc, &plan);
    assert_string_equal(text, "1|u|1|x|p|2020-01-01T00:00:00.000000000Z|1|1000000000\n"
                              "2|v|2||q|2020-01-02T00:00:00.000000000Z||\n"
                              "3|w|3|z||2020-01-03T00:00:00.000000000Z|3|2000000000\n");
    free(text);
    jl_table_plan_free(&plan);
    jl_buf b;
    jl_buf_init(&b, jl_alloc_default(), 0);
    assert_int_equal(jl_frame_show(doc, doc->root, NULL, 0, 1, &b, &err), JL_OK);
    jl_buf_putc(&b, 0);
    assert_string_equal(b.p, "DataFrame: 3 rows \xC3\x97 6 columns\n"
                             "index: k int64, l object\n"
                             "columns: a int64, s object, c category, t datetime64[ns, UTC], m Int64, td timedelta64[ns]\n"
                             "k  l  a  s  c     t                               m  td\n"
                             "1  u  1  x  p     2020-01-01T00:00:00.000000000Z  1  1000000000\n"
                             "\xE2\x80\xA6 1 more rows\n"
                             "3  w  3  z  NULL  2020-01-03T00:00:00.000000000Z  3  2000000000\n");
    jl_buf_free(&b);
    jl_doc_free(doc);
    free(p);
}

static void test_series_seed(void **state) {
    (void)state;
    uint8_t *p;
    jl_table_plan plan;
    jl_doc *doc = planned("series.pkl", 2, &p, &plan, NULL);
    assert_int_equal(plan.ncols, 2);
    assert_string_equal(plan.cols[0].name, "index");
    assert_string_equal(plan.cols[1].name, "v");
    char *text = cells(doc, &plan);
    assert_string_equal(text, "0|1.5\n1|\n");
    free(text);
    jl_table_plan_free(&plan);
    jl_doc_free(doc);
    free(p);
}

/* Opens q[0..n) and, when it opens, plans and reads the root. */
static void try_bytes(const uint8_t *q, uint64_t n) {
    jl_doc *doc = open_seed(q, n);
    if (!doc) return;
    if (doc->root != JL_NONE) {
        jl_table_plan plan;
        jl_error err;
        jl_error_clear(&err);
        int rc = jl_frame_plan_make(doc, doc->root, NULL, 0, jl_alloc_default(), &plan, NULL, &err);
        if (rc == JL_OK) free(cells(doc, &plan));
        else assert_true(err.message[0] != 0);
        jl_table_plan_free(&plan);
        if (jl_frame_kind(doc, doc->root)) {
            jl_buf b;
            jl_buf_init(&b, jl_alloc_default(), 0);
            assert_int_equal(jl_frame_show(doc, doc->root, NULL, 0, 2, &b, &err), JL_OK);
            jl_buf_free(&b);
        }
    }
    jl_doc_free(doc);
}

static void hostile(const char *name) {
    uint64_t n;
    uint8_t *p = seed(name, &n);
    uint8_t *q = malloc(n);
    for (uint64_t k = 0; k < n; k++) try_bytes(p, k);
    static const uint8_t xors[] = { 0x01, 0x80, 0xff, 0x07 };
    for (uint64_t i = 0; i < n; i++)
        for (size_t x = 0; x < sizeof xors; x++) {
            memcpy(q, p, n);
            q[i] ^= xors[x];
            try_bytes(q, n);
        }
    free(q);
    free(p);
}

static void test_hostile_frame(void **state) {
    (void)state;
    hostile("frame.pkl");
}

static void test_hostile_series(void **state) {
    (void)state;
    hostile("series.pkl");
}

static void test_kinds_seed(void **state) {
    (void)state;
    uint8_t *p;
    jl_table_plan plan;
    jl_doc *doc = planned("kinds.pkl", 1, &p, &plan, NULL);
    static const char *const names[] = { "index", "p", "iv", "sp", "so" };
    static const char *const decls[] = { "INTEGER", "TEXT", "TEXT", "INTEGER", "TEXT" };
    static const char *const dtypes[] = { "int64", "period[M]", "interval[float64, left]", "Sparse[int64, 0]",
                                          "Sparse[object, nan]" };
    assert_int_equal(plan.ncols, 5);
    for (uint32_t j = 0; j < 5; j++) {
        assert_string_equal(plan.cols[j].name, names[j]);
        assert_string_equal(plan.cols[j].decl, decls[j]);
        assert_string_equal(plan.cols[j].pdtype, dtypes[j]);
    }
    char *text = cells(doc, &plan);
    assert_string_equal(text, "0|2024-01|[0.0, 1.0)|0|a\n1||[1.0, 2.5)|5|\n2|2024-03|[2.5, 4.0)|6|b\n");
    free(text);
    jl_table_plan_free(&plan);
    jl_doc_free(doc);
    free(p);
}

static void test_tar_seed(void **state) {
    (void)state;
    uint8_t *p;
    jl_table_plan plan;
    jl_doc *doc = planned("series.tar", 2, &p, &plan, NULL);
    char *text = cells(doc, &plan);
    assert_string_equal(text, "0|1.5\n1|\n");
    free(text);
    jl_table_plan_free(&plan);
    jl_doc_free(doc);
    free(p);
}

static void test_hostile_kinds(void **state) {
    (void)state;
    hostile("kinds.pkl");
    hostile("series.tar");
}

static void alloc_failures(const char *name) {
    uint64_t n;
    uint8_t *p = seed(name, &n);
    jl_doc *doc = open_seed(p, n);
    assert_non_null(doc);
    for (long k = 0;; k++) {
        jl_test_alloc ta;
        jl_test_alloc_init(&ta, k);
        jl_table_plan plan;
        jl_error err;
        int rc = jl_frame_plan_make(doc, doc->root, NULL, 0, &ta.alloc, &plan, NULL, &err);
        jl_table_plan_free(&plan);
        assert_int_equal(ta.live, 0);
        if (rc == JL_OK) break;
        assert_int_equal(rc, JL_E_NOMEM);
        assert_true(k < 10000);
    }
    jl_doc_free(doc);
    free(p);
}

static void test_alloc_failures(void **state) {
    (void)state;
    alloc_failures("frame.pkl");
    alloc_failures("kinds.pkl");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_seed),
        cmocka_unit_test(test_series_seed),
        cmocka_unit_test(test_hostile_frame),
        cmocka_unit_test(test_hostile_series),
        cmocka_unit_test(test_kinds_seed),
        cmocka_unit_test(test_tar_seed),
        cmocka_unit_test(test_hostile_kinds),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
