/*
 * test_ext.c - the read surface through a real SQLite connection: the
 * extension is registered with sqlite3_joblib_init (static build) on an
 * in-memory database, and SQL over in-memory bundles checks exact values,
 * SQL types, JSON subtypes, error messages and function flags.
 *
 * The bundles below were made by joblib 1.2.0 / numpy 1.24 / CPython 3.11
 * (/usr/bin/python3) with this script; seed4 is docs/FORMAT.md 8.1 byte for
 * byte (333 bytes), seed2 is 8.3 (373 bytes), seedz 8.2 (242 bytes):
 *
 *   import io, sys, types, collections, joblib, numpy as np
 *   class Foo:
 *       def __init__(self): self.a = 1; self.name = 'x'
 *   m = types.ModuleType('mymod'); m.Foo = Foo; Foo.__module__ = 'mymod'
 *   Foo.__qualname__ = 'Foo'; sys.modules['mymod'] = m
 *   def dump(obj, **kw):
 *       f = io.BytesIO(); joblib.dump(obj, f, **kw); return f.getvalue()
 *   seed = [('a', [1, 2, 3]), ('b', np.arange(10))]
 *   lst = [1, 2]
 *   rich = {
 *       'i': 7, 'big': 2**70, 'neg': -5, 'f': 1.5, 's': 'h\u00e9llo', 'b': b'\x00\x01\xff',
 *       'none': None, 't': True, 'tup': (1, 'a'), 'be': np.arange(3, dtype='>i4'),
 *       'mat': np.arange(6.).reshape(2, 3),
 *       'F': np.asfortranarray(np.arange(6, dtype='<i2').reshape(2, 3)),
 *       'sc': np.float64(2.5), 'i32': np.int32(-2), 'u64': np.uint64(2**64 - 1),
 *       'ustr': np.str_('h\u00e9'), 'obj': np.array([1, 'a'], dtype=object), 1: 'one',
 *       'sh1': lst, 'sh2': lst, 'dt': np.datetime64('2020-01-02', 'D'), 'c': 1 + 2j,
 *       'set': {3}, 'foo': Foo(), 'od': collections.OrderedDict([('x', 1)]),
 *       'empty': np.zeros(0, dtype='<f8'), 'e': '', 'key with space': 2,
 *       'ba': bytearray(b'ab'), 'bool_': np.bool_(True), 'h': np.float16(0.5),
 *       'be_f': np.array([1.5, -2.0], dtype='>f8'),
 *   }
 *   seed4 = dump(seed); seed2 = dump(seed, protocol=2); rich = dump(rich)
 *   seedz = dump(seed, compress=3)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sqltest.h"


/* ---- bundles ---- */

static const unsigned char seed4[] = {
    0x80, 0x04, 0x95, 0xe2, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0x94, 0x28, 0x8c, 0x01,
    0x61, 0x94, 0x5d, 0x94, 0x28, 0x4b, 0x01, 0x4b, 0x02, 0x4b, 0x03, 0x65, 0x86, 0x94, 0x8c, 0x01,
    0x62, 0x94, 0x8c, 0x13, 0x6a, 0x6f, 0x62, 0x6c, 0x69, 0x62, 0x2e, 0x6e, 0x75, 0x6d, 0x70, 0x79,
    0x5f, 0x70, 0x69, 0x63, 0x6b, 0x6c, 0x65, 0x94, 0x8c, 0x11, 0x4e, 0x75, 0x6d, 0x70, 0x79, 0x41,
    0x72, 0x72, 0x61, 0x79, 0x57, 0x72, 0x61, 0x70, 0x70, 0x65, 0x72, 0x94, 0x93, 0x94, 0x29, 0x81,
    0x94, 0x7d, 0x94, 0x28, 0x8c, 0x08, 0x73, 0x75, 0x62, 0x63, 0x6c, 0x61, 0x73, 0x73, 0x94, 0x8c,
    0x05, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x94, 0x8c, 0x07, 0x6e, 0x64, 0x61, 0x72, 0x72, 0x61, 0x79,
    0x94, 0x93, 0x94, 0x8c, 0x05, 0x73, 0x68, 0x61, 0x70, 0x65, 0x94, 0x4b, 0x0a, 0x85, 0x94, 0x8c,
    0x05, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x94, 0x8c, 0x01, 0x43, 0x94, 0x8c, 0x05, 0x64, 0x74, 0x79,
    0x70, 0x65, 0x94, 0x68, 0x0b, 0x68, 0x12, 0x93, 0x94, 0x8c, 0x02, 0x69, 0x38, 0x94, 0x89, 0x88,
    0x87, 0x94, 0x52, 0x94, 0x28, 0x4b, 0x03, 0x8c, 0x01, 0x3c, 0x94, 0x4e, 0x4e, 0x4e, 0x4a, 0xff,
    0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74, 0x94, 0x62, 0x8c, 0x0a, 0x61,
    0x6c, 0x6c, 0x6f, 0x77, 0x5f, 0x6d, 0x6d, 0x61, 0x70, 0x94, 0x88, 0x8c, 0x1b, 0x6e, 0x75, 0x6d,
    0x70, 0x79, 0x5f, 0x61, 0x72, 0x72, 0x61, 0x79, 0x5f, 0x61, 0x6c, 0x69, 0x67, 0x6e, 0x6d, 0x65,
    0x6e, 0x74, 0x5f, 0x62, 0x79, 0x74, 0x65, 0x73, 0x94, 0x4b, 0x10, 0x75, 0x62, 0x02, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x95, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x86, 0x94, 0x65, 0x2e,
};
static const unsigned char seed2[] = {
    0x80, 0x02, 0x5d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01, 0x5d, 0x71,
    0x02, 0x28, 0x4b, 0x01, 0x4b, 0x02, 0x4b, 0x03, 0x65, 0x86, 0x71, 0x03, 0x58, 0x01, 0x00, 0x00,
    0x00, 0x62, 0x71, 0x04, 0x63, 0x6a, 0x6f, 0x62, 0x6c, 0x69, 0x62, 0x2e, 0x6e, 0x75, 0x6d, 0x70,
    0x79, 0x5f, 0x70, 0x69, 0x63, 0x6b, 0x6c, 0x65, 0x0a, 0x4e, 0x75, 0x6d, 0x70, 0x79, 0x41, 0x72,
    0x72, 0x61, 0x79, 0x57, 0x72, 0x61, 0x70, 0x70, 0x65, 0x72, 0x0a, 0x71, 0x05, 0x29, 0x81, 0x71,
    0x06, 0x7d, 0x71, 0x07, 0x28, 0x58, 0x08, 0x00, 0x00, 0x00, 0x73, 0x75, 0x62, 0x63, 0x6c, 0x61,
    0x73, 0x73, 0x71, 0x08, 0x63, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x0a, 0x6e, 0x64, 0x61, 0x72, 0x72,
    0x61, 0x79, 0x0a, 0x71, 0x09, 0x58, 0x05, 0x00, 0x00, 0x00, 0x73, 0x68, 0x61, 0x70, 0x65, 0x71,
    0x0a, 0x4b, 0x0a, 0x85, 0x71, 0x0b, 0x58, 0x05, 0x00, 0x00, 0x00, 0x6f, 0x72, 0x64, 0x65, 0x72,
    0x71, 0x0c, 0x58, 0x01, 0x00, 0x00, 0x00, 0x43, 0x71, 0x0d, 0x58, 0x05, 0x00, 0x00, 0x00, 0x64,
    0x74, 0x79, 0x70, 0x65, 0x71, 0x0e, 0x63, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x0a, 0x64, 0x74, 0x79,
    0x70, 0x65, 0x0a, 0x71, 0x0f, 0x58, 0x02, 0x00, 0x00, 0x00, 0x69, 0x38, 0x71, 0x10, 0x89, 0x88,
    0x87, 0x71, 0x11, 0x52, 0x71, 0x12, 0x28, 0x4b, 0x03, 0x58, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x71,
    0x13, 0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00,
    0x74, 0x71, 0x14, 0x62, 0x58, 0x0a, 0x00, 0x00, 0x00, 0x61, 0x6c, 0x6c, 0x6f, 0x77, 0x5f, 0x6d,
    0x6d, 0x61, 0x70, 0x71, 0x15, 0x88, 0x58, 0x1b, 0x00, 0x00, 0x00, 0x6e, 0x75, 0x6d, 0x70, 0x79,
    0x5f, 0x61, 0x72, 0x72, 0x61, 0x79, 0x5f, 0x61, 0x6c, 0x69, 0x67, 0x6e, 0x6d, 0x65, 0x6e, 0x74,
    0x5f, 0x62, 0x79, 0x74, 0x65, 0x73, 0x71, 0x16, 0x4b, 0x10, 0x75, 0x62, 0x03, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x86, 0x71, 0x17, 0x65, 0x2e,
};
static const unsigned char rich[] = {
    0x80, 0x04, 0x95, 0x34, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7d, 0x94, 0x28, 0x8c, 0x01,
    0x69, 0x94, 0x4b, 0x07, 0x8c, 0x03, 0x62, 0x69, 0x67, 0x94, 0x8a, 0x09, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x40, 0x8c, 0x03, 0x6e, 0x65, 0x67, 0x94, 0x4a, 0xfb, 0xff, 0xff, 0xff,
    0x8c, 0x01, 0x66, 0x94, 0x47, 0x3f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x01, 0x73,
    0x94, 0x8c, 0x06, 0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f, 0x94, 0x8c, 0x01, 0x62, 0x94, 0x43, 0x03,
    0x00, 0x01, 0xff, 0x94, 0x8c, 0x04, 0x6e, 0x6f, 0x6e, 0x65, 0x94, 0x4e, 0x8c, 0x01, 0x74, 0x94,
    0x88, 0x8c, 0x03, 0x74, 0x75, 0x70, 0x94, 0x4b, 0x01, 0x8c, 0x01, 0x61, 0x94, 0x86, 0x94, 0x8c,
    0x02, 0x62, 0x65, 0x94, 0x8c, 0x13, 0x6a, 0x6f, 0x62, 0x6c, 0x69, 0x62, 0x2e, 0x6e, 0x75, 0x6d,
    0x70, 0x79, 0x5f, 0x70, 0x69, 0x63, 0x6b, 0x6c, 0x65, 0x94, 0x8c, 0x11, 0x4e, 0x75, 0x6d, 0x70,
    0x79, 0x41, 0x72, 0x72, 0x61, 0x79, 0x57, 0x72, 0x61, 0x70, 0x70, 0x65, 0x72, 0x94, 0x93, 0x94,
    0x29, 0x81, 0x94, 0x7d, 0x94, 0x28, 0x8c, 0x08, 0x73, 0x75, 0x62, 0x63, 0x6c, 0x61, 0x73, 0x73,
    0x94, 0x8c, 0x05, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x94, 0x8c, 0x07, 0x6e, 0x64, 0x61, 0x72, 0x72,
    0x61, 0x79, 0x94, 0x93, 0x94, 0x8c, 0x05, 0x73, 0x68, 0x61, 0x70, 0x65, 0x94, 0x4b, 0x03, 0x85,
    0x94, 0x8c, 0x05, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x94, 0x8c, 0x01, 0x43, 0x94, 0x8c, 0x05, 0x64,
    0x74, 0x79, 0x70, 0x65, 0x94, 0x68, 0x15, 0x68, 0x1c, 0x93, 0x94, 0x8c, 0x02, 0x69, 0x34, 0x94,
    0x89, 0x88, 0x87, 0x94, 0x52, 0x94, 0x28, 0x4b, 0x03, 0x8c, 0x01, 0x3e, 0x94, 0x4e, 0x4e, 0x4e,
    0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74, 0x94, 0x62, 0x8c,
    0x0a, 0x61, 0x6c, 0x6c, 0x6f, 0x77, 0x5f, 0x6d, 0x6d, 0x61, 0x70, 0x94, 0x88, 0x8c, 0x1b, 0x6e,
    0x75, 0x6d, 0x70, 0x79, 0x5f, 0x61, 0x72, 0x72, 0x61, 0x79, 0x5f, 0x61, 0x6c, 0x69, 0x67, 0x6e,
    0x6d, 0x65, 0x6e, 0x74, 0x5f, 0x62, 0x79, 0x74, 0x65, 0x73, 0x94, 0x4b, 0x10, 0x75, 0x62, 0x10,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x95, 0x4f, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x03, 0x6d, 0x61, 0x74, 0x94, 0x68, 0x11, 0x29, 0x81, 0x94,
    0x7d, 0x94, 0x28, 0x68, 0x14, 0x68, 0x17, 0x68, 0x18, 0x4b, 0x02, 0x4b, 0x03, 0x86, 0x94, 0x68,
    0x1a, 0x68, 0x1b, 0x68, 0x1c, 0x68, 0x1d, 0x8c, 0x02, 0x66, 0x38, 0x94, 0x89, 0x88, 0x87, 0x94,
    0x52, 0x94, 0x28, 0x4b, 0x03, 0x8c, 0x01, 0x3c, 0x94, 0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff,
    0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74, 0x94, 0x62, 0x68, 0x23, 0x88, 0x68, 0x24,
    0x4b, 0x10, 0x75, 0x62, 0x0b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x40,
    0x95, 0x4b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x01, 0x46, 0x94, 0x68, 0x11, 0x29,
    0x81, 0x94, 0x7d, 0x94, 0x28, 0x68, 0x14, 0x68, 0x17, 0x68, 0x18, 0x4b, 0x02, 0x4b, 0x03, 0x86,
    0x94, 0x68, 0x1a, 0x68, 0x2e, 0x68, 0x1c, 0x68, 0x1d, 0x8c, 0x02, 0x69, 0x32, 0x94, 0x89, 0x88,
    0x87, 0x94, 0x52, 0x94, 0x28, 0x4b, 0x03, 0x68, 0x2c, 0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff,
    0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74, 0x94, 0x62, 0x68, 0x23, 0x88, 0x68, 0x24,
    0x4b, 0x10, 0x75, 0x62, 0x0b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x04, 0x00, 0x02, 0x00, 0x05, 0x00, 0x95, 0x2e, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x02, 0x73, 0x63, 0x94, 0x8c, 0x15, 0x6e, 0x75, 0x6d, 0x70,
    0x79, 0x2e, 0x63, 0x6f, 0x72, 0x65, 0x2e, 0x6d, 0x75, 0x6c, 0x74, 0x69, 0x61, 0x72, 0x72, 0x61,
    0x79, 0x94, 0x8c, 0x06, 0x73, 0x63, 0x61, 0x6c, 0x61, 0x72, 0x94, 0x93, 0x94, 0x68, 0x2b, 0x43,
    0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x40, 0x94, 0x86, 0x94, 0x52, 0x94, 0x8c, 0x03,
    0x69, 0x33, 0x32, 0x94, 0x68, 0x39, 0x68, 0x1d, 0x8c, 0x02, 0x69, 0x34, 0x94, 0x89, 0x88, 0x87,
    0x94, 0x52, 0x94, 0x28, 0x4b, 0x03, 0x68, 0x2c, 0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff,
    0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74, 0x94, 0x62, 0x43, 0x04, 0xfe, 0xff, 0xff, 0xff,
    0x94, 0x86, 0x94, 0x52, 0x94, 0x8c, 0x03, 0x75, 0x36, 0x34, 0x94, 0x68, 0x39, 0x68, 0x1d, 0x8c,
    0x02, 0x75, 0x38, 0x94, 0x89, 0x88, 0x87, 0x94, 0x52, 0x94, 0x28, 0x4b, 0x03, 0x68, 0x2c, 0x4e,
    0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74, 0x94,
    0x62, 0x43, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x94, 0x86, 0x94, 0x52, 0x94,
    0x8c, 0x04, 0x75, 0x73, 0x74, 0x72, 0x94, 0x68, 0x39, 0x68, 0x1d, 0x8c, 0x02, 0x55, 0x32, 0x94,
    0x89, 0x88, 0x87, 0x94, 0x52, 0x94, 0x28, 0x4b, 0x03, 0x68, 0x2c, 0x4e, 0x4e, 0x4e, 0x4b, 0x08,
    0x4b, 0x04, 0x4b, 0x08, 0x74, 0x94, 0x62, 0x43, 0x08, 0x68, 0x00, 0x00, 0x00, 0xe9, 0x00, 0x00,
    0x00, 0x94, 0x86, 0x94, 0x52, 0x94, 0x8c, 0x03, 0x6f, 0x62, 0x6a, 0x94, 0x68, 0x11, 0x29, 0x81,
    0x94, 0x7d, 0x94, 0x28, 0x68, 0x14, 0x68, 0x17, 0x68, 0x18, 0x4b, 0x02, 0x85, 0x94, 0x68, 0x1a,
    0x68, 0x1b, 0x68, 0x1c, 0x68, 0x1d, 0x8c, 0x02, 0x4f, 0x38, 0x94, 0x89, 0x88, 0x87, 0x94, 0x52,
    0x94, 0x28, 0x4b, 0x03, 0x8c, 0x01, 0x7c, 0x94, 0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff,
    0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x3f, 0x74, 0x94, 0x62, 0x68, 0x23, 0x89, 0x68, 0x24, 0x4b,
    0x10, 0x75, 0x62, 0x80, 0x02, 0x63, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x2e, 0x63, 0x6f, 0x72, 0x65,
    0x2e, 0x6d, 0x75, 0x6c, 0x74, 0x69, 0x61, 0x72, 0x72, 0x61, 0x79, 0x0a, 0x5f, 0x72, 0x65, 0x63,
    0x6f, 0x6e, 0x73, 0x74, 0x72, 0x75, 0x63, 0x74, 0x0a, 0x71, 0x00, 0x63, 0x6e, 0x75, 0x6d, 0x70,
    0x79, 0x0a, 0x6e, 0x64, 0x61, 0x72, 0x72, 0x61, 0x79, 0x0a, 0x71, 0x01, 0x4b, 0x00, 0x85, 0x71,
    0x02, 0x63, 0x5f, 0x63, 0x6f, 0x64, 0x65, 0x63, 0x73, 0x0a, 0x65, 0x6e, 0x63, 0x6f, 0x64, 0x65,
    0x0a, 0x71, 0x03, 0x58, 0x01, 0x00, 0x00, 0x00, 0x62, 0x71, 0x04, 0x58, 0x06, 0x00, 0x00, 0x00,
    0x6c, 0x61, 0x74, 0x69, 0x6e, 0x31, 0x71, 0x05, 0x86, 0x71, 0x06, 0x52, 0x71, 0x07, 0x87, 0x71,
    0x08, 0x52, 0x71, 0x09, 0x28, 0x4b, 0x01, 0x4b, 0x02, 0x85, 0x71, 0x0a, 0x63, 0x6e, 0x75, 0x6d,
    0x70, 0x79, 0x0a, 0x64, 0x74, 0x79, 0x70, 0x65, 0x0a, 0x71, 0x0b, 0x58, 0x02, 0x00, 0x00, 0x00,
    0x4f, 0x38, 0x71, 0x0c, 0x89, 0x88, 0x87, 0x71, 0x0d, 0x52, 0x71, 0x0e, 0x28, 0x4b, 0x03, 0x58,
    0x01, 0x00, 0x00, 0x00, 0x7c, 0x71, 0x0f, 0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a,
    0xff, 0xff, 0xff, 0xff, 0x4b, 0x3f, 0x74, 0x71, 0x10, 0x62, 0x89, 0x5d, 0x71, 0x11, 0x28, 0x4b,
    0x01, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x12, 0x65, 0x74, 0x71, 0x13, 0x62, 0x2e, 0x95,
    0x29, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x01, 0x8c, 0x03, 0x6f, 0x6e, 0x65, 0x94,
    0x8c, 0x03, 0x73, 0x68, 0x31, 0x94, 0x5d, 0x94, 0x28, 0x4b, 0x01, 0x4b, 0x02, 0x65, 0x8c, 0x03,
    0x73, 0x68, 0x32, 0x94, 0x68, 0x60, 0x8c, 0x02, 0x64, 0x74, 0x94, 0x68, 0x39, 0x68, 0x1d, 0x8c,
    0x02, 0x4d, 0x38, 0x94, 0x89, 0x88, 0x87, 0x94, 0x52, 0x94, 0x28, 0x4b, 0x04, 0x68, 0x2c, 0x4e,
    0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x7d, 0x94,
    0x28, 0x43, 0x01, 0x44, 0x94, 0x4b, 0x01, 0x4b, 0x01, 0x4b, 0x01, 0x74, 0x94, 0x86, 0x94, 0x74,
    0x94, 0x62, 0x43, 0x08, 0x57, 0x47, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x94, 0x86, 0x94, 0x52,
    0x94, 0x8c, 0x01, 0x63, 0x94, 0x8c, 0x08, 0x62, 0x75, 0x69, 0x6c, 0x74, 0x69, 0x6e, 0x73, 0x94,
    0x8c, 0x07, 0x63, 0x6f, 0x6d, 0x70, 0x6c, 0x65, 0x78, 0x94, 0x93, 0x94, 0x47, 0x3f, 0xf0, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x47, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x86, 0x94,
    0x52, 0x94, 0x8c, 0x03, 0x73, 0x65, 0x74, 0x94, 0x8f, 0x94, 0x28, 0x4b, 0x03, 0x90, 0x8c, 0x03,
    0x66, 0x6f, 0x6f, 0x94, 0x8c, 0x05, 0x6d, 0x79, 0x6d, 0x6f, 0x64, 0x94, 0x8c, 0x03, 0x46, 0x6f,
    0x6f, 0x94, 0x93, 0x94, 0x29, 0x81, 0x94, 0x7d, 0x94, 0x28, 0x68, 0x0c, 0x4b, 0x01, 0x8c, 0x04,
    0x6e, 0x61, 0x6d, 0x65, 0x94, 0x8c, 0x01, 0x78, 0x94, 0x75, 0x62, 0x8c, 0x02, 0x6f, 0x64, 0x94,
    0x8c, 0x0b, 0x63, 0x6f, 0x6c, 0x6c, 0x65, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x73, 0x94, 0x8c, 0x0b,
    0x4f, 0x72, 0x64, 0x65, 0x72, 0x65, 0x64, 0x44, 0x69, 0x63, 0x74, 0x94, 0x93, 0x94, 0x29, 0x52,
    0x94, 0x68, 0x7d, 0x4b, 0x01, 0x73, 0x8c, 0x05, 0x65, 0x6d, 0x70, 0x74, 0x79, 0x94, 0x68, 0x11,
    0x29, 0x81, 0x94, 0x7d, 0x94, 0x28, 0x68, 0x14, 0x68, 0x17, 0x68, 0x18, 0x4b, 0x00, 0x85, 0x94,
    0x68, 0x1a, 0x68, 0x1b, 0x68, 0x1c, 0x68, 0x2b, 0x68, 0x23, 0x88, 0x68, 0x24, 0x4b, 0x10, 0x75,
    0x62, 0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x95, 0xed, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x01, 0x65, 0x94, 0x8c, 0x00, 0x94,
    0x8c, 0x0e, 0x6b, 0x65, 0x79, 0x20, 0x77, 0x69, 0x74, 0x68, 0x20, 0x73, 0x70, 0x61, 0x63, 0x65,
    0x94, 0x4b, 0x02, 0x8c, 0x02, 0x62, 0x61, 0x94, 0x68, 0x6f, 0x8c, 0x09, 0x62, 0x79, 0x74, 0x65,
    0x61, 0x72, 0x72, 0x61, 0x79, 0x94, 0x93, 0x94, 0x43, 0x02, 0x61, 0x62, 0x94, 0x85, 0x94, 0x52,
    0x94, 0x8c, 0x05, 0x62, 0x6f, 0x6f, 0x6c, 0x5f, 0x94, 0x68, 0x39, 0x68, 0x1d, 0x8c, 0x02, 0x62,
    0x31, 0x94, 0x89, 0x88, 0x87, 0x94, 0x52, 0x94, 0x28, 0x4b, 0x03, 0x68, 0x5c, 0x4e, 0x4e, 0x4e,
    0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74, 0x94, 0x62, 0x43,
    0x01, 0x01, 0x94, 0x86, 0x94, 0x52, 0x94, 0x8c, 0x01, 0x68, 0x94, 0x68, 0x39, 0x68, 0x1d, 0x8c,
    0x02, 0x66, 0x32, 0x94, 0x89, 0x88, 0x87, 0x94, 0x52, 0x94, 0x28, 0x4b, 0x03, 0x68, 0x2c, 0x4e,
    0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74, 0x94,
    0x62, 0x43, 0x02, 0x00, 0x38, 0x94, 0x86, 0x94, 0x52, 0x94, 0x8c, 0x04, 0x62, 0x65, 0x5f, 0x66,
    0x94, 0x68, 0x11, 0x29, 0x81, 0x94, 0x7d, 0x94, 0x28, 0x68, 0x14, 0x68, 0x17, 0x68, 0x18, 0x4b,
    0x02, 0x85, 0x94, 0x68, 0x1a, 0x68, 0x1b, 0x68, 0x1c, 0x68, 0x1d, 0x8c, 0x02, 0x66, 0x38, 0x94,
    0x89, 0x88, 0x87, 0x94, 0x52, 0x94, 0x28, 0x4b, 0x03, 0x68, 0x21, 0x4e, 0x4e, 0x4e, 0x4a, 0xff,
    0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74, 0x94, 0x62, 0x68, 0x23, 0x88,
    0x68, 0x24, 0x4b, 0x10, 0x75, 0x62, 0x09, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x3f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x75, 0x2e,
};
static const unsigned char seedz[] = {
    0x78, 0x5e, 0x35, 0x8f, 0xbf, 0x4e, 0xc3, 0x30, 0x10, 0xc6, 0xe3, 0xa4, 0xa1, 0xa5, 0x2c, 0xfc,
    0x19, 0x79, 0x81, 0x76, 0xe9, 0xcc, 0xc0, 0x82, 0xd8, 0xb0, 0x94, 0x81, 0x85, 0x09, 0x45, 0x76,
    0x63, 0x91, 0x80, 0x93, 0x58, 0x4e, 0x22, 0x94, 0x01, 0x09, 0x06, 0x4a, 0x91, 0x6e, 0xe3, 0xfa,
    0x82, 0xbc, 0x48, 0xb8, 0xa6, 0xc7, 0x0d, 0xf7, 0xfb, 0xce, 0xfa, 0x3e, 0xfb, 0xfc, 0x3e, 0xd9,
    0xfd, 0x06, 0x87, 0x7a, 0xc4, 0x05, 0x08, 0x85, 0x04, 0x29, 0x64, 0x28, 0x23, 0xb3, 0x41, 0x10,
    0x1a, 0xe1, 0xe2, 0xb9, 0xd6, 0xb6, 0xd0, 0xab, 0xaa, 0x2b, 0x5d, 0x9f, 0xba, 0x62, 0xfd, 0x62,
    0x0d, 0xc2, 0x59, 0xb2, 0x1f, 0x6f, 0xbc, 0x57, 0xfd, 0x83, 0x57, 0xce, 0x19, 0x8f, 0x3f, 0xb8,
    0xfc, 0xc0, 0x37, 0xba, 0x65, 0xd6, 0x74, 0x7a, 0x6d, 0x55, 0xd3, 0x20, 0xc4, 0x63, 0x0a, 0x61,
    0x5a, 0x65, 0x6a, 0xef, 0x25, 0x13, 0xc4, 0x4d, 0xae, 0x9c, 0x41, 0x39, 0xff, 0x24, 0x5d, 0xfb,
    0x8c, 0xa2, 0x20, 0x6e, 0x49, 0x67, 0x6d, 0x4f, 0xe7, 0xf9, 0x49, 0x7e, 0x4e, 0xae, 0xb0, 0xb8,
    0xc2, 0xef, 0xed, 0x17, 0xde, 0xd3, 0x3e, 0x11, 0x88, 0x6b, 0x4c, 0x92, 0xe4, 0x6e, 0xa0, 0x1a,
    0x9b, 0x0c, 0x5a, 0xd4, 0x30, 0x57, 0xd6, 0xd6, 0xaf, 0x69, 0x59, 0x2a, 0x87, 0x5b, 0xb8, 0x3c,
    0x6c, 0x38, 0xbe, 0x93, 0x2a, 0x5b, 0x3c, 0x55, 0xa5, 0xa9, 0xda, 0x54, 0xf7, 0xad, 0x69, 0x50,
    0x9e, 0x76, 0x3a, 0x1c, 0x06, 0xfe, 0x6b, 0x20, 0x58, 0x84, 0xcc, 0x88, 0x39, 0x61, 0xc6, 0xcc,
    0x23, 0xe6, 0x94, 0x39, 0x63, 0x1e, 0x33, 0x77, 0xff, 0x81, 0x0d, 0x9a, 0xd5, 0x1f, 0x91, 0x3e,
    0x63, 0xfa,
};

/* A Python 2 str (SHORT_BINSTRING) that is not ASCII, and one that is. */
static const unsigned char py2_latin[] = { 0x80, 0x02, 0x55, 0x02, 0xe9, 0x74, 0x2e };
static const unsigned char py2_ascii[] = { 0x80, 0x02, 0x55, 0x02, 0x61, 0x62, 0x2e };

static sqlite3 *db;

static int setup(void **state) {
    (void)state;
    char *err = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return -1;
    int rc = sqlite3_joblib_init(db, &err, NULL);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "init: %s\n", err ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sqlite3_close(db);
    db = NULL;
    return 0;
}

/* Runs sql with ?1 bound to the BLOB b (when not NULL); see jl_test_query. */
static char *run(const char *sql, const void *b, int n) { return jl_test_query(db, sql, b, n); }

static void expect_at(const char *sql, const void *b, int n, const char *want, const char *file,
                      int line) {
    char *got = run(sql, b, n);
    if (strcmp(got, want) != 0) {
        print_error("%s:%d: %s\n  want: %s\n  got:  %s\n", file, line, sql, want, got);
        sqlite3_free(got);
        fail();
    }
    sqlite3_free(got);
}
#define EXPECT(sql, bundle, want) expect_at(sql, bundle, (int)sizeof(bundle), want, __FILE__, __LINE__)
#define EXPECT0(sql, want) expect_at(sql, NULL, 0, want, __FILE__, __LINE__)

/* The result starts with `prefix` and contains `part` (when not NULL). */
static void expect_error_at(const char *sql, const void *b, int n, const char *prefix,
                            const char *part, const char *file, int line) {
    char *got = run(sql, b, n);
    if (strncmp(got, prefix, strlen(prefix)) != 0 || (part && !strstr(got, part))) {
        print_error("%s:%d: %s\n  want: %s...%s\n  got:  %s\n", file, line, sql, prefix,
                    part ? part : "", got);
        sqlite3_free(got);
        fail();
    }
    sqlite3_free(got);
}
#define EXPECT_ERROR(sql, bundle, prefix, part) \
    expect_error_at(sql, bundle, (int)sizeof(bundle), prefix, part, __FILE__, __LINE__)
#define EXPECT_ERROR0(sql, prefix, part) expect_error_at(sql, NULL, 0, prefix, part, __FILE__, __LINE__)

/* Writes bytes to a new temporary file; returns its path (static buffer). */
static const char *temp_file(const void *p, size_t n, const char *suffix) {
    static char path[256];
    snprintf(path, sizeof path, "/tmp/jl_test_ext_%ld%s", (long)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
    return path;
}

/* ---- registration --------------------------------------------------------- */

static void test_flags(void **state) {
    (void)state;
    /* file readers: neither DETERMINISTIC (0x800), DIRECTONLY (0x80000) nor INNOCUOUS (0x200000) */
    EXPECT0("SELECT name, narg, flags & 0x280800 FROM pragma_function_list "
            "WHERE name IN ('joblib_load','joblib_info','joblib_extract','joblib_json') ORDER BY name, narg",
            "text:joblib_extract|int:2|int:0\n"
            "text:joblib_info|int:1|int:0\n"
            "text:joblib_json|int:1|int:0\n"
            "text:joblib_json|int:2|int:0\n"
            "text:joblib_load|int:1|int:0\n"
            "text:joblib_load|int:2|int:0");
    /* joblib_config changes connection state: DIRECTONLY only */
    EXPECT0("SELECT narg, flags & 0x280800 FROM pragma_function_list "
            "WHERE name = 'joblib_config' ORDER BY narg",
            "int:0|int:524288\nint:1|int:524288\nint:2|int:524288");
    EXPECT0("SELECT name FROM pragma_module_list WHERE name LIKE 'joblib_%' ORDER BY name",
            "text:joblib_each\ntext:joblib_files\ntext:joblib_tree");
}

static void test_init_twice(void **state) {
    (void)state;
    /* re-registering replaces the functions; the old settings are released */
    char *err = NULL;
    assert_int_equal(sqlite3_joblib_init(db, &err, NULL), SQLITE_OK);
    assert_null(err);
    EXPECT("SELECT joblib_load(?1, '$[0][0]')", seed4, "text:a");
}

/* ---- joblib_load ------------------------------------------------------------ */

static void seed_values(const void *b, int n) {
    expect_at("SELECT json(joblib_load(?1))", b, n,
              "text:[[\"a\",[1,2,3]],[\"b\",[0,1,2,3,4,5,6,7,8,9]]]", __FILE__, __LINE__);
    /* the JSON subtype: json_array nests the value instead of quoting it */
    expect_at("SELECT json(json_array(joblib_load(?1, '$[0]')))", b, n, "text:[[\"a\",[1,2,3]]]",
              __FILE__, __LINE__);
    expect_at("SELECT joblib_load(?1, '$[0][0]')", b, n, "text:a", __FILE__, __LINE__);
    expect_at("SELECT joblib_load(?1, '$[0][1][2]')", b, n, "int:3", __FILE__, __LINE__);
    expect_at("SELECT joblib_load(?1, '$[#-1][0]')", b, n, "text:b", __FILE__, __LINE__);
    expect_at("SELECT joblib_load(?1, '$[1][1]')", b, n,
              "blob:0000000000000000010000000000000002000000000000000300000000000000"
              "0400000000000000050000000000000006000000000000000700000000000000"
              "08000000000000000900000000000000",
              __FILE__, __LINE__);
    expect_at("SELECT joblib_load(?1, '$[1][1][3]')", b, n, "int:3", __FILE__, __LINE__);
    expect_at("SELECT joblib_load(?1, '$[2]'), joblib_load(?1, '$[0].x')", b, n, "null|null",
              __FILE__, __LINE__);
}

static void test_load_seed(void **state) {
    (void)state;
    seed_values(seed4, sizeof seed4);
    seed_values(seed2, sizeof seed2);
    seed_values(seedz, sizeof seedz);
}

static void test_load_rich(void **state) {
    (void)state;
    EXPECT("SELECT joblib_load(?1, '$.i'), joblib_load(?1, '$.neg'), joblib_load(?1, '$.f')", rich,
           "int:7|int:-5|real:1.5");
    EXPECT("SELECT joblib_load(?1, '$.big')", rich, "text:1180591620717411303424");
    EXPECT("SELECT joblib_load(?1, '$.s'), joblib_load(?1, '$.e')", rich, "text:h\xc3\xa9llo|text:");
    EXPECT("SELECT joblib_load(?1, '$.b'), joblib_load(?1, '$.ba')", rich, "blob:0001FF|blob:6162");
    EXPECT("SELECT joblib_load(?1, '$.none'), joblib_load(?1, '$.t')", rich, "null|int:1");
    EXPECT("SELECT json(joblib_load(?1, '$.tup')), json(joblib_load(?1, '$.set'))", rich,
           "text:[1,\"a\"]|text:[3]");
    /* big-endian arrays come back in native (little-endian) order */
    EXPECT("SELECT joblib_load(?1, '$.be')", rich, "blob:000000000100000002000000");
    EXPECT("SELECT joblib_load(?1, '$.be_f')", rich, "blob:000000000000F83F00000000000000C0");
    /* Fortran order comes back in C order */
    EXPECT("SELECT joblib_load(?1, '$.F')", rich, "blob:000001000200030004000500");
    EXPECT("SELECT length(joblib_load(?1, '$.mat')), joblib_load(?1, '$.mat[1][2]')", rich,
           "int:48|real:5.0");
    EXPECT("SELECT typeof(joblib_load(?1, '$.empty')), length(joblib_load(?1, '$.empty'))", rich,
           "text:blob|int:0");
    /* numpy scalars as their values */
    EXPECT("SELECT joblib_load(?1, '$.sc'), joblib_load(?1, '$.i32'), joblib_load(?1, '$.h')", rich,
           "real:2.5|int:-2|real:0.5");
    EXPECT("SELECT joblib_load(?1, '$.u64'), joblib_load(?1, '$.bool_')", rich,
           "text:18446744073709551615|int:1");
    EXPECT("SELECT joblib_load(?1, '$.ustr'), joblib_load(?1, '$.dt')", rich,
           "text:h\xc3\xa9|text:2020-01-02");
    /* everything else is JSON */
    EXPECT("SELECT json(joblib_load(?1, '$.obj'))", rich, "text:[1,\"a\"]");
    EXPECT("SELECT json_extract(joblib_load(?1, '$.foo'), '$.__class__'), "
           "json_extract(joblib_load(?1, '$.foo'), '$.a')",
           rich, "text:mymod.Foo|int:1");
    EXPECT("SELECT joblib_load(?1, '$.foo.a'), joblib_load(?1, '$.foo.name')", rich, "int:1|text:x");
    EXPECT("SELECT joblib_load(?1, '$.od.x'), joblib_load(?1, '$[1]')", rich, "int:1|text:one");
    EXPECT("SELECT joblib_load(?1, '$.\"key with space\"')", rich, "int:2");
    EXPECT("SELECT json_type(joblib_load(?1)), json_type(joblib_load(?1, '$.c'))", rich,
           "text:object|text:array");
}

static void test_load_py2_str(void **state) {
    (void)state;
    EXPECT("SELECT joblib_load(?1)", py2_latin, "blob:E974");
    EXPECT("SELECT joblib_load(?1)", py2_ascii, "text:ab");
    EXPECT("SELECT json_extract(joblib_info(?1), '$.python')", py2_latin, "int:2");
}

static void test_load_per_row(void **state) {
    (void)state;
    /* a constant src with a path per row */
    EXPECT("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9) "
           "SELECT sum(joblib_load(?1, '$[1][1][' || i || ']')), count(*) FROM n",
           seed4, "int:45|int:10");
}

/* The doc of a constant src is parsed once per statement: the file can go
 * away after the first row. */
static void test_load_cached(void **state) {
    (void)state;
    const char *path = temp_file(seed4, sizeof seed4, ".pkl");
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 "
                                        "FROM n WHERE i < 2) SELECT joblib_load(?1, '$[1][1][' || i "
                                        "|| ']') FROM n",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    unlink(path);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    /* the next execution opens the file again, which is gone now */
    sqlite3_reset(st);
    assert_int_equal(sqlite3_step(st), SQLITE_ERROR);
    assert_non_null(strstr(sqlite3_errmsg(db), "joblib: "));
    assert_non_null(strstr(sqlite3_errmsg(db), path));
    sqlite3_finalize(st);
}

static void test_load_file(void **state) {
    (void)state;
    const char *path = temp_file(seedz, sizeof seedz, ".pkl.z");
    char *sql = sqlite3_mprintf("SELECT joblib_load(%Q, '$[0][1]'), "
                                "json_extract(joblib_info(%Q), '$.files[0]') = %Q",
                                path, path, path);
    EXPECT0(sql, "text:[1,2,3]|int:1");
    sqlite3_free(sql);
    unlink(path);
}

static void test_load_errors(void **state) {
    (void)state;
    EXPECT0("SELECT joblib_load(NULL), joblib_load(NULL, '$'), joblib_info(NULL)", "null|null|null");
    EXPECT("SELECT joblib_load(?1, NULL)", seed4, "null");
    EXPECT_ERROR0("SELECT joblib_load(1)", "error:joblib: joblib_load(): argument 1 (src)",
                  "not INTEGER");
    EXPECT_ERROR("SELECT joblib_load(?1, 5)", seed4, "error:joblib: joblib_load(): argument 2 (path)",
                 "not INTEGER");
    EXPECT_ERROR0("SELECT joblib_info(1.5)", "error:joblib: joblib_info(): argument 1 (src)",
                  "not REAL");
    EXPECT_ERROR("SELECT joblib_load(?1, 'a.b')", seed4, "error:joblib: ", "path a.b");
    EXPECT_ERROR0("SELECT joblib_load('/nonexistent/dir/x.pkl')", "error:joblib: ",
                  "/nonexistent/dir/x.pkl");
    EXPECT_ERROR0("SELECT joblib_load('')", "error:joblib: ", "empty file name");
    EXPECT_ERROR0("SELECT joblib_load(X'')", "error:joblib: ", NULL);
    /* a truncated bundle: the error says where */
    char *got = run("SELECT joblib_load(?1)", seed4, 100);
    assert_true(strncmp(got, "error:joblib: ", 14) == 0);
    assert_non_null(strstr(got, "byte "));
    sqlite3_free(got);
}

/* ---- joblib_info -------------------------------------------------------------- */

static void test_info(void **state) {
    (void)state;
    EXPECT("SELECT json_extract(joblib_info(?1), '$.format', '$.compression', '$.protocol', "
           "'$.python', '$.size', '$.stream_size', '$.files')",
           seed4, "text:[\"joblib\",\"none\",4,3,333,333,[]]");
    EXPECT("SELECT json(json_extract(joblib_info(?1), '$.arrays'))", seed4,
           "text:[{\"path\":\"$[1][1]\",\"dtype\":\"<i8\",\"shape\":[10],\"order\":\"C\","
           "\"nbytes\":80,\"offset\":240}]");
    EXPECT("SELECT json_extract(joblib_info(?1), '$.protocol', '$.arrays[0].offset')", seed2,
           "text:[2,288]");
    EXPECT("SELECT json_extract(joblib_info(?1), '$.compression', '$.size', '$.stream_size', "
           "'$.arrays[0].offset')",
           seedz, "text:[\"zlib\",242,333,240]");
    EXPECT("SELECT json_extract(joblib_info(?1), '$.nodes') > 10", seed4, "int:1");
    /* dtype as stored; order as stored */
    EXPECT("SELECT json_extract(value, '$.dtype'), json_extract(value, '$.order'), "
           "json_extract(value, '$.nbytes') FROM json_each(joblib_info(?1), '$.arrays') "
           "WHERE json_extract(value, '$.path') IN ('$.be', '$.F', '$.be_f') "
           "ORDER BY json_extract(value, '$.path')",
           rich, "text:<i2|text:F|int:12\ntext:>i4|text:C|int:12\ntext:>f8|text:C|int:16");
    EXPECT("SELECT json_extract(value, '$.dtype'), json_extract(value, '$.offset') "
           "FROM json_each(joblib_info(?1), '$.arrays') WHERE json_extract(value, '$.path') = '$.obj'",
           rich, "text:|O|null");
}

/* ---- joblib_each / joblib_tree -------------------------------------------------- */

static void test_each(void **state) {
    (void)state;
    EXPECT("SELECT key, type, atom, id > 0, parent, fullkey, path FROM joblib_each(?1)", seed4,
           "int:0|text:tuple|null|int:1|null|text:$[0]|text:$\n"
           "int:1|text:tuple|null|int:1|null|text:$[1]|text:$");
    EXPECT("SELECT key, value, type FROM joblib_each(?1, '$[0]')", seed4,
           "int:0|text:a|text:str\nint:1|text:[1,2,3]|text:list");
    /* an array lists its rows: scalars for 1-D */
    EXPECT("SELECT group_concat(key), sum(value), min(type), max(type), min(dtype), min(class) "
           "FROM joblib_each(?1, '$[1][1]')",
           seed4, "text:0,1,2,3,4,5,6,7,8,9|int:45|text:scalar|text:scalar|text:<i8|text:numpy.int64");
    /* a matrix: one BLOB per row */
    EXPECT("SELECT key, hex(value), type, dtype, shape, nbytes FROM joblib_each(?1, '$.mat')", rich,
           "int:0|text:0000000000000000000000000000F03F0000000000000040|text:ndarray|text:<f8|text:[3]|int:24\n"
           "int:1|text:000000000000084000000000000010400000000000001440|text:ndarray|text:<f8|text:[3]|int:24");
    EXPECT("SELECT value FROM joblib_each(?1, '$.be')", rich, "int:0\nint:1\nint:2");
    /* keys: int keys as INTEGER, attribute names as TEXT */
    EXPECT("SELECT typeof(key), fullkey FROM joblib_each(?1) WHERE key = 1", rich,
           "text:integer|text:$[1]");
    EXPECT("SELECT key, value FROM joblib_each(?1, '$.foo')", rich, "text:a|int:1\ntext:name|text:x");
    /* the second occurrence of a shared list is a ref to the first */
    EXPECT("SELECT key, type, value, atom FROM joblib_each(?1) WHERE key IN ('sh1', 'sh2')", rich,
           "text:sh1|text:list|text:[1,2]|null\ntext:sh2|text:ref|text:$.sh1|null");
    /* columns of arrays and scalars */
    EXPECT("SELECT dtype, shape, nbytes, class FROM joblib_each(?1) WHERE key IN ('be', 'sc', 'foo')",
           rich, "text:<i4|text:[3]|int:12|null\ntext:<f8|text:[]|int:8|text:numpy.float64\n"
                 "null|null|null|text:mymod.Foo");
    /* hidden columns */
    EXPECT("SELECT DISTINCT typeof(src), root FROM joblib_each(?1, '$[0]')", seed4,
           "text:blob|text:$[0]");
    /* nothing selected, NULL src: no rows */
    EXPECT("SELECT count(*) FROM joblib_each(?1, '$[7]')", seed4, "int:0");
    EXPECT0("SELECT count(*) FROM joblib_each(NULL)", "int:0");
    /* an atom lists itself, as json_each does */
    EXPECT("SELECT key, value, type, fullkey, path FROM joblib_each(?1, '$[0][0]')", seed4,
           "null|text:a|text:str|text:$[0][0]|text:$[0]");
}

static void test_tree(void **state) {
    (void)state;
    EXPECT("SELECT id, parent, key, type, fullkey, path FROM joblib_tree(?1, '$[0]')", seed4,
           "int:0|null|null|text:tuple|text:$[0]|text:$\n"
           "int:1|int:0|int:0|text:str|text:$[0][0]|text:$[0]\n"
           "int:2|int:0|int:1|text:list|text:$[0][1]|text:$[0]\n"
           "int:3|int:2|int:0|text:int|text:$[0][1][0]|text:$[0][1]\n"
           "int:4|int:2|int:1|text:int|text:$[0][1][1]|text:$[0][1]\n"
           "int:5|int:2|int:2|text:int|text:$[0][1][2]|text:$[0][1]");
    /* arrays are leaves of the tree */
    EXPECT("SELECT count(*), sum(type = 'ndarray') FROM joblib_tree(?1)", seed4, "int:10|int:1");
    /* every fullkey selects its node */
    EXPECT("SELECT count(*) FROM joblib_tree(?1) WHERE type <> 'ref' AND "
           "joblib_load(?1, fullkey) IS NOT value",
           rich, "int:0");
    EXPECT("SELECT count(*) FROM joblib_tree(?1) t WHERE t.parent IS NOT NULL AND NOT EXISTS "
           "(SELECT 1 FROM joblib_tree(?1) p WHERE p.id = t.parent AND p.fullkey = t.path)",
           rich, "int:0");
}

static void test_each_join(void **state) {
    (void)state;
    /* src from another table: xFilter per outer row */
    EXPECT("SELECT count(*), sum(e.key) FROM (SELECT ?1 AS b UNION ALL SELECT ?1) t, "
           "joblib_each(t.b, '$[1][1]') e",
           seed4, "int:20|int:90");
    EXPECT("SELECT t.k, count(e.key) FROM (SELECT '$[0]' AS k UNION ALL SELECT '$[1][1]') t, "
           "joblib_each(?1, t.k) e GROUP BY t.k ORDER BY t.k",
           seed4, "text:$[0]|int:2\ntext:$[1][1]|int:10");
}

static void test_each_errors(void **state) {
    (void)state;
    EXPECT_ERROR0("SELECT * FROM joblib_each", "error:joblib: joblib_each() needs a src argument",
                  NULL);
    EXPECT_ERROR0("SELECT * FROM joblib_tree(1)", "error:joblib: joblib_tree(): argument 1 (src)",
                  "not INTEGER");
    EXPECT_ERROR("SELECT * FROM joblib_each(?1, 3)", seed4,
                 "error:joblib: joblib_each(): argument 2 (root)", NULL);
    EXPECT_ERROR("SELECT * FROM joblib_each(?1, 'nope')", seed4, "error:joblib: ", "path nope");
    EXPECT_ERROR0("SELECT * FROM joblib_each(X'80')", "error:joblib: ", NULL);
    /* a user column named like one of the table's own binds to that one */
    EXPECT_ERROR0("WITH m(path) AS (SELECT 'x.pkl') "
                  "SELECT (SELECT count(*) FROM joblib_tree(path)) FROM m",
                  "error:joblib: joblib_tree(path): the argument named the column `path` of joblib_tree "
                  "itself, not of an outer table; qualify it, e.g. joblib_tree(t.path)", NULL);
    EXPECT_ERROR0("WITH m(src) AS (SELECT 'x.pkl') "
                  "SELECT (SELECT count(*) FROM joblib_each(src, '$')) FROM m",
                  "error:joblib: joblib_each(src): the argument named the column `src` of joblib_each "
                  "itself, not of an outer table; qualify it, e.g. joblib_each(t.src)", NULL);
    /* qualified, it is the outer column: the file is opened */
    EXPECT_ERROR0("WITH m(path) AS (SELECT 'no-such.pkl') "
                  "SELECT (SELECT count(*) FROM joblib_tree(m.path)) FROM m",
                  "error:joblib: cannot open 'no-such.pkl'", NULL);
}

/* ---- trusted schema ---------------------------------------------------------------- */

static void test_trusted_schema(void **state) {
    (void)state;
    EXPECT0("CREATE VIEW v_load AS SELECT joblib_load(X'80024b072e') AS x", "");
    EXPECT0("CREATE VIEW v_each AS SELECT value FROM joblib_each(X'80025d4b07612e')", "");
    EXPECT0("CREATE VIEW v_config AS SELECT joblib_config('max_nodes') AS x", "");
    EXPECT0("SELECT x FROM v_load", "int:7");
    EXPECT0("SELECT value FROM v_each", "int:7");
    /* DIRECTONLY: never from a view */
    EXPECT_ERROR0("SELECT x FROM v_config", "error:unsafe use of joblib_config()", NULL);
    /* file readers are not INNOCUOUS: an untrusted schema cannot use them */
    EXPECT0("PRAGMA trusted_schema = OFF", "");
    EXPECT_ERROR0("SELECT x FROM v_load", "error:unsafe use of joblib_load()", NULL);
    EXPECT_ERROR0("SELECT value FROM v_each", "error:unsafe use of virtual table", NULL);
    EXPECT0("PRAGMA trusted_schema = ON", "");
    EXPECT0("DROP VIEW v_load", "");
    EXPECT0("DROP VIEW v_each", "");
    EXPECT0("DROP VIEW v_config", "");
}

/* ---- hostile input ------------------------------------------------------------------ */

/* Every prefix of a bundle gives a value or a "joblib:" error, never a crash
 * (the sanitizers watch). */
static void check_prefixes(const unsigned char *b, int len) {
    static const char *const sqls[] = {
        "SELECT joblib_info(?1)",
        "SELECT joblib_load(?1)",
        "SELECT count(*), group_concat(fullkey), sum(length(value)) FROM joblib_tree(?1)",
    };
    for (int n = 0; n < len; n++)
        for (size_t q = 0; q < sizeof sqls / sizeof sqls[0]; q++) {
            char *got = run(sqls[q], n ? b : (const void *)"", n);
            if (strncmp(got, "error:", 6) == 0 && strncmp(got, "error:joblib: ", 14) != 0) {
                print_error("prefix %d of %d: %s: %s\n", n, len, sqls[q], got);
                sqlite3_free(got);
                fail();
            }
            sqlite3_free(got);
        }
}

static void test_truncated(void **state) {
    (void)state;
    check_prefixes(seed4, sizeof seed4);
    check_prefixes(seed2, sizeof seed2);
    check_prefixes(seedz, sizeof seedz);
    check_prefixes(rich, sizeof rich);
}

/* Out of memory at every point of a call: SQLITE_NOMEM or a result, never
 * a crash or a leak (SQLite's hard heap limit makes its allocator fail). */
static void test_out_of_memory(void **state) {
    (void)state;
    static const char *const sqls[] = {
        "SELECT joblib_info(?1)",
        "SELECT joblib_load(?1), joblib_load(?1, '$.mat'), joblib_load(?1, '$.be_f[1]')",
        "SELECT count(*), group_concat(fullkey), sum(length(value)), max(dtype) FROM joblib_tree(?1)",
        "SELECT count(*) FROM joblib_each(?1, '$.mat')",
    };
    int ok = 0, nomem = 0;
    for (size_t q = 0; q < sizeof sqls / sizeof sqls[0]; q++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, sqls[q], -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_blob(st, 1, rich, (int)sizeof rich, SQLITE_STATIC);
        sqlite3_int64 base = sqlite3_memory_used();
        /* fine steps first, then growing ones */
        for (sqlite3_int64 extra = 0; extra < ((sqlite3_int64)64 << 20);
             extra += extra < 300000 ? 256 : extra / 8) {
            sqlite3_hard_heap_limit64(base + extra);
            int rc;
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
            sqlite3_hard_heap_limit64(0);
            if (rc == SQLITE_DONE) {
                ok++;
                sqlite3_reset(st);
                break;
            }
            const char *msg = sqlite3_errmsg(db);
            if (rc != SQLITE_NOMEM && strncmp(msg, "joblib: ", 8) != 0) {
                print_error("%s at +%lld: rc %d: %s\n", sqls[q], (long long)extra, rc, msg);
                sqlite3_finalize(st);
                fail();
            }
            nomem++;
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
    }
    assert_int_equal(ok, 4); /* each query succeeded once memory sufficed */
    assert_true(nomem > 0);
}

/* ---- joblib_extract ---------------------------------------------------------------- */

static void test_extract(void **state) {
    (void)state;
    /* the node as a bundle of its own: loads back to the same value */
    EXPECT("SELECT typeof(joblib_extract(?1, '$[1][1]')), "
           "joblib_load(joblib_extract(?1, '$[1][1]')) = joblib_load(?1, '$[1][1]'), "
           "json_extract(joblib_info(joblib_extract(?1, '$[1][1]')), '$.arrays[0].path', "
           "'$.arrays[0].dtype', '$.arrays[0].shape')",
           seed4, "text:blob|int:1|text:[\"$\",\"<i8\",[10]]");
    EXPECT("SELECT json(joblib_load(joblib_extract(?1, '$[0]')))", seed4, "text:[\"a\",[1,2,3]]");
    /* a big-endian array stays big-endian in the bundle, native in SQL */
    EXPECT("SELECT json_extract(joblib_info(joblib_extract(?1, '$.be')), '$.arrays[0].dtype'), "
           "hex(joblib_load(joblib_extract(?1, '$.be')))",
           rich, "text:>i4|text:000000000100000002000000");
    /* the bundle subtype: it nests as its value in the write functions */
    EXPECT("SELECT hex(joblib_load(joblib_list(joblib_extract(?1, '$[1][1]'), 5), '$[0]')) = "
           "hex(joblib_load(?1, '$[1][1]')), joblib_load(joblib_list(joblib_extract(?1, '$[0][0]')), "
           "'$[0]')",
           seed4, "int:1|text:a");
    EXPECT("SELECT joblib_extract(?1, '$[9]'), joblib_extract(?1, NULL), joblib_extract(NULL, '$')",
           seed4, "null|null|null");
    EXPECT_ERROR("SELECT joblib_extract(?1, 1)", seed4,
                 "error:joblib: joblib_extract(): argument 2 (path)", NULL);
}

/* ---- joblib_config ---------------------------------------------------------------- */

static void test_config(void **state) {
    (void)state;
    EXPECT0("SELECT joblib_config('max_nodes'), joblib_config('max_depth')", "int:200000000|int:100000");
    EXPECT0("SELECT json_extract(joblib_config(), '$.max_alloc')", "int:8589934592");
    EXPECT0("SELECT joblib_config('max_nodes', 5)", "int:5");
    EXPECT_ERROR("SELECT joblib_load(?1)", seed4, "error:joblib: ", "max_nodes");
    EXPECT_ERROR("SELECT count(*) FROM joblib_tree(?1)", seed4, "error:joblib: ", "max_nodes");
    EXPECT0("SELECT joblib_config('max_nodes', 1e6)", "int:1000000");
    EXPECT("SELECT joblib_load(?1, '$[0][0]')", seed4, "text:a");
    EXPECT_ERROR0("SELECT joblib_config('nope')", "error:joblib: joblib_config(): argument 1 (name)",
                  "'nope'");
    /* a bad number is named by its value, anything else by its type */
    EXPECT_ERROR0("SELECT joblib_config('max_nodes', 0)",
                  "error:joblib: joblib_config(): argument 2 (value) must be a positive integer, not 0", NULL);
    EXPECT_ERROR0("SELECT joblib_config('max_nodes', -1)",
                  "error:joblib: joblib_config(): argument 2 (value) must be a positive integer, not -1", NULL);
    EXPECT_ERROR0("SELECT joblib_config('max_nodes', 2.5)",
                  "error:joblib: joblib_config(): argument 2 (value) must be a positive integer, not 2.5", NULL);
    EXPECT_ERROR0("SELECT joblib_config('max_nodes', 'x')",
                  "error:joblib: joblib_config(): argument 2 (value)", "TEXT");
    EXPECT0("SELECT joblib_config(NULL), joblib_config('max_nodes', NULL)", "null|null");
}

/* ---- the upstream corpus (legacy sidecars), skipped when absent ---------------------- */

static void test_corpus_legacy(void **state) {
    (void)state;
    const char *dir = jl_test_corpus_dir();
    if (!dir) skip();
    char path[4096];
    snprintf(path, sizeof path, "%s/joblib_0.9.2_pickle_py34_np19.pkl", dir);
    char sidecar[4200];
    snprintf(sidecar, sizeof sidecar, "%s_01.npy", path);
    char *sql = sqlite3_mprintf(
        "SELECT json_extract(joblib_info(%Q), '$.format', '$.protocol', '$.arrays[0].dtype', "
        "'$.arrays[0].shape', '$.arrays[0].offset'), json_array_length(joblib_info(%Q), '$.files'), "
        "json_extract(joblib_info(%Q), '$.arrays[0].file') = %Q, "
        "json_extract(joblib_info(%Q), '$.files[1]') = %Q, "
        "hex(joblib_load(%Q, '$[0]')), joblib_load(%Q, '$[5]')",
        path, path, path, sidecar, path, sidecar, path, path);
    EXPECT0(sql, "text:[\"joblib-legacy\",3,\"<i8\",[5],80]|int:5|int:1|int:1|"
                 "text:00000000000000000100000000000000020000000000000003000000000000000400000000000000|"
                 "text:C'est l'\xc3\xa9t\xc3\xa9 !");
    sqlite3_free(sql);
    /* the same main file as a BLOB cannot reach its sidecars */
    uint64_t n = 0;
    uint8_t *bytes = jl_test_read_file(path, &n);
    assert_non_null(bytes);
    char *got = run("SELECT joblib_load(?1)", bytes, (int)n);
    assert_true(strncmp(got, "error:joblib: ", 14) == 0);
    sqlite3_free(got);
    free(bytes);
}

/* ---- big arrays: private mappings of the file ------------------------------ */

#define BIG_N ((size_t)16 << 20) /* bytes of the big float64 array */

static uint8_t *big_data(void) {
    uint8_t *d = malloc(BIG_N);
    assert_non_null(d);
    for (size_t i = 0; i < BIG_N; i++) d[i] = (uint8_t)((i * 2654435761u) >> 13 ^ i >> 20);
    return d;
}

static void put(uint8_t *b, size_t *n, const void *s, size_t k) {
    memcpy(b + *n, s, k);
    *n += k;
}
#define PUT(b, n, lit) put(b, n, lit, sizeof(lit) - 1)

/* A NumpyArrayWrapper pickle (protocol 2) of `items` little-endian float64
 * up to its data: first a BINUNICODE of `fill` bytes that is POPped (when
 * fill > 0), then `pad` alignment bytes. Returns the prefix length, which is
 * the data offset in the file. */
static size_t wrapper_prefix(uint8_t *b, size_t fill, uint8_t pad, uint32_t items) {
    size_t n = 0;
    PUT(b, &n, "\x80\x02");
    if (fill) {
        uint8_t h[5] = { 'X', (uint8_t)fill, (uint8_t)(fill >> 8), (uint8_t)(fill >> 16), 0 };
        put(b, &n, h, 5);
        memset(b + n, 'x', fill);
        n += fill;
        PUT(b, &n, "0");
    }
    PUT(b, &n, "cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}(U\x08subclasscnumpy\nndarray\n"
               "U\x05shapeJ");
    uint8_t le[4] = { (uint8_t)items, (uint8_t)(items >> 8), (uint8_t)(items >> 16), (uint8_t)(items >> 24) };
    put(b, &n, le, 4);
    PUT(b, &n, "\x85U\x05orderU\x01" "CU\x05" "dtypecnumpy\ndtype\nU\x02" "f8\x89\x88\x87R(K\x03U\x01<NNN"
               "J\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tbU\x0a" "allow_mmap\x88"
               "U\x1bnumpy_array_alignment_bytesK\x10ub");
    b[n++] = pad;
    memset(b + n, 0xEE, pad);
    return n + pad;
}

/* Writes the bundle with data at file offset `at` (fill and padding chosen
 * to land there) to `path`. */
static void write_big(const char *path, const uint8_t *data, size_t n, size_t at) {
    static uint8_t pre[16384];
    size_t base = wrapper_prefix(pre, 0, 0, (uint32_t)(n / 8));
    assert_true(at >= base && at - base < sizeof pre - 1024);
    size_t got = at - base <= 255 ? wrapper_prefix(pre, 0, (uint8_t)(at - base), (uint32_t)(n / 8))
                                  : wrapper_prefix(pre, at - base - 6, 0, (uint32_t)(n / 8));
    assert_int_equal(got, at);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(pre, 1, got, f), got);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fwrite(".", 1, 1, f), 1);
    assert_int_equal(fclose(f), 0);
}

/* Mappings of `path` in /proc/self/maps: how many, and the file offset of
 * the one holding `p` in *off (UINT64_MAX when no mapping of it holds p). */
static int mappings_of(const char *path, const void *p, uint64_t *off) {
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[4096];
    int count = 0;
    *off = UINT64_MAX;
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, o;
        int at = 0;
        if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &lo, &hi, &o, &at) != 3 || !at) continue;
        char *name = line + at;
        name[strcspn(name, "\n")] = 0;
        size_t k = strlen(path);
        if (strncmp(name, path, k) != 0 || (name[k] && strcmp(name + k, " (deleted)") != 0)) continue;
        count++;
        if ((uintptr_t)p >= lo && (uintptr_t)p < hi) *off = o;
    }
    fclose(f);
    return count;
}

/* Runs sql (?1 = path) and checks the BLOB of its one row: equal to data,
 * and (when `mapped`) lying in a private mapping of the file that starts at
 * the page before `at` or earlier; after the statement no mapping of the
 * file is left. Returns how many mappings of the file the row saw. */
static int check_big(const char *sql, const char *path, const uint8_t *data, size_t at, int mapped) {
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const void *p = sqlite3_column_blob(st, 0);
    assert_int_equal(sqlite3_column_bytes(st, 0), BIG_N);
    assert_memory_equal(p, data, BIG_N);
    uint64_t off;
    int count = mappings_of(path, p, &off);
    if (mapped) {
        long ps = sysconf(_SC_PAGESIZE);
        assert_true(off != UINT64_MAX && off % (uint64_t)ps == 0 && off <= at && at - off < 2 * (uint64_t)ps);
        if (at % (uint64_t)ps < 16) assert_int_equal(off, at - at % (uint64_t)ps - (uint64_t)ps);
    } else {
        assert_true(off == UINT64_MAX);
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(mappings_of(path, NULL, &off), 0);
    return count;
}

static void test_big_array_mapped(void **state) {
    (void)state;
    /* what lives per statement: the cache across statements is off here
     * (tests/interop/test_doc_cache.py tests it) */
    assert_int_equal(sqlite3_exec(db, "SELECT joblib_config('cache_bytes', 0)", NULL, NULL, NULL), SQLITE_OK);
    long ps = sysconf(_SC_PAGESIZE);
    uint8_t *data = big_data();
    char path[256];
    snprintf(path, sizeof path, "/tmp/jl_test_ext_big_%ld.pkl", (long)getpid());
    /* data within 16 bytes after a page start (the header goes one page
     * earlier), 4 bytes before a page end, and in the first page */
    const size_t at[] = { (size_t)ps * 3 + 8, (size_t)ps * 2 - 4, (size_t)ps * 3, 400 };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        write_big(path, data, BIG_N, at[i]);
        check_big("SELECT joblib_load(?1)", path, data, at[i], 1);
    }
    /* the doc is freed right after the call (a column src is not cached):
     * the row sees only the BLOB's own mapping, which stays valid */
    assert_int_equal(sqlite3_exec(db, "CREATE TEMP TABLE big_src(p)", NULL, NULL, NULL), SQLITE_OK);
    write_big(path, data, BIG_N, (size_t)ps * 3 + 8);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO big_src VALUES (?1)", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(check_big("SELECT joblib_load(p) FROM big_src", path, data, (size_t)ps * 3 + 8, 1), 1);
    /* a cached doc (constant src) keeps its own mapping beside the BLOB's */
    assert_int_equal(check_big("SELECT joblib_load(?1)", path, data, (size_t)ps * 3 + 8, 1), 2);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE big_src", NULL, NULL, NULL), SQLITE_OK);

    /* too big for SQLITE_LIMIT_LENGTH: an error, and SQLite unmaps */
    int old = sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
    char *sql = sqlite3_mprintf("SELECT joblib_load(%Q)", path);
    char *got = run(sql, NULL, 0);
    assert_string_equal(got, "error:joblib: a result of 16777216 bytes is larger than SQLITE_LIMIT_LENGTH (1048576 bytes)");
    sqlite3_free(got);
    sqlite3_free(sql);
    /* the bundle joblib_extract builds stops at the limit, naming file and path */
    sql = sqlite3_mprintf("SELECT joblib_extract(%Q, '$')", path);
    got = run(sql, NULL, 0);
    char *want = sqlite3_mprintf("error:joblib: the bundle is larger than SQLITE_LIMIT_LENGTH (1 MiB) "
                                 "(file '%s', path $)", path);
    assert_string_equal(got, want);
    sqlite3_free(want);
    sqlite3_free(got);
    sqlite3_free(sql);
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, old);
    uint64_t off;
    assert_int_equal(mappings_of(path, NULL, &off), 0);

    /* the same array as BLOB src, or a byte-swapped copy (big-endian data),
     * is copied as before */
    uint64_t len;
    uint8_t *whole = jl_test_read_file(path, &len);
    assert_non_null(whole);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT joblib_load(?1)", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_blob64(st, 1, whole, len, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(st, 0), BIG_N);
    assert_memory_equal(sqlite3_column_blob(st, 0), data, BIG_N);
    sqlite3_finalize(st);
    free(whole);
    size_t dt = 0;
    static uint8_t pre[4096];
    size_t n = wrapper_prefix(pre, 0, 0, (uint32_t)(BIG_N / 8));
    for (size_t i = 0; i + 4 < n; i++)
        if (memcmp(pre + i, "U\x01<", 3) == 0) dt = i + 2;
    assert_int_not_equal(dt, 0);
    pre[dt] = '>';
    uint8_t *swapped = malloc(BIG_N);
    assert_non_null(swapped);
    for (size_t i = 0; i < BIG_N; i++) swapped[i] = data[(i & ~(size_t)7) + 7 - (i & 7)];
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(pre, 1, n, f), n);
    assert_int_equal(fwrite(swapped, 1, BIG_N, f), BIG_N);
    assert_int_equal(fwrite(".", 1, 1, f), 1);
    assert_int_equal(fclose(f), 0);
    free(swapped);
    check_big("SELECT joblib_load(?1)", path, data, n, 0);

    /* smaller than 8 MiB: copied as before */
    write_big(path, data, (size_t)1 << 20, 400);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT joblib_load(?1)", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(st, 0), 1 << 20);
    assert_memory_equal(sqlite3_column_blob(st, 0), data, 1 << 20);
    assert_int_equal(mappings_of(path, sqlite3_column_blob(st, 0), &off), 1); /* the doc's only */
    assert_true(off == UINT64_MAX);
    sqlite3_finalize(st);
    unlink(path);
    free(data);
    assert_int_equal(sqlite3_exec(db, "SELECT joblib_config('cache_bytes', 268435456)", NULL, NULL, NULL),
                     SQLITE_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags),         cmocka_unit_test(test_init_twice),
        cmocka_unit_test(test_load_seed),     cmocka_unit_test(test_load_rich),
        cmocka_unit_test(test_load_py2_str),  cmocka_unit_test(test_load_per_row),
        cmocka_unit_test(test_load_cached),   cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_errors),   cmocka_unit_test(test_info),
        cmocka_unit_test(test_each),          cmocka_unit_test(test_tree),
        cmocka_unit_test(test_each_join),     cmocka_unit_test(test_each_errors),
        cmocka_unit_test(test_extract),       cmocka_unit_test(test_config),
        cmocka_unit_test(test_trusted_schema), cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_out_of_memory),  cmocka_unit_test(test_corpus_legacy),
        cmocka_unit_test(test_big_array_mapped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
