/*
 * test_npy_file.c - .npy files as sources (codec/numpy/npy_file.c and
 * codec/pickle/numpy_files.c): the image located and checked, the doc an
 * .npy opens to (root array, dtype, shape, order, 0-d, empty), zero copy
 * from a mapped file, object arrays through the safe VM, and the exact
 * messages for truncated and broken files; every allocation failure frees
 * what it took.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "ndarray.h"
#include "npy_file.h"
#include "opentest.h"
#include "testutil.h"

/* An .npy image of format `major`.0: `dict`, padded, then n bytes of data. */
static uint8_t *make_npy_v(int major, const char *dict, const void *data, size_t n, size_t *len) {
    size_t pre = major == 1 ? 10 : 12, dl = strlen(dict), hl = dl + 1;
    while ((pre + hl) % 64) hl++;
    uint8_t *p = calloc(1, pre + hl + n + 1);
    assert_non_null(p);
    memcpy(p, "\x93NUMPY", 6);
    p[6] = (uint8_t)major;
    p[8] = (uint8_t)hl;
    p[9] = (uint8_t)(hl >> 8);
    memcpy(p + pre, dict, dl);
    memset(p + pre + dl, ' ', hl - dl - 1);
    p[pre + hl - 1] = '\n';
    if (n) memcpy(p + pre + hl, data, n);
    *len = pre + hl + n;
    return p;
}

static uint8_t *make_npy(const char *dict, const void *data, size_t n, size_t *len) {
    return make_npy_v(1, dict, data, n, len);
}

static void open_fails(const uint8_t *p, size_t n, jl_code code, const char *message) {
    jl_test_open_fails(p, n, NULL, code, message, NULL);
}

static const int32_t be_2x3[6] = {0, 0x01000000, 0x02000000, 0x03000000, 0x04000000, 0x05000000};

static void test_locate(void **state) {
    (void)state;
    size_t n;
    uint8_t *p = make_npy("{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }", be_2x3, 24, &n);
    assert_true(jl_npy_magic(p, n));
    assert_false(jl_npy_magic(p, 5));
    assert_false(jl_npy_magic((const uint8_t *)"\x93NUMPZ", 6));
    jl_doc *doc = jl_doc_new(NULL, NULL);
    jl_npy_header h;
    uint64_t nbytes;
    jl_error err;
    assert_int_equal(jl_npy_locate(doc, p, n, &h, &nbytes, &err), JL_OK);
    assert_int_equal(nbytes, 24);
    assert_int_equal(h.data_offset, n - 24);
    assert_int_equal(h.ndim, 2);
    assert_true(h.fortran_order);
    /* one byte short */
    assert_int_equal(jl_npy_locate(doc, p, n - 1, &h, &nbytes, &err), JL_E_TRUNCATED);
    assert_string_equal(err.message, "truncated .npy: the header needs 24 bytes of data, 23 are present");
    assert_int_equal(err.offset, JL_NO_OFFSET);
    /* trailing bytes are ignored, as numpy.load does */
    uint8_t *q = malloc(n + 3);
    memcpy(q, p, n);
    memset(q + n, 0, 3);
    assert_int_equal(jl_npy_locate(doc, q, n + 3, &h, &nbytes, &err), JL_OK);
    free(q);
    free(p);
    /* object arrays carry a pickle: no byte count */
    p = make_npy("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", NULL, 0, &n);
    assert_int_equal(jl_npy_locate(doc, p, n, &h, &nbytes, &err), JL_OK);
    assert_int_equal(nbytes, 0);
    free(p);
    jl_doc_free(doc);
}

static void test_open_npy(void **state) {
    (void)state;
    size_t n;
    uint8_t *p = make_npy("{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }", be_2x3, 24, &n);
    jl_doc *doc = jl_test_open_ok(p, n);
    assert_int_equal(doc->format, JL_FMT_NPY);
    assert_int_equal(doc->nodes[doc->root].kind, JL_NDARRAY);
    const jl_array *a = jl_array_of(doc, doc->root);
    assert_int_equal(a->ndim, 2);
    assert_int_equal(doc->dims[a->dims_at], 2);
    assert_int_equal(doc->dims[a->dims_at + 1], 3);
    assert_int_equal(a->order, 'F');
    assert_int_equal(a->origin, JL_ORIGIN_NPY);
    assert_int_equal(a->stream_off, n - 24);
    assert_int_equal(doc->dtypes[a->dtype].byteorder, '>');
    /* C order, native: Fortran [[0,2,4],[1,3,5]] becomes 0 2 4 1 3 5 */
    const uint8_t *bytes;
    uint64_t len;
    uint8_t *owned = NULL;
    jl_error err;
    assert_int_equal(jl_array_native_bytes(doc, doc->root, &bytes, &len, &owned, &err), JL_OK);
    assert_int_equal(len, 24);
    const int32_t want[6] = {0, 2, 4, 1, 3, 5};
    assert_memory_equal(bytes, want, 24);
    jl_free(&doc->alloc, owned);
    jl_doc_free(doc);
    free(p);

    /* 0-d and empty */
    double v = 2.5;
    p = make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", &v, 8, &n);
    doc = jl_test_open_ok(p, n);
    assert_int_equal(jl_array_of(doc, doc->root)->ndim, 0);
    assert_int_equal(jl_array_of(doc, doc->root)->data.len, 8);
    jl_doc_free(doc);
    free(p);
    p = make_npy("{'descr': '<u2', 'fortran_order': False, 'shape': (4, 0), }", NULL, 0, &n);
    doc = jl_test_open_ok(p, n);
    assert_int_equal(jl_array_count(doc, jl_array_of(doc, doc->root)), 0);
    jl_doc_free(doc);
    free(p);

    /* versions 2.0 and 3.0: a u32 header length; 3.0 is UTF-8 */
    for (int major = 2; major <= 3; major++) {
        p = make_npy_v(major,
                       major == 2
                           ? "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }"
                           : "{'descr': [('\xc3\xa9', '|u1')], 'fortran_order': False, 'shape': (2,), }",
                       "\x07\x09", 2, &n);
        doc = jl_test_open_ok(p, n);
        const jl_array *b = jl_array_of(doc, doc->root);
        assert_int_equal(b->stream_off, n - 2);
        assert_int_equal(b->data.len, 2);
        assert_memory_equal(jl_ref_ptr(doc, b->data), "\x07\x09", 2);
        if (major == 3)
            assert_true(jl_ref_eq(doc, doc->fields[doc->dtypes[b->dtype].fields_at].name, "\xc3\xa9"));
        jl_doc_free(doc);
        free(p);
    }
}

static void test_errors(void **state) {
    (void)state;
    size_t n;
    uint8_t *p = make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (10,), }", NULL, 0, &n);
    uint8_t *full = calloc(1, n + 80);
    memcpy(full, p, n);
    open_fails(full, n + 60, JL_E_TRUNCATED,
               "truncated .npy: the header needs 80 bytes of data, 60 are present");
    open_fails(full, 40, JL_E_TRUNCATED, "npy header claims 118 bytes but only 30 follow");
    open_fails(full, 9, JL_E_TRUNCATED, "npy header: input ends inside the header length");
    open_fails((const uint8_t *)"\x93NUMPY\x04\x00\x00\x00", 10, JL_E_UNSUPPORTED,
               "npy format version 4.0 is not supported");
    free(full);
    free(p);
    p = make_npy("{'descr': '<f8', 'shape': (1,), }", NULL, 0, &n);
    open_fails(p, n, JL_E_FORMAT, "npy header: no 'fortran_order' key at byte 10");
    free(p);
    /* an object array whose pickle is not an array */
    p = make_npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", NULL, 0, &n);
    uint8_t *q = malloc(n + 5);
    memcpy(q, p, n);
    memcpy(q + n, "\x80\x02K\x01.", 5);
    open_fails(q, n + 5, JL_E_FORMAT, "object array payload is a int, not an array at byte 0");
    /* a pickle without STOP */
    char msg[80];
    snprintf(msg, sizeof msg, "file is truncated: the pickle ends at byte %zu without its STOP opcode", n + 4);
    open_fails(q, n + 4, JL_E_TRUNCATED, msg);
    free(q);
    free(p);
}

/* From a file the array's bytes are the mapping's: no copy. */
static void test_zero_copy_file(void **state) {
    (void)state;
    size_t n;
    int64_t data[512];
    for (int i = 0; i < 512; i++) data[i] = i * 3;
    uint8_t *p =
        make_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (512,), }", data, sizeof data, &n);
    char path[] = "/tmp/jl-npy-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
    jl_doc *doc = NULL;
    jl_error err;
    assert_int_equal(jl_open_file(path, NULL, &doc, &err), JL_OK);
    unlink(path);
    assert_int_equal(doc->format, JL_FMT_NPY);
    assert_int_equal(doc->blocks[0].owner, JL_BLOCK_MMAP);
    const jl_array *a = jl_array_of(doc, doc->root);
    assert_int_equal(a->data.block, 0);
    const uint8_t *bytes;
    uint64_t len;
    uint8_t *owned = NULL;
    assert_int_equal(jl_array_native_bytes(doc, doc->root, &bytes, &len, &owned, &err), JL_OK);
    assert_null(owned);
    assert_ptr_equal(bytes, doc->blocks[0].p + (n - sizeof data));
    assert_memory_equal(bytes, data, sizeof data);
    jl_doc_free(doc);
    free(p);
}

static void test_alloc_failures(void **state) {
    (void)state;
    size_t n;
    uint8_t *p = make_npy("{'descr': [('a', '<i4'), ('b', '>f8')], 'fortran_order': False, 'shape': (2,), }",
                          "\1\0\0\0\0\0\0\0\0\0\0\0\2\0\0\0\0\0\0\0\0\0\0\0", 24, &n);
    jl_test_open_alloc_failures(p, n, 400);
    free(p);
}

/* every truncation and many one-byte changes fail cleanly or decode */
static void test_mutations(void **state) {
    (void)state;
    size_t n;
    uint8_t *p =
        make_npy("{'descr': [('a', '<i4'), ('b', '>U2', (2,))], 'fortran_order': True, 'shape': (2, 1), }",
                 NULL, 0, &n);
    uint8_t *img = calloc(1, n + 80);
    memcpy(img, p, n);
    n += 2 * 20;
    for (size_t k = 0; k < n; k++) { /* short data: every prefix fails */
        jl_doc *doc = NULL;
        jl_error err;
        assert_int_not_equal(jl_open_memory(img, k, 0, NULL, &doc, &err), JL_OK);
    }
    jl_test_open_mutations(img, n, 51);
    free(img);
    free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_locate),         cmocka_unit_test(test_open_npy),
        cmocka_unit_test(test_errors),         cmocka_unit_test(test_zero_copy_file),
        cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
