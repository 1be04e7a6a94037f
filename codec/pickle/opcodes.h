/*
 * opcodes.h - the pickle grammar as data: one list of every opcode of
 * protocols 0-5 (name, byte, argument kind, protocol that introduced it,
 * VM handler). The enum and the table jl_opcodes (opcodes.c) are made
 * from it, and the VM's loop (vm.c) is one case a row: it reads the
 * argument by kind, then calls op_<handler>. Error messages and the
 * writer use the names. tests/interop/test_opcode_table.py checks the
 * table (printed by tests/tools/print_opcodes.c) against Python's
 * pickletools.opcodes: byte, name, protocol and argument kind.
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

/* X(name, byte, argument kind (JL_ARG_*), protocol, handler), by byte.
 * Opcodes that differ only in how their argument is read share a handler. */
#define JL_OPCODE_LIST(X) \
    X(MARK, 0x28, NONE, 0, mark)                      \
    X(EMPTY_TUPLE, 0x29, NONE, 1, empty_tuple)        \
    X(STOP, 0x2E, NONE, 0, stop)                      \
    X(POP, 0x30, NONE, 0, pop)                        \
    X(POP_MARK, 0x31, NONE, 1, pop_mark)              \
    X(DUP, 0x32, NONE, 0, dup)                        \
    X(BINBYTES, 0x42, BYTES4, 3, bytes)               \
    X(SHORT_BINBYTES, 0x43, BYTES1, 3, bytes)         \
    X(FLOAT, 0x46, LINE, 0, float_text)               \
    X(BINFLOAT, 0x47, F8BE, 1, binfloat)              \
    X(INT, 0x49, LINE, 0, int_text)                   \
    X(BININT, 0x4A, I4, 1, binint)                    \
    X(BININT1, 0x4B, U1, 1, binint)                   \
    X(LONG, 0x4C, LINE, 0, long_text)                 \
    X(BININT2, 0x4D, U2, 1, binint)                   \
    X(NONE, 0x4E, NONE, 0, none)                      \
    X(PERSID, 0x50, LINE, 0, persid)                  \
    X(BINPERSID, 0x51, NONE, 1, persid)               \
    X(REDUCE, 0x52, NONE, 0, reduce)                  \
    X(STRING, 0x53, LINE, 0, string)                  \
    X(BINSTRING, 0x54, BYTES4S, 1, binstring)         \
    X(SHORT_BINSTRING, 0x55, BYTES1, 1, binstring)    \
    X(UNICODE, 0x56, LINE, 0, unicode_text)           \
    X(BINUNICODE, 0x58, BYTES4, 1, binunicode)        \
    X(EMPTY_LIST, 0x5D, NONE, 1, empty_list)          \
    X(APPEND, 0x61, NONE, 0, append)                  \
    X(BUILD, 0x62, NONE, 0, build)                    \
    X(GLOBAL, 0x63, LINE2, 0, global)                 \
    X(DICT, 0x64, NONE, 0, dict)                      \
    X(APPENDS, 0x65, NONE, 1, appends)                \
    X(GET, 0x67, LINE, 0, get)                        \
    X(BINGET, 0x68, U1, 1, binget)                    \
    X(INST, 0x69, LINE2, 0, inst)                     \
    X(LONG_BINGET, 0x6A, U4, 1, binget)               \
    X(LIST, 0x6C, NONE, 0, list)                      \
    X(OBJ, 0x6F, NONE, 1, obj)                        \
    X(PUT, 0x70, LINE, 0, put)                        \
    X(BINPUT, 0x71, U1, 1, binput)                    \
    X(LONG_BINPUT, 0x72, U4, 1, binput)               \
    X(SETITEM, 0x73, NONE, 0, setitem)                \
    X(TUPLE, 0x74, NONE, 0, tuple)                    \
    X(SETITEMS, 0x75, NONE, 1, setitems)              \
    X(EMPTY_DICT, 0x7D, NONE, 1, empty_dict)          \
    X(PROTO, 0x80, U1, 2, proto)                      \
    X(NEWOBJ, 0x81, NONE, 2, newobj)                  \
    X(EXT1, 0x82, U1, 2, ext)                         \
    X(EXT2, 0x83, U2, 2, ext)                         \
    X(EXT4, 0x84, I4, 2, ext)                         \
    X(TUPLE1, 0x85, NONE, 2, tuple1)                  \
    X(TUPLE2, 0x86, NONE, 2, tuple2)                  \
    X(TUPLE3, 0x87, NONE, 2, tuple3)                  \
    X(NEWTRUE, 0x88, NONE, 2, newtrue)                \
    X(NEWFALSE, 0x89, NONE, 2, newfalse)              \
    X(LONG1, 0x8A, BYTES1, 2, long_bin)               \
    X(LONG4, 0x8B, BYTES4S, 2, long_bin)              \
    X(SHORT_BINUNICODE, 0x8C, BYTES1, 4, binunicode)  \
    X(BINUNICODE8, 0x8D, BYTES8, 4, binunicode)       \
    X(BINBYTES8, 0x8E, BYTES8, 4, bytes)              \
    X(EMPTY_SET, 0x8F, NONE, 4, empty_set)            \
    X(ADDITEMS, 0x90, NONE, 4, additems)              \
    X(FROZENSET, 0x91, NONE, 4, frozenset)            \
    X(NEWOBJ_EX, 0x92, NONE, 4, newobj_ex)            \
    X(STACK_GLOBAL, 0x93, NONE, 4, stack_global)      \
    X(MEMOIZE, 0x94, NONE, 4, memoize)                \
    X(FRAME, 0x95, U8, 4, frame)                      \
    X(BYTEARRAY8, 0x96, BYTES8, 5, bytearray8)        \
    X(NEXT_BUFFER, 0x97, NONE, 5, buffer)             \
    X(READONLY_BUFFER, 0x98, NONE, 5, buffer)        

enum jl_opcode {
#define JL_OPCODE_ENUM(name, byte, kind, proto, handler) OP_##name = byte,
    JL_OPCODE_LIST(JL_OPCODE_ENUM)
#undef JL_OPCODE_ENUM
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
