/*
 * decode.h - opening a bundle: container detection, the safe pickle
 * decoder (protocols 0-5, Python 2 and 3) and joblib's array layouts
 * (inline wrappers, legacy .npy / .npy.z sidecars, numpy's own pickling).
 *
 * Nothing is imported or executed: known reductions become natural nodes,
 * everything else an object/global node.
 */
#ifndef JL_DECODE_H
#define JL_DECODE_H

#include "value.h"

typedef struct jl_open_opts {
    const jl_alloc *alloc;   /* NULL: C library */
    const jl_limits *limits; /* NULL: defaults */
} jl_open_opts;

/* Opens a bundle file (mmap'd when uncompressed). Legacy sidecars are
 * opened from the file's directory, by plain name only. */
int jl_open_file(const char *path, const jl_open_opts *o, jl_doc **out, jl_error *err);

/* Opens a bundle from memory. When `borrow` is 1 the bytes must outlive
 * the doc; otherwise they are copied. A bundle that needs sidecars fails. */
int jl_open_memory(const uint8_t *p, uint64_t n, int borrow, const jl_open_opts *o, jl_doc **out,
                   jl_error *err);

#endif
