/*
 * test_pyeq.c - Python's key equality and the dict-display merge
 * (codec/value/pyeq.c): 1 == 1.0 == True == 1+0j, -0.0 == 0, 2**64 ==
 * 2.0**64, str vs bytes, NaN, tuples and frozensets, the first key kept
 * with the last value, a tuple holding itself.
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "pyeq.h"
#include "testutil.h"
#include "treebuild.h"

static uint32_t F(jl_doc *d, double f) {
    uint32_t id = jl_node_new(d, JL_FLOAT, NULL);
    d->nodes[id].u.f = f;
    return id;
}

static uint32_t B(jl_doc *d, int v) {
    uint32_t id = jl_node_new(d, JL_BOOL, NULL);
    d->nodes[id].u.i = v;
    return id;
}

static void test_eq(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    uint32_t one = I(d, 1), onef = F(d, 1.0), t = B(d, 1), zero = I(d, 0), nz = F(d, -0.0), f = B(d, 0);
    uint32_t half = F(d, 0.5), nan = F(d, NAN), s = S(d, "a"), by = jl_new_bytes(d, JL_BYTES, "a", 1, NULL);
    assert_int_equal(jl_py_key_eq(d, one, onef), 1);
    assert_int_equal(jl_py_key_eq(d, one, t), 1);
    assert_int_equal(jl_py_key_eq(d, zero, nz), 1);
    assert_int_equal(jl_py_key_eq(d, f, nz), 1);
    assert_int_equal(jl_py_key_eq(d, one, half), 0);
    assert_int_equal(jl_py_key_eq(d, nan, nan), 1); /* the same node: identity */
    assert_int_equal(jl_py_key_eq(d, nan, F(d, NAN)), 0);
    assert_int_equal(jl_py_key_eq(d, s, by), 0);
    assert_int_equal(jl_py_key_eq(d, s, S(d, "a")), 1);
    uint32_t a[] = { one, s }, b[] = { onef, S(d, "a") }, c[] = { s, one };
    assert_int_equal(jl_py_key_eq(d, seq(d, JL_TUPLE, a, 2), seq(d, JL_TUPLE, b, 2)), 1);
    assert_int_equal(jl_py_key_eq(d, seq(d, JL_TUPLE, a, 2), seq(d, JL_TUPLE, c, 2)), 0);
    assert_int_equal(jl_py_key_eq(d, seq(d, JL_FROZENSET, a, 2), seq(d, JL_FROZENSET, c, 2)), 1);
    /* 2**64 as a big int (9 bytes LE) and as a double; -2**64 */
    static const uint8_t big[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 }, nbig[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xFF };
    uint32_t bi = jl_new_bytes(d, JL_INT, big, 9, NULL), nbi = jl_new_bytes(d, JL_INT, nbig, 9, NULL);
    d->nodes[bi].flags |= JL_F_BIG;
    d->nodes[nbi].flags |= JL_F_BIG;
    assert_int_equal(jl_py_key_eq(d, bi, F(d, 18446744073709551616.0)), 1);
    assert_int_equal(jl_py_key_eq(d, nbi, F(d, -18446744073709551616.0)), 1);
    assert_int_equal(jl_py_key_eq(d, bi, F(d, -18446744073709551616.0)), 0);
    assert_int_equal(jl_py_key_eq(d, bi, F(d, 36893488147419103232.0)), 0);
    jl_doc_free(d);
}

static void test_merge(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    uint32_t x = S(d, "x"), y = S(d, "y"), z = S(d, "z"), w = S(d, "w");
    uint32_t one = I(d, 1), onef = F(d, 1.0), two = I(d, 2), nan1 = F(d, NAN), nan2 = F(d, NAN);
    /* {1: x, 2: y, 1.0: z, nan: w, nan: x} == {1: z, 2: y, nan: w, nan: x} */
    uint32_t kv[] = { one, x, two, y, onef, z, nan1, w, nan2, x };
    uint64_t pairs = 0;
    jl_error err;
    jl_error_clear(&err);
    assert_int_equal(jl_py_dict_merge(d, kv, 10, &pairs, &err), JL_OK);
    assert_int_equal(pairs, 4);
    uint32_t want[] = { one, z, two, y, nan1, w, nan2, x };
    assert_memory_equal(kv, want, sizeof want);
    /* a tuple holding itself twice: bounded work, kept apart */
    uint32_t self = seq(d, JL_TUPLE, &one, 1);
    uint32_t kids[] = { self, self };
    assert_int_equal(jl_kids_append(d, self, kids, 2, NULL), JL_OK);
    uint32_t kv2[] = { self, x, self, y };
    assert_int_equal(jl_py_dict_merge(d, kv2, 4, &pairs, &err), JL_OK);
    assert_int_equal(pairs, 1); /* the same node */
    jl_doc_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_eq), cmocka_unit_test(test_merge) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
