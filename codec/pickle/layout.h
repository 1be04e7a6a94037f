/*
 * layout.h - internal: joblib's array layouts (layout.c), finished at the
 * BUILD of a wrapper: inline payloads and legacy .npy / .npy.z sidecars;
 * and the array of a .npy image (sidecars, .npy files, .npz members).
 */
#ifndef JL_LAYOUT_H
#define JL_LAYOUT_H

#include "vmstate.h"

/* BUILD of `obj` with `state` when obj is one of joblib's array wrappers
 * (*handled = 1; obj becomes the array), else nothing (*handled = 0). */
int jl_layout_wrapper(jl_vm *vm, uint32_t obj, uint32_t state, int *handled);

/* Turns `obj` into the array of the .npy image in `block`, whose header
 * jl_npy_locate read into *h and *nbytes: the data is referred to in place;
 * an object array's pickled data is run by a nested VM (vm->run_nested).
 * Legacy sidecars, .npy files and .npz members all go through it. */
struct jl_npy_header;
int jl_layout_npy_array(jl_vm *vm, uint32_t obj, uint32_t block, const struct jl_npy_header *h,
                        uint64_t nbytes, uint32_t cls, const char *where);

#endif
