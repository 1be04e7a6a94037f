/*
 * layout.h - internal: joblib's array layouts (layout.c), finished at the
 * BUILD of a wrapper: inline payloads and legacy .npy / .npy.z sidecars.
 */
#ifndef JL_LAYOUT_H
#define JL_LAYOUT_H

#include "vmstate.h"

/* BUILD of `obj` with `state` when obj is one of joblib's array wrappers
 * (*handled = 1; obj becomes the array), else nothing (*handled = 0). */
int jl_layout_wrapper(jl_vm *vm, uint32_t obj, uint32_t state, int *handled);

#endif
