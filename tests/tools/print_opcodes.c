/*
 * print_opcodes.c - prints the codec's opcode table (codec/pickle/opcodes.h)
 * as lines "code name proto argkind", e.g. "0x4b BININT1 1 U1", for
 * tests/interop/test_opcode_table.py to compare with Python's pickletools.
 */
#include <stdio.h>

#include "opcodes.h"

static const char *const kind_names[] = {
    [JL_ARG_NONE] = "NONE",     [JL_ARG_U1] = "U1",         [JL_ARG_U2] = "U2",
    [JL_ARG_I4] = "I4",         [JL_ARG_U4] = "U4",         [JL_ARG_U8] = "U8",
    [JL_ARG_F8BE] = "F8BE",     [JL_ARG_LINE] = "LINE",     [JL_ARG_LINE2] = "LINE2",
    [JL_ARG_BYTES1] = "BYTES1", [JL_ARG_BYTES4] = "BYTES4", [JL_ARG_BYTES4S] = "BYTES4S",
    [JL_ARG_BYTES8] = "BYTES8",
};

int main(void) {
    for (int c = 0; c < 256; c++) {
        const jl_opinfo *op = &jl_opcodes[c];
        if (!op->name) continue;
        const char *kind = op->arg < sizeof kind_names / sizeof *kind_names ? kind_names[op->arg] : NULL;
        printf("0x%02x %s %u %s\n", (unsigned)op->code, op->name, (unsigned)op->proto, kind ? kind : "?");
    }
    return 0;
}
