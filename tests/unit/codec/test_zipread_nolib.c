/*
 * test_zipread_nolib.c - zipread.c built without libzip (as on a system
 * that lacks libzip-dev): every open says "this build has no zip support"
 * and the magic check still works. The source is compiled a second time
 * here with HAVE_LIBZIP undefined and its public names renamed, so it does
 * not clash with the library's copy.
 */
#include "testutil.h"

#include <string.h>

#undef HAVE_LIBZIP
#define jl_zip_magic nl_zip_magic
#define jl_zip_available nl_zip_available
#define jl_zip_open nl_zip_open
#define jl_zip_close nl_zip_close
#define jl_zip_count nl_zip_count
#define jl_zip_member_at nl_zip_member_at
#define jl_zip_read nl_zip_read
#include "zipread.c"

static void test_no_zip_support(void **state) {
    (void)state;
    static const uint8_t empty_zip[22] = {'P', 'K', 5, 6};
    assert_false(nl_zip_available());
    assert_true(nl_zip_magic(empty_zip, sizeof empty_zip));
    jl_zip *z = (jl_zip *)1;
    jl_error err;
    assert_int_equal(nl_zip_open(empty_zip, sizeof empty_zip, jl_alloc_default(), &z, &err),
                     JL_E_UNSUPPORTED);
    assert_null(z);
    assert_string_equal(err.message, "this build has no zip support");
    uint64_t budget = 100, len = 1;
    uint8_t *out = (uint8_t *)1;
    assert_int_equal(nl_zip_read(NULL, 0, 100, &budget, &out, &len, &err), JL_E_UNSUPPORTED);
    assert_null(out);
    assert_int_equal(len, 0);
    assert_int_equal(nl_zip_count(NULL), 0);
    nl_zip_close(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_zip_support),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
