/*
 * opcodes.c - the table of pickle opcodes, protocols 0-5, made from the
 * list in opcodes.h (see docs/FORMAT.md 5.2).
 */
#include "opcodes.h"

#define JL_OPCODE_ROW(name, byte, kind, proto, handler) [byte] = { byte, JL_ARG_##kind, proto, #name },

const jl_opinfo jl_opcodes[256] = {
    JL_OPCODE_LIST(JL_OPCODE_ROW)
};
