/*
 * test_decode.c - the pickle decoder and joblib layouts at the codec level:
 * the seed example (protocols 4 and 2), hand-written pickles for opcodes,
 * py2 strings, memo and marks, every file of the upstream corpus with its
 * known content, and bad input (every truncation, unknown opcodes, memo
 * misses, lying sizes) giving errors, never crashes or leaks.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "dtype.h"
#include "opentest.h"
#include "seed_bytes.h"
#include "testutil.h"

static uint32_t kid(const jl_doc *doc, uint32_t id, uint32_t i) {
    assert_true(jl_is_container(doc->nodes[id].kind));
    assert_true(i < doc->nodes[id].len);
    return jl_kids_of(doc, id)[i];
}

static void assert_str(const jl_doc *doc, uint32_t id, const char *s) {
    assert_int_equal(doc->nodes[id].kind, JL_STR);
    assert_int_equal(doc->nodes[id].len, strlen(s));
    assert_memory_equal(jl_ref_ptr(doc, jl_node_ref(doc, id)), s, strlen(s));
}

static void assert_int(const jl_doc *doc, uint32_t id, int64_t v) {
    assert_int_equal(doc->nodes[id].kind, JL_INT);
    assert_int_equal(doc->nodes[id].u.i, v);
}

/* an ndarray of int64 0..n-1 (or float64 when is_float) */
static void assert_arange(const jl_doc *doc, uint32_t id, unsigned n, int is_float) {
    assert_int_equal(doc->nodes[id].kind, JL_NDARRAY);
    const jl_array *a = jl_array_of(doc, id);
    const jl_dtype *d = &doc->dtypes[a->dtype];
    assert_int_equal(d->kind, is_float ? 'f' : 'i');
    assert_int_equal(d->itemsize, 8);
    assert_int_equal(a->data.len, 8 * n);
    const uint8_t *p = jl_ref_ptr(doc, a->data);
    for (unsigned i = 0; i < n; i++) {
        if (is_float) {
            double v;
            memcpy(&v, p + 8 * i, 8);
            assert_true(v == (double)i);
        } else {
            int64_t v;
            memcpy(&v, p + 8 * i, 8);
            assert_int_equal(v, i);
        }
    }
}

static void check_seed(const jl_doc *doc, uint64_t data_off) {
    uint32_t root = doc->root;
    assert_int_equal(doc->nodes[root].kind, JL_LIST);
    assert_int_equal(doc->nodes[root].len, 2);
    uint32_t t0 = kid(doc, root, 0), t1 = kid(doc, root, 1);
    assert_int_equal(doc->nodes[t0].kind, JL_TUPLE);
    assert_str(doc, kid(doc, t0, 0), "a");
    uint32_t l = kid(doc, t0, 1);
    assert_int_equal(doc->nodes[l].kind, JL_LIST);
    for (unsigned i = 0; i < 3; i++) assert_int(doc, kid(doc, l, i), i + 1);
    assert_str(doc, kid(doc, t1, 0), "b");
    uint32_t arr = kid(doc, t1, 1);
    assert_arange(doc, arr, 10, 0);
    const jl_array *a = jl_array_of(doc, arr);
    assert_int_equal(a->ndim, 1);
    assert_int_equal(doc->dims[a->dims_at], 10);
    assert_int_equal(a->order, 'C');
    assert_int_equal(a->stream_off, data_off);
    assert_int_equal(a->data.off, data_off);
    assert_int_equal(doc->format, JL_FMT_JOBLIB);
}

static void test_seed_protocol4(void **state) {
    (void)state;
    assert_int_equal(sizeof seed_p4, 333);
    jl_doc *doc = jl_test_open_ok(seed_p4, sizeof seed_p4);
    check_seed(doc, 240);
    assert_int_equal(doc->protocol, 4);
    assert_int_equal(doc->python, 3);
    jl_doc_free(doc);
}

static void test_seed_protocol2(void **state) {
    (void)state;
    assert_int_equal(sizeof seed_p2, 373);
    jl_doc *doc = jl_test_open_ok(seed_p2, sizeof seed_p2);
    check_seed(doc, 288);
    assert_int_equal(doc->protocol, 2);
    jl_doc_free(doc);
}

/* every prefix of the seed fails cleanly; so does every single-byte
 * change (it may also decode) - under ASan this proves no bad access */
static void test_seed_truncations_and_mutations(void **state) {
    (void)state;
    for (size_t n = 0; n < sizeof seed_p4; n++) {
        jl_doc *doc = NULL;
        jl_error err;
        int rc = jl_open_memory(seed_p4, n, 0, NULL, &doc, &err);
        assert_int_not_equal(rc, JL_OK);
        assert_null(doc);
        assert_true(strlen(err.message) > 0);
    }
    uint8_t buf[sizeof seed_p4];
    for (size_t i = 0; i < sizeof seed_p4; i++) {
        for (int v = 0; v < 256; v += 51) {
            memcpy(buf, seed_p4, sizeof buf);
            buf[i] = (uint8_t)(buf[i] ^ (v | 1));
            jl_doc *doc = NULL;
            jl_error err;
            if (jl_open_memory(buf, sizeof buf, 1, NULL, &doc, &err) == JL_OK) jl_doc_free(doc);
        }
    }
}

static void expect_error(const char *bytes, size_t n, jl_code code, const char *fragment) {
    jl_doc *doc = NULL;
    jl_error err;
    int rc = jl_open_memory((const uint8_t *)bytes, n, 0, NULL, &doc, &err);
    if (rc == JL_OK) jl_doc_free(doc);
    assert_int_equal(rc, code);
    if (!strstr(err.message, fragment)) print_message("message: %s\n", err.message);
    assert_non_null(strstr(err.message, fragment));
}

static void test_bad_input(void **state) {
    (void)state;
    expect_error("\x80\x04\xff.", 4, JL_E_FORMAT, "unknown opcode 0xff at byte 2");
    expect_error("\x80\x02h\x05.", 4, JL_E_FORMAT, "memo index 5 is not set at byte 2 (BINGET)");
    expect_error("\x80\x02j\x00\x00\x00\x80.", 7, JL_E_FORMAT, "memo index 2147483648 is not set");
    expect_error("\x80\x02N", 3, JL_E_TRUNCATED, "file is truncated: the pickle ends at byte 3 without its STOP opcode");
    expect_error("\x80\x02" "a.", 4, JL_E_FORMAT, "stack underflow");
    expect_error("\x80\x02" "e.", 4, JL_E_FORMAT, "no MARK");
    expect_error("\x80\x02" "B\xff\xff\xff\x7f" "abc.", 11, JL_E_TRUNCATED, "file is truncated: BINBYTES at byte 2 needs 2147483647 bytes but only 4 remain");
    expect_error("\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\xff.", 12, JL_E_TRUNCATED, "file is truncated: BINBYTES8 at byte 2 needs 18446744073709551615 bytes but only 1 remain");
    expect_error("\x80\x02" "r\x00\x00\x00\x80" "N.", 8, JL_E_FORMAT, "stack underflow");
    expect_error("\x80\x02" "Nr\x00\x00\x00\x80.", 8, JL_E_LIMIT, "memo index 2147483648 exceeds max_memo");
    expect_error("\x80\x09N.", 4, JL_E_FORMAT, "unsupported pickle protocol 9");
    expect_error("\x80\x05\x97.", 4, JL_E_UNSUPPORTED, "out-of-band buffers");
    expect_error("", 0, JL_E_TRUNCATED, "empty input");
    expect_error("\x80\x02T\xff\xff\xff\xff.", 8, JL_E_FORMAT, "negative length");
    expect_error("\x80\x04\x8c\x02\xc3\x28.", 7, JL_E_FORMAT, "str that is not UTF-8 at byte 2 (SHORT_BINUNICODE)");
    expect_error("\x80\x02X\x01\x00\x00\x00\xff.", 9, JL_E_FORMAT, "str that is not UTF-8");
    expect_error("c\xffos\nsystem\n.", 12, JL_E_FORMAT, "class name that is not UTF-8");
    /* a REDUCE of os.system stays data */
    const char evil[] = "cos\nsystem\n(S'touch /tmp/jl_pwned'\ntR.";
    jl_doc *doc = jl_test_open_ok(evil, sizeof evil - 1);
    assert_int_equal(doc->nodes[doc->root].kind, JL_OBJECT);
    const jl_object *o = jl_object_of(doc, doc->root);
    assert_true(jl_ref_eq(doc, jl_global_of(doc, o->cls)->module, "os"));
    assert_true(jl_ref_eq(doc, jl_global_of(doc, o->cls)->name, "system"));
    jl_doc_free(doc);
}

static void test_marks_depth_limit(void **state) {
    (void)state;
    size_t n = 200000;
    char *p = malloc(n + 3);
    p[0] = (char)0x80;
    p[1] = 2;
    memset(p + 2, '(', n);
    p[n + 2] = '.';
    jl_limits lim;
    jl_limits_default(&lim);
    lim.max_depth = 1000;
    jl_open_opts o = { NULL, &lim };
    jl_doc *doc = NULL;
    jl_error err;
    assert_int_equal(jl_open_memory((uint8_t *)p, n + 3, 1, &o, &doc, &err), JL_E_LIMIT);
    assert_non_null(strstr(err.message, "max_depth (1000)"));
    free(p);
}

/* protocol 0 text opcodes, py2 strings and longs, memo by PUT/GET */
static void test_text_opcodes(void **state) {
    (void)state;
    const char p0[] = "(lp0\nI1\naF1.5\naS'ab\\x00\\xff'\np1\naS'plain'\naL12345678901234567890123L\n"
                      "aVh\\u00e9\\U0001f600\naI01\nag1\naNa(I1\nI2\ntp2\na.";
    jl_doc *doc = jl_test_open_ok(p0, sizeof p0 - 1);
    uint32_t r = doc->root;
    assert_int_equal(doc->nodes[r].kind, JL_LIST);
    assert_int_equal(doc->nodes[r].len, 10);
    assert_int(doc, kid(doc, r, 0), 1);
    assert_true(doc->nodes[kid(doc, r, 1)].u.f == 1.5);
    uint32_t b = kid(doc, r, 2);
    assert_int_equal(doc->nodes[b].kind, JL_BYTES); /* py2 str, not ASCII */
    assert_true(doc->nodes[b].flags & JL_F_PY2);
    assert_memory_equal(jl_ref_ptr(doc, jl_node_ref(doc, b)), "ab\x00\xff", 4);
    assert_str(doc, kid(doc, r, 3), "plain");
    assert_true(doc->nodes[kid(doc, r, 3)].flags & JL_F_PY2);
    uint32_t big = kid(doc, r, 4);
    assert_true(doc->nodes[big].flags & JL_F_BIG);
    /* 12345678901234567890123 = 0x029D42B64E76714244CB little-endian */
    const uint8_t want[] = { 0xCB, 0x44, 0x42, 0x71, 0x76, 0x4E, 0xB6, 0x42, 0x9D, 0x02 };
    assert_int_equal(doc->nodes[big].len, sizeof want);
    assert_memory_equal(jl_ref_ptr(doc, jl_node_ref(doc, big)), want, sizeof want);
    assert_str(doc, kid(doc, r, 5), "h\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(doc->nodes[kid(doc, r, 6)].kind, JL_BOOL);
    assert_int_equal(kid(doc, r, 7), b); /* GET 1 is the same node */
    assert_int_equal(doc->nodes[kid(doc, r, 8)].kind, JL_NULL);
    assert_int_equal(doc->nodes[kid(doc, r, 9)].kind, JL_TUPLE);
    assert_int_equal(doc->python, 2);
    jl_doc_free(doc);
}

/* l = [l]; sets, frozensets, complex, _codecs.encode, OrderedDict */
static void test_reductions_and_cycles(void **state) {
    (void)state;
    const char cyc[] = "\x80\x04]\x94h\x00" "a.";
    jl_doc *doc = jl_test_open_ok(cyc, sizeof cyc - 1);
    assert_int_equal(kid(doc, doc->root, 0), doc->root);
    jl_doc_free(doc);

    const char red[] = "\x80\x02(c__builtin__\nset\n]K\x01" "a\x85R"
                       "c__builtin__\ncomplex\nG?\xf8\x00\x00\x00\x00\x00\x00G\xc0\x00\x00\x00\x00\x00\x00\x00\x86R"
                       "c_codecs\nencode\nX\x02\x00\x00\x00\xc3\xbfX\x06\x00\x00\x00latin1\x86R"
                       "ccollections\nOrderedDict\n)RX\x01\x00\x00\x00kK\x07s"
                       "l.";
    doc = jl_test_open_ok(red, sizeof red - 1);
    uint32_t r = doc->root;
    assert_int_equal(doc->nodes[r].len, 4);
    uint32_t s = kid(doc, r, 0);
    assert_int_equal(doc->nodes[s].kind, JL_SET);
    assert_int(doc, kid(doc, s, 0), 1);
    uint32_t c = kid(doc, r, 1);
    assert_int_equal(doc->nodes[c].kind, JL_COMPLEX);
    double z[2];
    memcpy(z, jl_ref_ptr(doc, jl_node_ref(doc, c)), 16);
    assert_true(z[0] == 1.5 && z[1] == -2.0);
    uint32_t by = kid(doc, r, 2);
    assert_int_equal(doc->nodes[by].kind, JL_BYTES);
    assert_int_equal(doc->nodes[by].len, 1);
    assert_int_equal(jl_ref_ptr(doc, jl_node_ref(doc, by))[0], 0xFF);
    uint32_t od = kid(doc, r, 3);
    assert_int_equal(doc->nodes[od].kind, JL_DICT);
    assert_int(doc, jl_dict_get(doc, od, "k", 1), 7);
    jl_doc_free(doc);
}

static int is_main_file(const char *name) {
    size_t n = strlen(name);
    if (n > 4 && strcmp(name + n - 4, ".npy") == 0) return 0;
    if (n > 6 && strcmp(name + n - 6, ".npy.z") == 0) return 0;
    return strncmp(name, "joblib_", 7) == 0;
}

/* the corpus content: [arange(5,i8), arange(5,f8), array([1,'abc',{'a':1,'b':2}],O),
 * bytes(range(256)), matrix([0,1,2]), "C'est l'été !"] */
static void check_corpus_doc(const jl_doc *doc, const char *name) {
    uint32_t r = doc->root;
    assert_int_equal(doc->nodes[r].kind, JL_LIST);
    assert_int_equal(doc->nodes[r].len, 6);
    assert_arange(doc, kid(doc, r, 0), 5, 0);
    assert_arange(doc, kid(doc, r, 1), 5, 1);
    uint32_t oa = kid(doc, r, 2);
    assert_int_equal(doc->nodes[oa].kind, JL_NDARRAY);
    const jl_array *a = jl_array_of(doc, oa);
    assert_int_equal(doc->dtypes[a->dtype].kind, 'O');
    uint32_t items = a->items;
    assert_int_equal(doc->nodes[items].len, 3);
    assert_int(doc, kid(doc, items, 0), 1);
    assert_str(doc, kid(doc, items, 1), "abc");
    uint32_t d = kid(doc, items, 2);
    assert_int(doc, jl_dict_get(doc, d, "a", 1), 1);
    assert_int(doc, jl_dict_get(doc, d, "b", 1), 2);
    uint32_t b = kid(doc, r, 3);
    assert_int_equal(doc->nodes[b].kind, JL_BYTES);
    assert_int_equal(doc->nodes[b].len, 256);
    const uint8_t *bp = jl_ref_ptr(doc, jl_node_ref(doc, b));
    for (int i = 0; i < 256; i++) assert_int_equal(bp[i], i);
    uint32_t m = kid(doc, r, 4);
    assert_int_equal(doc->nodes[m].kind, JL_NDARRAY);
    const jl_array *ma = jl_array_of(doc, m);
    assert_int_equal(ma->ndim, 2);
    assert_int_equal(doc->dims[ma->dims_at], 1);
    assert_int_equal(doc->dims[ma->dims_at + 1], 3);
    assert_true(jl_ref_eq(doc, jl_global_of(doc, ma->cls)->name, "matrix"));
    int64_t mv[3];
    memcpy(mv, jl_ref_ptr(doc, ma->data), 24);
    assert_true(mv[0] == 0 && mv[1] == 1 && mv[2] == 2);
    assert_str(doc, kid(doc, r, 5), "C'est l'\xc3\xa9t\xc3\xa9 !");
    if (strstr(name, "_py27_")) assert_int_equal(doc->python, 2);
    else assert_int_equal(doc->python, 3);
}

static void test_corpus(void **state) {
    (void)state;
    const char *dir = jl_test_corpus_dir();
    if (!dir) {
        print_message("corpus not found: skipped\n");
        skip();
    }
    DIR *dh = opendir(dir);
    assert_non_null(dh);
    struct dirent *e;
    int count = 0;
    char path[8192];
    while ((e = readdir(dh))) {
        if (!is_main_file(e->d_name)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        jl_doc *doc = NULL;
        jl_error err;
        int rc = jl_open_file(path, NULL, &doc, &err);
        if (rc) print_message("%s: %s\n", e->d_name, err.message);
        assert_int_equal(rc, JL_OK);
        check_corpus_doc(doc, e->d_name);
        if (strstr(e->d_name, "0.9.2_pickle")) assert_int_equal(doc->format, JL_FMT_LEGACY);
        if (strstr(e->d_name, "0.9.2_compressed")) assert_int_equal(doc->format, JL_FMT_ZF);
        if (strstr(e->d_name, "0.10.0_pickle")) assert_int_equal(doc->format, JL_FMT_JOBLIB);
        jl_doc_free(doc);
        count++;
    }
    closedir(dh);
    assert_int_equal(count, 43);
}

/* every allocation failure point of opening the seed fails cleanly */
static void test_alloc_failures(void **state) {
    (void)state;
    jl_test_open_alloc_failures(seed_p4, sizeof seed_p4, 200);
}

/* A list of 40 str, each memoized (BINPUT i, or MEMOIZE), and one more
 * at a sparse index (LONG_BINPUT 1000000): the memo grows, dense and
 * sparse, while it is decoded. Returns the length written to p. */
static size_t memo_stream(uint8_t *p, int memoize) {
    size_t n = 0;
    p[n++] = 0x80, p[n++] = 2, p[n++] = ']', p[n++] = '(';
    for (int i = 0; i <= 40; i++) {
        p[n++] = 0x8C, p[n++] = 1, p[n++] = (uint8_t)('0' + i);
        if (i == 40) {
            p[n++] = 'r', p[n++] = 0x40, p[n++] = 0x42, p[n++] = 0x0F, p[n++] = 0;
        } else if (memoize) {
            p[n++] = 0x94;
        } else {
            p[n++] = 'q', p[n++] = (uint8_t)i;
        }
    }
    p[n++] = 'e', p[n++] = '.';
    return n;
}

/* one allocation that fails, wherever it is, fails the open with
 * JL_E_NOMEM (it is not taken for some other answer of the code around
 * it, e.g. "go to the sparse memo") and leaks nothing */
static void test_single_alloc_failures(void **state) {
    (void)state;
    uint8_t p[400];
    for (int memoize = 0; memoize < 2; memoize++) {
        size_t len = memo_stream(p, memoize);
        for (long k = 0;; k++) {
            jl_test_alloc t;
            jl_test_alloc_init(&t, k);
            t.once = 1;
            jl_open_opts o = { &t.alloc, NULL };
            jl_doc *doc = NULL;
            jl_error err;
            int rc = jl_open_memory(p, len, 0, &o, &doc, &err);
            if (t.fail_after >= 0) { /* the open made fewer than k + 1 allocations */
                assert_int_equal(rc, JL_OK);
                assert_int_equal(doc->nodes[doc->root].len, 41);
                jl_doc_free(doc);
                assert_int_equal(t.live, 0);
                break;
            }
            assert_int_equal(rc, JL_E_NOMEM);
            assert_int_equal(t.live, 0);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_protocol4),
        cmocka_unit_test(test_seed_protocol2),
        cmocka_unit_test(test_seed_truncations_and_mutations),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_marks_depth_limit),
        cmocka_unit_test(test_text_opcodes),
        cmocka_unit_test(test_reductions_and_cycles),
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_single_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
