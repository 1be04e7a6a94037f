/*
 * test_lazy_decode.c - big compressed bundles decoded as they inflate
 * (codec/pickle/feed.c) and their arrays read on demand (codec/value/
 * lazy.c), through the codec alone: a 9 MiB array, a small array and a
 * string written with every compressor this build has, opened from a
 * file: the big array is left in the stream (its stream offset the
 * uncompressed file's), a row read alone, the whole array, rows after it
 * (from what was read), the small values; max_alloc below the array's
 * size fails its read with the limit's message but not the open. An xz
 * file of 1 MiB Blocks (as `xz -T2 --block-size=1MiB` writes) keeps its
 * Blocks as the doc's index; joblib's own one-Block xz keeps none.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array_build.h"
#include "decode.h"
#include "dtype.h"
#include "lazy.h"
#include "ndarray.h"
#include "seek_index.h"
#include "writer.h"

#define ROWS 1152u
#define COLS 1024u
#define BIG ((uint64_t)ROWS * COLS * 8)

static double cell(uint64_t i) { return (double)(i % 1000003) * 0.5 - (double)(i / 7); }

/* {"big": float64 (ROWS, COLS), "s": "hello", "small": int16 [0..9]} */
static jl_doc *source(uint32_t *root) {
    jl_doc *d = jl_doc_new(NULL, NULL);
    assert_non_null(d);
    jl_error err;
    jl_error_clear(&err);
    uint32_t f8, i2;
    assert_int_equal(jl_dtype_parse(d, "<f8", 3, &f8, &err), JL_OK);
    assert_int_equal(jl_dtype_parse(d, "<i2", 3, &i2, &err), JL_OK);
    jl_ref big, small;
    uint8_t *p = jl_heap_alloc(d, BIG, &big, &err);
    assert_non_null(p);
    for (uint64_t i = 0; i < BIG / 8; i++) {
        double v = cell(i);
        memcpy(p + i * 8, &v, 8);
    }
    uint8_t *q = jl_heap_alloc(d, 20, &small, &err);
    assert_non_null(q);
    for (int i = 0; i < 10; i++) {
        int16_t v = (int16_t)(i * 3);
        memcpy(q + 2 * i, &v, 2);
    }
    uint64_t dims[2] = { ROWS, COLS }, dims1[1] = { 10 };
    jl_array_spec sb = { f8, dims, 2, 'C', big, JL_NONE }, ss = { i2, dims1, 1, 'C', small, JL_NONE };
    uint32_t kv[6];
    kv[0] = jl_new_bytes(d, JL_STR, "big", 3, &err);
    kv[1] = jl_array_build(d, &sb, &err);
    kv[2] = jl_new_bytes(d, JL_STR, "s", 1, &err);
    kv[3] = jl_new_bytes(d, JL_STR, "hello", 5, &err);
    kv[4] = jl_new_bytes(d, JL_STR, "small", 5, &err);
    kv[5] = jl_array_build(d, &ss, &err);
    *root = jl_node_new(d, JL_DICT, &err);
    assert_int_not_equal(*root, JL_NONE);
    assert_int_equal(jl_kids_append(d, *root, kv, 6, &err), JL_OK);
    return d;
}

static void expect_row(jl_doc *d, uint32_t row, uint64_t r) {
    const jl_array *a = jl_array_of(d, row);
    assert_int_not_equal(a->data.block, d->lazy_block);
    assert_int_equal(a->data.len, COLS * 8);
    const uint8_t *p = jl_ref_ptr(d, a->data);
    for (uint64_t j = 0; j < COLS; j++) {
        double v;
        memcpy(&v, p + j * 8, 8);
        if (v != cell(r * COLS + j)) fail_msg("row %llu col %llu: %g", (unsigned long long)r, (unsigned long long)j, v);
    }
}

static void check_kind(jl_compression c) {
    uint32_t root;
    jl_doc *src = source(&root);
    jl_error err;
    jl_error_clear(&err);
    jl_test_pair t;
    jl_test_pair_open(&t, src, root, c, "lazy", NULL);
    jl_doc *ref = t.ref, *d = t.d;
    const char *path = t.path;
    uint64_t pn = t.pn;
    assert_true(jl_doc_is_lazy(d));
    assert_int_equal(d->stream_len, pn);
    uint32_t big = jl_dict_get(d, d->root, "big", 3), rbig = jl_dict_get(ref, ref->root, "big", 3);
    uint32_t small = jl_dict_get(d, d->root, "small", 5), s = jl_dict_get(d, d->root, "s", 1);
    assert_int_equal(jl_array_of(d, big)->data.block, d->lazy_block);
    assert_int_equal(jl_array_of(d, big)->stream_off, jl_array_of(ref, rbig)->stream_off);
    assert_int_equal(jl_array_of(d, big)->data.off, jl_array_of(ref, rbig)->stream_off);
    assert_true(jl_ref_eq(d, jl_node_ref(d, s), "hello"));
    assert_memory_equal(jl_ref_ptr(d, jl_array_of(d, small)->data), jl_ref_ptr(ref, jl_array_of(ref, jl_dict_get(ref, ref->root, "small", 5))->data), 20);
    assert_int_equal(jl_array_of(d, small)->stream_off, jl_array_of(ref, jl_dict_get(ref, ref->root, "small", 5))->stream_off);

    /* one row alone (the doc's heap), then the whole array, then rows from it */
    uint32_t row = jl_array_row(d, big, 777, &err);
    assert_int_not_equal(row, JL_NONE);
    assert_int_equal(jl_lazy_load(d, row, &err), JL_OK);
    expect_row(d, row, 777);
    assert_int_equal(jl_array_of(d, big)->data.block, d->lazy_block);
    assert_int_equal(jl_lazy_load(d, d->root, &err), JL_OK);
    assert_int_not_equal(jl_array_of(d, big)->data.block, d->lazy_block);
    assert_memory_equal(jl_ref_ptr(d, jl_array_of(d, big)->data), jl_ref_ptr(ref, jl_array_of(ref, rbig)->data), BIG);
    uint64_t blocks = d->nblocks;
    row = jl_array_row(d, big, ROWS - 1, &err);
    assert_int_equal(jl_lazy_load_whole(d, row, &err), JL_OK);
    expect_row(d, row, ROWS - 1);
    assert_int_equal(d->nblocks, blocks); /* nothing read again */
    jl_doc_free(d);
    t.d = NULL;

    /* max_alloc under the array: the open succeeds, the read says why not */
    jl_limits lim;
    jl_limits_default(&lim);
    lim.max_alloc = (uint64_t)4 << 20;
    jl_open_opts o = { NULL, &lim };
    assert_int_equal(jl_open_file(path, &o, &d, &err), JL_OK);
    big = jl_dict_get(d, d->root, "big", 3);
    assert_int_equal(jl_lazy_load(d, big, &err), JL_E_LIMIT);
    char want[256];
    snprintf(want, sizeof want,
             "an array of %llu bytes (at byte %llu of the %s stream) exceeds max_alloc (4194304 bytes; "
             "joblib_config('max_alloc', N) raises it)",
             (unsigned long long)BIG, (unsigned long long)jl_array_of(ref, rbig)->stream_off, jl_compression_name(c));
    assert_string_equal(err.message, want);
    jl_doc_free(d);
    jl_test_pair_close(&t, src);
    jl_doc_free(src);
}

static void test_kinds(void **state) {
    (void)state;
    static const jl_compression kinds[] = { JL_COMP_ZLIB, JL_COMP_GZIP, JL_COMP_BZ2, JL_COMP_XZ, JL_COMP_LZ4 };
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
        if (jl_compression_available(kinds[k])) check_kind(kinds[k]);
}

/* The uncompressed bundle as xz in 1 MiB Blocks (the multi-threaded
 * encoder): the doc keeps them as its index and reads through it; the
 * same bundle as joblib writes it (one Block) has none. */
static void test_xz_blocks(void **state) {
    (void)state;
#ifdef HAVE_LZMA
    uint32_t root;
    jl_doc *src = source(&root);
    jl_error err;
    jl_error_clear(&err);
    uint8_t *plain, *one;
    uint64_t pn, onen;
    jl_write_opts none = { 4, JL_COMP_NONE, 0 }, xz = { 4, JL_COMP_XZ, 1 };
    assert_int_equal(jl_write_bundle(src, root, &none, &plain, &pn, &err), JL_OK);
    assert_int_equal(jl_write_bundle(src, root, &xz, &one, &onen, &err), JL_OK);
    uint64_t bn;
    uint8_t *blocks = jl_test_xz_blocks(plain, pn, (uint64_t)1 << 20, &bn);
    char path[64], opath[64];
    snprintf(path, sizeof path, "/tmp/jl-lazy-%d-blocks.xz", (int)getpid());
    snprintf(opath, sizeof opath, "/tmp/jl-lazy-%d-one.xz", (int)getpid());
    jl_test_write_file(path, blocks, bn);
    jl_test_write_file(opath, one, onen);

    jl_doc *d = NULL;
    assert_int_equal(jl_open_file(opath, NULL, &d, &err), JL_OK);
    assert_true(jl_doc_is_lazy(d));
    assert_null(d->lazy_index);
    jl_doc_free(d);

    assert_int_equal(jl_open_file(path, NULL, &d, &err), JL_OK);
    assert_true(jl_doc_is_lazy(d));
    assert_non_null(d->lazy_index);
    assert_int_equal(jl_seek_index_points(d->lazy_index), (pn + ((uint64_t)1 << 20) - 1) >> 20);
    assert_int_equal(jl_seek_index_total(d->lazy_index), pn);
    uint32_t big = jl_dict_get(d, d->root, "big", 3);
    uint32_t row = jl_array_row(d, big, ROWS - 2, &err);
    assert_int_equal(jl_lazy_load(d, row, &err), JL_OK);
    expect_row(d, row, ROWS - 2);
    assert_int_equal(jl_lazy_load(d, d->root, &err), JL_OK);
    for (uint32_t i = 0; i < ROWS; i += 97) {
        row = jl_array_row(d, big, i, &err);
        assert_int_equal(jl_lazy_load_whole(d, row, &err), JL_OK);
        expect_row(d, row, i);
    }
    jl_doc_free(d);
    unlink(path);
    unlink(opath);
    free(blocks);
    jl_free(&src->alloc, plain);
    jl_free(&src->alloc, one);
    jl_doc_free(src);
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_xz_blocks),
    };
    return cmocka_run_group_tests_name("lazy_decode", tests, NULL, NULL);
}
