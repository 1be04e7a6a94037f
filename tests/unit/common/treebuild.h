/*
 * treebuild.h - building value trees by hand for the codec's unit tests
 * (paths, rendering, the walk, the text view): a new doc, str and int
 * atoms, containers, globals and objects. Each asserts success (cmocka).
 */
#ifndef JL_TREEBUILD_H
#define JL_TREEBUILD_H

#include "value.h"

jl_doc *new_doc(void);
uint32_t S(jl_doc *doc, const char *s);                       /* a str */
uint32_t I(jl_doc *doc, int64_t v);                           /* an int */
uint32_t seq(jl_doc *doc, jl_kind kind, const uint32_t *ids, unsigned n); /* list, tuple, dict (k0 v0 ...), set */
uint32_t global(jl_doc *doc, const char *module, const char *name);
uint32_t object(jl_doc *doc, uint32_t cls, uint32_t args, uint32_t state);

#endif
