/*
 * npz.h - numpy's .npz archives (numpy.savez, numpy.savez_compressed): a
 * zip of .npy members. Each member is read into a block of the doc, in
 * archive order, and handed to a callback with its key (the member name
 * without ".npy", as numpy.load's NpzFile names it).
 */
#ifndef JL_NPZ_H
#define JL_NPZ_H

#include "value.h"

/* One member: key[0..key_len) (not NUL-terminated), whether it is an .npy
 * member (name ends in ".npy"; other members are plain bytes, as numpy.load
 * returns them), its full name for messages, and the block holding it. */
typedef struct jl_npz_member {
    const char *key;
    uint64_t key_len;
    const char *name;
    int is_npy;
    uint32_t block;
} jl_npz_member;

typedef int (*jl_npz_each)(void *ctx, const jl_npz_member *m, jl_error *err);

/* Reads the archive in p[0..n) (the bytes must outlive the call only).
 * Sizes are bounded by the doc's max_alloc (one member) and
 * max_decompressed (all members). A zip with members but none named
 * *.npy is "not a joblib bundle or pickle: it looks like a zip archive". */
int jl_npz_read(jl_doc *doc, const uint8_t *p, uint64_t n, jl_npz_each each, void *ctx, jl_error *err);

#endif
