/*
 * start.h - can these bytes begin a pickle? Checked before the VM runs so
 * that a file that is not a pickle gets a message saying what it looks
 * like (sniff.h) instead of the VM's complaint about its first opcode.
 */
#ifndef JL_START_H
#define JL_START_H

#include <stdint.h>

/* 1 when p[0..n) can start a pickle: PROTO 0x80 with protocol 0-5 (or a
 * later one, which the VM names), or a
 * run of protocol 0/1 opcodes whose first few are well-formed and never
 * take from an empty stack, a missing mark or an empty memo. Input that
 * ends inside the run counts as a start (the VM reports the truncation),
 * except a length argument larger than all the input left. */
int jl_pickle_can_start(const uint8_t *p, uint64_t n);

#endif
