/*
 * test_shared_buf.c - byte buffers (jl_buf) that move to a shared block
 * past JL_SHARED_MIN when asked to (can_share): exact bytes across the
 * move and later growth, free and take releasing the block, a sink-backed
 * buffer never moving. The bundle BLOBs the write functions return from
 * such buffers are tested in tests/unit/ext/test_shared_sql.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "shared.h"

#define MiB ((uint64_t)1 << 20)

/* Appends n bytes of a counter pattern starting at `from` in pieces of `step`. */
static void fill(jl_buf *b, uint64_t from, uint64_t n, uint64_t step) {
    uint8_t piece[4096];
    for (uint64_t done = 0; done < n; done += step) {
        uint64_t k = n - done < step ? n - done : step;
        for (uint64_t i = 0; i < k; i++) piece[i] = (uint8_t)((from + done + i) * 7 + ((from + done + i) >> 12));
        assert_int_equal(jl_buf_append(b, piece, k), JL_OK);
    }
}

static void expect_pattern(const uint8_t *p, uint64_t n) {
    for (uint64_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(i * 7 + (i >> 12))) fail_msg("byte %llu is %u", (unsigned long long)i, p[i]);
}

static void test_buf_moves_to_a_block(void **state) {
    (void)state;
    if (!jl_test_have_shared()) skip();
    uint64_t live = jl_shared_live();
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    b.can_share = 1;
    fill(&b, 0, JL_SHARED_MIN - 4096, 4096);
    assert_int_equal(b.shared, 0); /* below the threshold: the allocator's */
    fill(&b, JL_SHARED_MIN - 4096, 3 * JL_SHARED_MIN, 4096);
    assert_int_equal(b.shared, 1);
    assert_int_equal(jl_shared_live(), live + 1);
    assert_int_equal(jl_shared_find(b.p + 5 * MiB), (const uint8_t *)b.p);
    assert_int_equal(b.len, 4 * JL_SHARED_MIN - 4096);
    assert_int_equal(b.p[b.len], 0); /* still NUL-terminated */
    expect_pattern((const uint8_t *)b.p, b.len);
    /* taken: the caller owns the block's reference */
    int shared = b.shared;
    uint64_t n = 0;
    uint8_t *p = (uint8_t *)jl_buf_take(&b, &n);
    assert_int_equal(shared, 1);
    assert_int_equal(n, 4 * JL_SHARED_MIN - 4096);
    expect_pattern(p, n);
    assert_int_equal(jl_shared_refs(p), 1);
    jl_buf_free(&b); /* empty after take: frees nothing */
    assert_int_equal(jl_shared_live(), live + 1);
    jl_shared_unref(p);
    assert_int_equal(jl_shared_live(), live);
    /* freed while shared */
    jl_buf_init(&b, NULL, 0);
    b.can_share = 1;
    fill(&b, 0, JL_SHARED_MIN + 1, 4096);
    assert_int_equal(b.shared, 1);
    jl_buf_free(&b);
    assert_int_equal(b.shared, 0);
    assert_int_equal(jl_shared_live(), live);
}

/* A sink that counts and checks the pattern of what it is given. */
static int count_sink(void *ctx, const void *p, uint64_t n) {
    uint64_t *taken = ctx;
    const uint8_t *q = p;
    for (uint64_t i = 0; i < n; i++)
        if (q[i] != (uint8_t)((*taken + i) * 7 + ((*taken + i) >> 12))) return 1;
    *taken += n;
    return 0;
}

static void test_buf_limits_and_opt_in(void **state) {
    (void)state;
    uint64_t live = jl_shared_live();
    /* without can_share a big buffer stays with its allocator */
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    fill(&b, 0, JL_SHARED_MIN + 4096, 4096);
    assert_int_equal(b.shared, 0);
    assert_int_equal(jl_shared_live(), live);
    expect_pattern((const uint8_t *)b.p, b.len);
    jl_buf_free(&b);
    /* max still bounds a shared buffer */
    jl_buf_init(&b, NULL, JL_SHARED_MIN + 100);
    b.can_share = 1;
    fill(&b, 0, JL_SHARED_MIN, 4096);
    uint8_t more[200] = { 0 };
    assert_int_equal(jl_buf_append(&b, more, sizeof more), JL_E_LIMIT);
    assert_int_equal(b.failed, JL_E_LIMIT);
    jl_buf_free(&b);
    assert_int_equal(jl_shared_live(), live);
    /* a buffer with a sink passes its bytes on and never moves to a block */
    uint64_t taken = 0;
    jl_buf_init(&b, NULL, 0);
    b.can_share = 1;
    b.sink = count_sink;
    b.sink_ctx = &taken;
    fill(&b, 0, 3 * JL_SHARED_MIN, 4096);
    assert_int_equal(jl_buf_flush(&b), JL_OK);
    assert_int_equal(b.shared, 0);
    assert_int_equal(taken, 3 * JL_SHARED_MIN);
    assert_int_equal(b.sunk, 3 * JL_SHARED_MIN);
    assert_true(b.cap <= 2 * JL_BUF_SINK_CHUNK);
    assert_int_equal(jl_shared_live(), live);
    jl_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_moves_to_a_block),
        cmocka_unit_test(test_buf_limits_and_opt_in),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
