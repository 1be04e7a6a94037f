/*
 * vm.h - internal: the loop of the safe pickle virtual machine (vm.c),
 * run by decode.c over a bundle's stream. Its state is vmstate.h.
 */
#ifndef JL_VM_H
#define JL_VM_H

#include "vmstate.h"

/* Runs the VM over bytes [start, len) of `block`; *root is what STOP
 * returns and *end the offset just after STOP. */
int jl_vm_run(jl_decoder *dec, uint32_t block, uint64_t start, const char *where, uint32_t *root,
              uint64_t *end, jl_error *err);

#endif
