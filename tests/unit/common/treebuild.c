/*
 * treebuild.c - value trees built by hand for the unit tests (see
 * treebuild.h).
 */
#include "treebuild.h"

#include <string.h>

#include "testutil.h"

jl_doc *new_doc(void) {
    jl_doc *doc = jl_doc_new(NULL, NULL);
    assert_non_null(doc);
    return doc;
}

uint32_t S(jl_doc *doc, const char *s) {
    uint32_t id = jl_new_bytes(doc, JL_STR, s, strlen(s), NULL);
    assert_int_not_equal(id, JL_NONE);
    return id;
}

uint32_t I(jl_doc *doc, int64_t v) { return jl_new_int(doc, v, NULL); }

uint32_t seq(jl_doc *doc, jl_kind kind, const uint32_t *ids, unsigned n) {
    uint32_t c = jl_node_new(doc, kind, NULL);
    assert_int_not_equal(c, JL_NONE);
    if (n) assert_int_equal(jl_kids_append(doc, c, ids, n, NULL), JL_OK);
    return c;
}

uint32_t global(jl_doc *doc, const char *module, const char *name) {
    uint32_t id = jl_node_new(doc, JL_GLOBAL, NULL);
    uint32_t g = jl_global_new(doc, NULL);
    assert_int_not_equal(g, JL_NONE);
    doc->nodes[id].u.ext = g;
    memcpy(jl_heap_alloc(doc, strlen(module), &doc->globals[g].module, NULL), module, strlen(module));
    memcpy(jl_heap_alloc(doc, strlen(name), &doc->globals[g].name, NULL), name, strlen(name));
    return id;
}

uint32_t object(jl_doc *doc, uint32_t cls, uint32_t args, uint32_t state) {
    uint32_t id = jl_node_new(doc, JL_OBJECT, NULL);
    uint32_t o = jl_object_new(doc, NULL);
    assert_int_not_equal(o, JL_NONE);
    doc->nodes[id].u.ext = o;
    doc->objects[o].cls = cls;
    doc->objects[o].args = args;
    doc->objects[o].state = state;
    return id;
}
