/*
 * test_zipload_missing.c - a build with zip support on a system where
 * libzip cannot be loaded (libzip4 removed): zipload.c and zipread.c are
 * compiled a second time here, their public names renamed, with a soname
 * that does not exist. Every open fails with JL_E_UNSUPPORTED and "this
 * build's zip support needs libzip (...), which could not be loaded:
 * <dlerror>", the same from several threads at once (the load is tried
 * once), and the magic check still works. Skips (77) without HAVE_LIBZIP.
 */
#include "testutil.h"

#ifdef HAVE_LIBZIP

#include <pthread.h>
#include <string.h>

#undef JL_LIBZIP_SONAME
#define JL_LIBZIP_SONAME "libjl-test-no-such-zip.so.4"
#define jl_zipload ml_zipload
#define jl_zip_magic ml_zip_magic
#define jl_zip_available ml_zip_available
#define jl_zip_open ml_zip_open
#define jl_zip_close ml_zip_close
#define jl_zip_count ml_zip_count
#define jl_zip_member_at ml_zip_member_at
#define jl_zip_read ml_zip_read
#include "zipload.c"
#include "zipread.c"

static const uint8_t empty_zip[22] = {'P', 'K', 5, 6};

static void expect_load_error(const jl_error *err) {
    static const char want[] =
        "this build's zip support needs libzip (" JL_LIBZIP_PACKAGE "), which could not be loaded: ";
    assert_int_equal(err->code, JL_E_UNSUPPORTED);
    assert_int_equal(strncmp(err->message, want, sizeof want - 1), 0);
    /* dlerror names the library it could not open */
    assert_non_null(strstr(err->message + sizeof want - 1, "libjl-test-no-such-zip.so.4"));
}

static void *open_in_thread(void *arg) {
    jl_error *err = arg;
    jl_zip *z = (jl_zip *)1;
    int rc = ml_zip_open(empty_zip, sizeof empty_zip, jl_alloc_default(), &z, err);
    return rc == JL_E_UNSUPPORTED && z == NULL ? arg : NULL;
}

static void test_first_opens_race(void **state) {
    (void)state;
    enum { N = 4 };
    pthread_t t[N];
    jl_error errs[N];
    for (int i = 0; i < N; i++) assert_int_equal(pthread_create(&t[i], NULL, open_in_thread, &errs[i]), 0);
    for (int i = 0; i < N; i++) {
        void *ret = NULL;
        assert_int_equal(pthread_join(t[i], &ret), 0);
        assert_ptr_equal(ret, &errs[i]);
        expect_load_error(&errs[i]);
        assert_string_equal(errs[i].message, errs[0].message);
    }
}

static void test_open_fails_with_reason(void **state) {
    (void)state;
    assert_true(ml_zip_available());
    assert_true(ml_zip_magic(empty_zip, sizeof empty_zip));
    for (int round = 0; round < 2; round++) {
        jl_zip *z = (jl_zip *)1;
        jl_error err;
        assert_int_equal(ml_zip_open(empty_zip, sizeof empty_zip, jl_alloc_default(), &z, &err),
                         JL_E_UNSUPPORTED);
        assert_null(z);
        expect_load_error(&err);
    }
    const jl_zipfn *fn = (const jl_zipfn *)1;
    jl_error err;
    assert_int_equal(ml_zipload(&fn, &err), JL_E_UNSUPPORTED);
    assert_null(fn);
    expect_load_error(&err);
    ml_zip_close(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_opens_race),
        cmocka_unit_test(test_open_fails_with_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void) { return 77; /* no zip support in this build: nothing to load */ }

#endif
