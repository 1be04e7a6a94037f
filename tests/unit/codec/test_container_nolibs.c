/*
 * test_container_nolibs.c - container.c built without bzip2, liblzma and
 * liblz4 (as on a system that lacks them): those codecs report
 * "this build has no <name> support" while zlib, gzip and ZF still work
 * and detection is unchanged.
 *
 * The source is compiled a second time here with HAVE_* undefined and its
 * public names renamed, so it does not clash with the library's copy.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#undef HAVE_BZ2
#undef HAVE_LZMA
#undef HAVE_LZ4
#define jl_detect nl_detect
#define jl_compression_name nl_compression_name
#define jl_compression_available nl_compression_available
#define jl_decompress nl_decompress
#define jl_compress nl_compress
#include "container.c"

static void test_unsupported(void **state) {
    (void)state;
    static const struct {
        jl_compression kind;
        const char *magic;
        size_t n;
        int level;
        const char *message;
    } cases[] = {
        { JL_COMP_BZ2, "BZh91AY&SY", 10, 9, "this build has no bz2 support" },
        { JL_COMP_LZMA, "\x5d\x00\x00\x80\x00\xff\xff\xff\xff\xff\xff\xff\xff", 13, 6,
          "this build has no lzma support" },
        { JL_COMP_XZ,
          "\xfd"
          "7zXZ\x00\x00\x04",
          8, 6, "this build has no xz support" },
        { JL_COMP_LZ4, "\x04\x22\x4d\x18\x40\x40\xc0", 7, 0, "this build has no lz4 support" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *out = (uint8_t *)1;
        uint64_t len = 1;
        jl_error err;
        size_t n = cases[i].n;
        assert_int_equal(nl_compression_available(cases[i].kind), 0);
        assert_int_equal(nl_detect((const uint8_t *)cases[i].magic, n), cases[i].kind);
        assert_int_equal(nl_decompress(cases[i].kind, (const uint8_t *)cases[i].magic, n, NULL, 100,
                                       &out, &len, &err),
                         JL_E_UNSUPPORTED);
        assert_string_equal(err.message, cases[i].message);
        assert_null(out);
        assert_int_equal(nl_compress(cases[i].kind, cases[i].level, (const uint8_t *)"abc", 3, NULL,
                                     &out, &len, &err),
                         JL_E_UNSUPPORTED);
        assert_string_equal(err.message, cases[i].message);
    }
}

static void test_zlib_still_works(void **state) {
    (void)state;
    static const jl_compression kinds[] = { JL_COMP_NONE, JL_COMP_ZLIB, JL_COMP_GZIP, JL_COMP_ZF };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        uint8_t *comp, *back;
        uint64_t clen, blen;
        jl_error err;
        assert_int_equal(nl_compression_available(kinds[i]), 1);
        assert_int_equal(nl_compress(kinds[i], kinds[i] == JL_COMP_NONE ? 0 : 3,
                                     (const uint8_t *)"hello", 5, NULL, &comp, &clen, &err),
                         JL_OK);
        assert_int_equal(nl_decompress(kinds[i], comp, clen, NULL, 5, &back, &blen, &err), JL_OK);
        assert_int_equal(blen, 5);
        assert_memory_equal(back, "hello", 5);
        free(comp);
        free(back);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_zlib_still_works),
    };
    return cmocka_run_group_tests_name("container_nolibs", tests, NULL, NULL);
}
