/*
 * test_compress_arg.c - joblib.dump's compression choice
 * (codec/write/compress_arg.c): levels, method names, 'method:level',
 * 'npy', dest's extension, and the exact error messages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compress_arg.h"
#include "testutil.h"

/* Expects the choice (c, level, npy) from a level / a text argument. */
static void want_level(int64_t level, const char *dest, jl_compression c, int lvl) {
    jl_compress_choice ch;
    jl_error err;
    if (!jl_compression_available(c)) return;
    if (jl_compress_from_level(level, dest, &ch, &err) != JL_OK) fail_msg("%s", err.message);
    assert_int_equal(ch.c, c);
    assert_int_equal(ch.level, lvl);
    assert_int_equal(ch.npy, 0);
}

static void want_text(const char *s, const char *dest, jl_compression c, int lvl) {
    jl_compress_choice ch;
    jl_error err;
    if (!jl_compression_available(c)) return;
    if (jl_compress_from_text(s, dest, 1, &ch, &err) != JL_OK) fail_msg("%s: %s", s, err.message);
    assert_int_equal(ch.c, c);
    assert_int_equal(ch.level, lvl);
    assert_int_equal(ch.npy, 0);
}

static void want_text_error(const char *s, int allow_npy, jl_code code, const char *msg) {
    jl_compress_choice ch;
    jl_error err;
    assert_int_equal(jl_compress_from_text(s, NULL, allow_npy, &ch, &err), code);
    assert_string_equal(err.message, msg);
}

static void test_levels(void **state) {
    (void)state;
    want_level(0, NULL, JL_COMP_NONE, 0);
    want_level(0, "a.pkl", JL_COMP_NONE, 0);
    want_level(3, NULL, JL_COMP_ZLIB, 3);
    want_level(9, "a.pkl", JL_COMP_ZLIB, 9);
    want_level(5, "a.gz", JL_COMP_GZIP, 5);
    want_text("7", NULL, JL_COMP_ZLIB, 7);
    want_text("0", "a.gz", JL_COMP_GZIP, 3);
    jl_compress_choice ch;
    jl_error err;
    assert_int_equal(jl_compress_from_level(10, NULL, &ch, &err), JL_E_ARG);
    assert_string_equal(err.message, "compress level must be 0-9, not 10");
    assert_int_equal(jl_compress_from_level(-1, "a.z", &ch, &err), JL_E_ARG);
    assert_string_equal(err.message, "compress level must be 0-9, not -1");
}

static void test_extensions(void **state) {
    (void)state;
    /* the extension picks the method at joblib's default level */
    want_level(0, "a.z", JL_COMP_ZLIB, 3);
    want_level(0, "dir/a.pkl.gz", JL_COMP_GZIP, 3);
    want_level(0, "a.bz2", JL_COMP_BZ2, 9);
    want_level(0, "a.lzma", JL_COMP_LZMA, 6);
    want_level(0, "a.xz", JL_COMP_XZ, 6);
    want_level(0, "a.lz4", JL_COMP_LZ4, 0); /* lz4 stays lz4 at its level 0 */
    want_level(0, "a.Z", JL_COMP_NONE, 0);  /* case matters, as in joblib */
    assert_null(jl_compress_by_extension(NULL));
    assert_null(jl_compress_by_extension("a.pkl"));
    assert_string_equal(jl_compress_by_extension("x.gz")->name, "gzip");
    assert_int_equal(jl_compress_nmethods, 6);
}

static void test_methods(void **state) {
    (void)state;
    want_text("zlib", NULL, JL_COMP_ZLIB, 3);
    want_text("gzip", "a.z", JL_COMP_GZIP, 3); /* a named method wins over dest */
    want_text("gzip:9", NULL, JL_COMP_GZIP, 9);
    want_text("zlib:0", "a.gz", JL_COMP_NONE, 0); /* level 0: uncompressed */
    want_text("bz2", NULL, JL_COMP_BZ2, 3);
    want_text("xz:1", NULL, JL_COMP_XZ, 1);
    want_text("lz4", NULL, JL_COMP_LZ4, 3);
    jl_compress_choice ch;
    jl_error err;
    assert_int_equal(jl_compress_from_text("npy", "a.gz", 1, &ch, &err), JL_OK);
    assert_int_equal(ch.npy, 1);
    assert_int_equal(ch.c, JL_COMP_NONE);
    assert_int_equal(ch.level, 0);
}

static void test_errors(void **state) {
    (void)state;
    want_text_error("brotli", 1, JL_E_ARG,
                    "unknown compressor 'brotli' (expected zlib, gzip, bz2, lzma, xz, lz4 or a level 0-9, "
                    "optionally as 'method:level')");
    want_text_error("gzip:x", 1, JL_E_ARG, "compress level in 'gzip:x' must be 0-9");
    want_text_error("zlib:10", 1, JL_E_ARG, "compress level in 'zlib:10' must be 0-9");
    want_text_error("10", 1, JL_E_ARG,
                    "unknown compressor '10' (expected zlib, gzip, bz2, lzma, xz, lz4 or a level 0-9, "
                    "optionally as 'method:level')");
    want_text_error("npy:3", 1, JL_E_ARG, "compress 'npy' takes no level");
    want_text_error("npy:3", 0, JL_E_ARG, "compress 'npy' takes no level");
    want_text_error("npy", 0, JL_E_ARG,
                    "compress 'npy' (the legacy layout with .npy sidecar files) is supported by joblib_dump only");
    for (size_t i = 0; i < jl_compress_nmethods; i++) {
        const jl_compress_method *m = &jl_compress_methods[i];
        if (jl_compression_available(m->c)) continue;
        char msg[64];
        snprintf(msg, sizeof msg, "this build has no %s support", jl_compression_name(m->c));
        want_text_error(m->name, 1, JL_E_UNSUPPORTED, msg);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
