/*
 * test_hashable.c - Python's hashability on the value tree
 * (codec/value/hashable.c): atoms and objects yes; list, dict, set,
 * bytearray, ndarray no; tuples and frozensets by their elements, to a
 * bounded depth; self-references; ids out of range.
 */
#include <stdarg.h>

#include "hashable.h"
#include "testutil.h"
#include "treebuild.h"

static void test_hashable(void **state) {
    (void)state;
    jl_doc *d = new_doc();
    uint32_t one = I(d, 1), s = S(d, "k"), none = jl_node_new(d, JL_NULL, NULL);
    uint32_t list = seq(d, JL_LIST, &one, 1), dict = seq(d, JL_DICT, NULL, 0), set = seq(d, JL_SET, &one, 1);
    uint32_t ba = jl_new_bytes(d, JL_BYTEARRAY, "x", 1, NULL), by = jl_new_bytes(d, JL_BYTES, "x", 1, NULL);
    uint32_t obj = object(d, global(d, "m", "C"), JL_NONE, JL_NONE);
    uint32_t good[] = { one, s, none, by, obj };
    for (unsigned i = 0; i < 5; i++) assert_int_equal(jl_value_hashable(d, good[i], JL_HASHABLE_DEPTH), 1);
    uint32_t bad[] = { list, dict, set, ba };
    for (unsigned i = 0; i < 4; i++) assert_int_equal(jl_value_hashable(d, bad[i], JL_HASHABLE_DEPTH), 0);
    uint32_t t_ok[] = { one, s }, t_bad[] = { one, list };
    assert_int_equal(jl_value_hashable(d, seq(d, JL_TUPLE, t_ok, 2), JL_HASHABLE_DEPTH), 1);
    assert_int_equal(jl_value_hashable(d, seq(d, JL_TUPLE, t_bad, 2), JL_HASHABLE_DEPTH), 0);
    assert_int_equal(jl_value_hashable(d, seq(d, JL_FROZENSET, t_bad, 2), JL_HASHABLE_DEPTH), 0);
    /* ((list,),): unhashable within the depth, left to Python beyond it */
    uint32_t inner = seq(d, JL_TUPLE, &list, 1), outer = seq(d, JL_TUPLE, &inner, 1);
    assert_int_equal(jl_value_hashable(d, outer, 2), 0);
    assert_int_equal(jl_value_hashable(d, outer, 1), 1);
    /* a tuple holding itself */
    uint32_t self = seq(d, JL_TUPLE, &one, 1);
    assert_int_equal(jl_kids_append(d, self, &self, 1, NULL), JL_OK);
    assert_int_equal(jl_value_hashable(d, self, JL_HASHABLE_DEPTH), 1);
    assert_int_equal(jl_value_hashable(d, JL_NONE, JL_HASHABLE_DEPTH), 0);
    assert_int_equal(jl_value_hashable(d, (uint32_t)d->nnodes, JL_HASHABLE_DEPTH), 0);
    jl_doc_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_hashable) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
