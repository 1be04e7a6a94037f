/*
 * reduce.h - internal: what REDUCE, NEWOBJ and BUILD make without calling
 * anything (reduce.c), and the ndarray and dtype nodes made from pickled
 * parts, which joblib's layouts (layout.c) use too.
 */
#ifndef JL_REDUCE_H
#define JL_REDUCE_H

#include "vmstate.h"

/* REDUCE/NEWOBJ/BUILD with the whitelist of known callables. BUILD of
 * joblib's array wrappers is layout.h's. */
int jl_vm_reduce(jl_vm *vm, uint32_t callable, uint32_t args, uint32_t *out);
int jl_vm_newobj(jl_vm *vm, uint32_t cls, uint32_t args, uint32_t kwargs, jl_how how, uint32_t *out);
int jl_vm_build(jl_vm *vm, uint32_t obj, uint32_t state);

/* Turns `node` into an ndarray from a shape node (tuple or int), dtype id,
 * order, class and data: a bytes-like node, or a list of items for object
 * dtypes. Checks the data length against shape x itemsize. */
int jl_vm_make_array(jl_vm *vm, uint32_t node, uint32_t dt, uint32_t shape, char order, uint32_t cls,
                     uint32_t data, uint8_t origin);
/* The parsed dtype of a numpy.dtype object node or a descr text node. */
int jl_vm_dtype_of(jl_vm *vm, uint32_t node, uint32_t *dt);

#endif
