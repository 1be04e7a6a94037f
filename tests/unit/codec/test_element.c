/*
 * test_element.c - numpy elements from plain values (codec/numpy/element.c)
 * and float16 conversion (codec/numpy/half.c): exact bytes in both byte
 * orders, ranges, NaT, UCS-4 text, and the reasons a value does not fit.
 */
#include <math.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>

#include "dtype.h"
#include "element.h"
#include "half.h"
#include "testutil.h"

static jl_doc *D;

static uint32_t dt(const char *s) {
    uint32_t t;
    jl_error err;
    if (jl_dtype_parse(D, s, strlen(s), &t, &err)) fail_msg("%s", err.message);
    return t;
}

/* Expects the bytes (hex) of an element, or the reason it fails. */
static void want(const char *why, const char *got, const uint8_t *p, const char *hex) {
    if (why || got) {
        assert_non_null(why);
        assert_non_null(got);
        assert_string_equal(got, why);
        return;
    }
    char s[80] = "";
    for (size_t i = 0; i < strlen(hex) / 2; i++) snprintf(s + 2 * i, 3, "%02x", p[i]);
    assert_string_equal(s, hex);
}

#define INT(d, v, why, hex) do { uint8_t p[16] = {0}; want(why, jl_elem_from_int(D, dt(d), v, p), p, hex); } while (0)
#define DBL(d, v, why, hex) do { uint8_t p[16] = {0}; want(why, jl_elem_from_double(D, dt(d), v, p), p, hex); } while (0)

static void test_ints(void **state) {
    (void)state;
    INT("<i2", -2, NULL, "feff");
    INT(">i2", -2, NULL, "fffe");
    INT("<i1", 127, NULL, "7f");
    INT("<i1", 128, "out of range", "");
    INT("<i1", -129, "out of range", "");
    INT("<u1", 255, NULL, "ff");
    INT("<u1", 256, "out of range", "");
    INT(">u4", -1, "negative", "");
    INT(">u4", 258, NULL, "00000102");
    INT("<i8", INT64_MIN, NULL, "0000000000000080");
    INT(">M8[s]", INT64_MIN, NULL, "8000000000000000"); /* NaT */
    INT("<m8[D]", 3, NULL, "0300000000000000");
    INT("?", 5, NULL, "01");
    INT("?", 0, NULL, "00");
    INT("<f8", 1, jl_elem_unsupported, "");
    INT("|S3", 1, jl_elem_unsupported, "");
}

static void test_doubles(void **state) {
    (void)state;
    DBL("<f8", 1.5, NULL, "000000000000f83f");
    DBL(">f8", 1.5, NULL, "3ff8000000000000");
    DBL("<f4", -2.0, NULL, "000000c0");
    DBL("<f2", 1.5, NULL, "003e");
    DBL(">f2", 65504.0, NULL, "7bff");
    DBL("<c8", 1.0, NULL, "0000803f00000000");
    DBL(">c16", 1.0, NULL, "3ff00000000000000000000000000000");
    DBL("?", NAN, NULL, "01"); /* NaN is true */
    DBL("?", 0.0, NULL, "00");
    DBL("<f16", 1.0, jl_elem_unsupported, "");
    DBL("<i4", 1.0, jl_elem_unsupported, "");
}

static void test_text(void **state) {
    (void)state;
    uint8_t p[16] = {0};
    assert_null(jl_elem_from_bytes(D, dt("|S3"), "ab", 2, p));
    assert_memory_equal(p, "ab\0", 3);
    assert_string_equal(jl_elem_from_bytes(D, dt("|S3"), "abcd", 4, p), "longer than the dtype's size");
    memset(p, 0, sizeof p);
    assert_null(jl_elem_from_utf8(D, dt("<U3"), (const uint8_t *)"a\xC3\xA9\xF0\x9F\x98\x80", 7, p));
    assert_memory_equal(p, "a\0\0\0\xE9\0\0\0\x00\xF6\x01\0", 12);
    memset(p, 0, sizeof p);
    assert_null(jl_elem_from_utf8(D, dt(">U2"), (const uint8_t *)"\xE2\x82\xAC", 3, p));
    assert_memory_equal(p, "\0\0\x20\xAC\0\0\0\0", 8);
    assert_string_equal(jl_elem_from_utf8(D, dt("<U1"), (const uint8_t *)"ab", 2, p), "longer than the dtype's size");
    assert_ptr_equal(jl_elem_from_utf8(D, dt("|S4"), (const uint8_t *)"a", 1, p), jl_elem_unsupported);
}

static void test_half(void **state) {
    (void)state;
    static const struct { double d; uint16_t h; } cases[] = {
        { 0.0, 0x0000 },    { -0.0, 0x8000 },         { 1.0, 0x3C00 },        { -2.0, 0xC000 },
        { 65504.0, 0x7BFF }, { 65520.0, 0x7C00 },     { 1e9, 0x7C00 },        { 5.960464477539063e-08, 0x0001 },
        { 0.1, 0x2E66 },    { 1.0009765625, 0x3C01 }, { 1.00048828125, 0x3C00 } /* tie to even */,
        { 1.00146484375, 0x3C02 } /* tie to even, up */,
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(jl_half_from_double(cases[i].d), cases[i].h);
    }
    assert_int_equal(jl_half_from_double(INFINITY), 0x7C00);
    assert_int_equal(jl_half_from_double(-INFINITY), 0xFC00);
    assert_true((jl_half_from_double(NAN) & 0x7C00) == 0x7C00 && (jl_half_from_double(NAN) & 0x3FF));
    for (uint32_t h = 0; h < 0x10000; h++) { /* every finite half reads back to itself */
        if ((h & 0x7C00) == 0x7C00) continue;
        assert_int_equal(jl_half_from_double(jl_half_to_double((uint16_t)h)), h);
    }
    assert_true(jl_half_to_double(0x3555) == 0.333251953125);
    assert_true(isinf(jl_half_to_double(0xFC00)) && jl_half_to_double(0xFC00) < 0);
    assert_true(isnan(jl_half_to_double(0x7E00)));
}

static int setup(void **state) {
    (void)state;
    D = jl_doc_new(NULL, NULL);
    return D ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    jl_doc_free(D);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ints), cmocka_unit_test(test_doubles), cmocka_unit_test(test_text),
        cmocka_unit_test(test_half),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
