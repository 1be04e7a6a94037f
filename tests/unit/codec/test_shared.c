/*
 * test_shared.c - shared blocks (codec/core/shared.c) and what stands on them:
 * the reference count and the registry that finds a block from any byte
 * in it; the decompression sink that moves to a shared block past
 * JL_SHARED_MIN (exact bytes for every container, limit errors, small
 * outputs and a failing allocator as before). tests/unit/ext/
 * test_shared_sql.c reads big arrays through SQL from such blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "container.h"
#include "decode.h"
#include "shared.h"

#define MiB ((uint64_t)1 << 20)

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
    if (!jl_test_have_shared()) skip();
    const uint64_t n = 12 * MiB + 12345;
    uint8_t *src = jl_test_pattern(n, 3);
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
    uint8_t *src = jl_test_pattern(n, 5);
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
    int shared = jl_test_have_shared();
    const uint64_t sizes[] = { 100000, 10 * MiB };
    for (size_t s = 0; s < 2; s++) {
        uint64_t n = sizes[s], clen;
        uint8_t *src = jl_test_pattern(n, 9);
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_prefault),
        cmocka_unit_test(test_sink_shared),
        cmocka_unit_test(test_sink_limits),
        cmocka_unit_test(test_sink_allocator),
    };
    return cmocka_run_group_tests_name("shared", tests, NULL, NULL);
}
