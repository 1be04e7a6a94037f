/*
 * fuzz_limits.h - the limits every fuzz target decodes under: small
 * enough that a hostile input hits a named limit long before libFuzzer's
 * RSS limit (2 GiB) or timeout, large enough for every real bundle.
 */
#ifndef JL_FUZZ_LIMITS_H
#define JL_FUZZ_LIMITS_H

#include "base.h"

#define JL_FUZZ_MAX_OUT ((uint64_t)1 << 20) /* decompressed bytes */

static inline void jl_fuzz_limits(jl_limits *l) {
    jl_limits_default(l);
    l->max_decompressed = (uint64_t)16 << 20;
    l->max_nodes = (uint64_t)1 << 21;
    l->max_depth = 10000;
    l->max_memo = (uint64_t)1 << 20;
    l->max_alloc = (uint64_t)64 << 20;
}

/* libFuzzer's entry point, defined by each target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
