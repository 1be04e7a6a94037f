#!/usr/bin/env python3
"""The codec's opcode table (codec/pickle/opcodes.h) against Python's own.

tests/tools/print_opcodes.c prints our table as lines "code name proto
argkind"; this compares every row with pickletools.opcodes: the same set
of opcodes, and for each its byte, name, protocol and argument kind (ours
mapped from pickletools' ArgumentDescriptor names below). Any difference
fails with one line per opcode saying what differs.
"""
import os
import pickletools
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.environ.get("JL_BUILD_DIR", os.path.join(os.path.dirname(os.path.dirname(HERE)), "build"))
HELPER = os.environ.get("JL_PRINT_OPCODES", os.path.join(BUILD_DIR, "tests", "jl_print_opcodes"))

# pickletools' argument descriptors -> our jl_argkind (opcodes.h)
KIND_OF = {
    None: "NONE",
    "uint1": "U1", "uint2": "U2", "int4": "I4", "uint4": "U4", "uint8": "U8",
    "float8": "F8BE",
    "decimalnl_short": "LINE", "decimalnl_long": "LINE", "floatnl": "LINE",
    "stringnl": "LINE", "stringnl_noescape": "LINE", "unicodestringnl": "LINE",
    "stringnl_noescape_pair": "LINE2",
    "bytes1": "BYTES1", "string1": "BYTES1", "unicodestring1": "BYTES1", "long1": "BYTES1",
    "bytes4": "BYTES4", "unicodestring4": "BYTES4",
    "string4": "BYTES4S", "long4": "BYTES4S",
    "bytes8": "BYTES8", "unicodestring8": "BYTES8", "bytearray8": "BYTES8",
}


def python_table():
    rows, unknown = {}, []
    for op in pickletools.opcodes:
        argname = op.arg.name if op.arg is not None else None
        if argname not in KIND_OF:
            unknown.append("%s: pickletools argument %r has no kind here" % (op.name, argname))
        rows[op.name] = (ord(op.code), op.proto, KIND_OF.get(argname, "?" + str(argname)))
    return rows, unknown


def our_table():
    out = subprocess.run([HELPER], check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    rows = {}
    for line in out.splitlines():
        code, name, proto, kind = line.split()
        rows[name] = (int(code, 16), int(proto), kind)
    return rows


def fmt(row):
    return "code 0x%02x, protocol %d, argument %s" % row


def main():
    ours = our_table()
    theirs, problems = python_table()
    for name in sorted(set(ours) | set(theirs), key=lambda n: (theirs.get(n) or ours.get(n))[0]):
        if name not in ours:
            problems.append("%s: in pickletools (%s), missing from opcodes.h" % (name, fmt(theirs[name])))
        elif name not in theirs:
            problems.append("%s: in opcodes.h (%s), not in pickletools" % (name, fmt(ours[name])))
        elif ours[name] != theirs[name]:
            problems.append("%s: opcodes.h has %s; pickletools has %s" % (name, fmt(ours[name]), fmt(theirs[name])))
    if problems:
        print("opcode table differs from pickletools.opcodes:")
        for p in problems:
            print("  " + p)
        print("%d opcodes compared, %d differences" % (len(set(ours) | set(theirs)), len(problems)))
        return 1
    print("%d opcodes: code, name, protocol and argument kind agree with pickletools" % len(ours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
