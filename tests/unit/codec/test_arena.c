/*
 * test_arena.c - the growable byte run of codec/core/arena.c: offsets
 * of appended bytes, the bytes kept as it grows (64 KiB, then doubling;
 * the allocator up to 1 MiB, then a shared block where there is one),
 * freeing.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "arena.h"
#include "shared.h"

#define MiB ((uint64_t)1 << 20)

static void fill(uint8_t *p, uint64_t n, unsigned seed) {
    for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 131 + seed);
}

static void test_append_grow(void **state) {
    (void)state;
    const jl_alloc *a = jl_alloc_default();
    jl_arena ar = { 0 };
    uint64_t live = jl_shared_live(), at = 99;
    assert_int_equal(jl_arena_append(&ar, a, NULL, 0, &at), JL_OK); /* nothing: no storage */
    assert_int_equal(at, 0);
    assert_null(ar.p);
    uint8_t *chunk = malloc((size_t)(700 << 10));
    assert_non_null(chunk);
    /* 9 appends of 700 KiB: 6.2 MiB, past 2 and 4 MiB */
    for (unsigned i = 0; i < 9; i++) {
        fill(chunk, 700 << 10, i);
        assert_int_equal(jl_arena_append(&ar, a, chunk, 700 << 10, &at), JL_OK);
        assert_int_equal(at, (uint64_t)i * (700 << 10));
        if (i == 0) assert_false(ar.shared); /* 1 MiB: still on the heap */
        if (i == 1) assert_int_equal(ar.shared, jl_test_have_shared()); /* 2 MiB: moved */
    }
    assert_int_equal(ar.len, (uint64_t)9 * (700 << 10));
    assert_true(ar.cap >= ar.len && ar.cap < 10 * MiB); /* 2, 4, 8 MiB (less a shared block's header) */
    if (ar.shared) assert_int_equal(jl_shared_live(), live + 1);
    for (unsigned i = 0; i < 9; i++) {
        fill(chunk, 700 << 10, i);
        assert_memory_equal(ar.p + (uint64_t)i * (700 << 10), chunk, 700 << 10);
    }
    /* a reserve within the room changes nothing */
    uint8_t *p = ar.p;
    uint64_t cap = ar.cap;
    assert_int_equal(jl_arena_reserve(&ar, a, cap - ar.len), JL_OK);
    assert_ptr_equal(ar.p, p);
    assert_int_equal(ar.cap, cap);
    jl_arena_free(&ar, a);
    assert_null(ar.p);
    assert_int_equal(ar.cap, 0);
    assert_int_equal(jl_shared_live(), live);
    free(chunk);
}

/* Refuses a size no doubling reaches, leaving the arena as it was. */
static void test_too_big(void **state) {
    (void)state;
    const jl_alloc *a = jl_alloc_default();
    jl_arena ar = { 0 };
    uint64_t at;
    assert_int_equal(jl_arena_append(&ar, a, "abc", 3, &at), JL_OK);
    uint8_t *p = ar.p;
    uint64_t cap = ar.cap;
    assert_int_equal(jl_arena_reserve(&ar, a, UINT64_MAX - 2), JL_E_NOMEM);
    assert_ptr_equal(ar.p, p);
    assert_int_equal(ar.cap, cap);
    assert_memory_equal(ar.p, "abc", 3);
    jl_arena_free(&ar, a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_grow),
        cmocka_unit_test(test_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
