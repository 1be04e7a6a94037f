/*
 * opcodes.h - the pickle grammar as data: one table of every opcode of
 * protocols 0-5 (byte, name, argument kind, protocol that introduced it).
 * The decoder reads arguments by kind from this table; error messages and
 * the writer use the names; a unit test checks the table against itself.
 */
#ifndef JL_OPCODES_H
#define JL_OPCODES_H

#include <stdint.h>

typedef enum jl_argkind {
    JL_ARG_NONE = 0,
    JL_ARG_U1,        /* u8 */
    JL_ARG_U2,        /* u16 LE */
    JL_ARG_I4,        /* i32 LE */
    JL_ARG_U4,        /* u32 LE */
    JL_ARG_U8,        /* u64 LE */
    JL_ARG_F8BE,      /* IEEE-754 binary64, big-endian */
    JL_ARG_LINE,      /* bytes up to '\n' (decimal, repr or raw-unicode-escape text) */
    JL_ARG_LINE2,     /* two lines: module and name */
    JL_ARG_BYTES1,    /* u8 length + bytes */
    JL_ARG_BYTES4,    /* u32 length + bytes */
    JL_ARG_BYTES4S,   /* i32 length (negative is an error) + bytes */
    JL_ARG_BYTES8     /* u64 length + bytes */
} jl_argkind;

enum jl_opcode {
    OP_MARK = 0x28, OP_EMPTY_TUPLE = 0x29, OP_STOP = 0x2E, OP_POP = 0x30, OP_POP_MARK = 0x31,
    OP_DUP = 0x32, OP_BINBYTES = 0x42, OP_SHORT_BINBYTES = 0x43, OP_FLOAT = 0x46,
    OP_BINFLOAT = 0x47, OP_INT = 0x49, OP_BININT = 0x4A, OP_BININT1 = 0x4B, OP_LONG = 0x4C,
    OP_BININT2 = 0x4D, OP_NONE = 0x4E, OP_PERSID = 0x50, OP_BINPERSID = 0x51, OP_REDUCE = 0x52,
    OP_STRING = 0x53, OP_BINSTRING = 0x54, OP_SHORT_BINSTRING = 0x55, OP_UNICODE = 0x56,
    OP_BINUNICODE = 0x58, OP_EMPTY_LIST = 0x5D, OP_APPEND = 0x61, OP_BUILD = 0x62,
    OP_GLOBAL = 0x63, OP_DICT = 0x64, OP_APPENDS = 0x65, OP_GET = 0x67, OP_BINGET = 0x68,
    OP_INST = 0x69, OP_LONG_BINGET = 0x6A, OP_LIST = 0x6C, OP_OBJ = 0x6F, OP_PUT = 0x70,
    OP_BINPUT = 0x71, OP_LONG_BINPUT = 0x72, OP_SETITEM = 0x73, OP_TUPLE = 0x74,
    OP_SETITEMS = 0x75, OP_EMPTY_DICT = 0x7D, OP_PROTO = 0x80, OP_NEWOBJ = 0x81, OP_EXT1 = 0x82,
    OP_EXT2 = 0x83, OP_EXT4 = 0x84, OP_TUPLE1 = 0x85, OP_TUPLE2 = 0x86, OP_TUPLE3 = 0x87,
    OP_NEWTRUE = 0x88, OP_NEWFALSE = 0x89, OP_LONG1 = 0x8A, OP_LONG4 = 0x8B,
    OP_SHORT_BINUNICODE = 0x8C, OP_BINUNICODE8 = 0x8D, OP_BINBYTES8 = 0x8E, OP_EMPTY_SET = 0x8F,
    OP_ADDITEMS = 0x90, OP_FROZENSET = 0x91, OP_NEWOBJ_EX = 0x92, OP_STACK_GLOBAL = 0x93,
    OP_MEMOIZE = 0x94, OP_FRAME = 0x95, OP_BYTEARRAY8 = 0x96, OP_NEXT_BUFFER = 0x97,
    OP_READONLY_BUFFER = 0x98
};

typedef struct jl_opinfo {
    uint8_t code;
    uint8_t arg;      /* jl_argkind */
    uint8_t proto;    /* protocol that introduced it */
    const char *name; /* NULL: not an opcode */
} jl_opinfo;

/* Indexed by byte; entries with name == NULL are not opcodes. */
extern const jl_opinfo jl_opcodes[256];

#endif
