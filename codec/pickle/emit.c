/*
 * emit.c - the opcode emitter of the writer (see emit.h):
 * pickle protocols 2-5 as CPython 3's pure-Python pickler writes them
 * (the pickler joblib uses): framing of protocol 4+ (64 KiB frames
 * committed when an object starts, no FRAME header for chunks under 4
 * bytes, str/bytes of 64 KiB or more written outside frames), the memo
 * opcodes, the integer/str/bytes width choices, and fix_imports' name
 * mapping for protocol < 3 (docs/FORMAT.md 9.1-9.3, 5.7).
 */
#include "emit.h"

#include <string.h>

#include "opcodes.h"
#include "text.h"

struct jl_emit_ckey {
    uint64_t hash;
    uint64_t off; /* key bytes (tag + content) in ck_bytes */
    uint64_t len;
    uint32_t idx; /* memo index */
    uint8_t used;
};

/* ---- output ----------------------------------------------------------- */

static int buf_fail(jl_emit *e, jl_buf *b, int rc) {
    if (rc == JL_E_LIMIT)
        return jl_fail(e->err, JL_E_LIMIT, b->len, "the pickle stream exceeds its size limit (%llu bytes)",
                       (unsigned long long)b->max);
    return jl_fail(e->err, JL_E_NOMEM, b->len, "out of memory writing the pickle stream");
}

static int out_append(jl_emit *e, jl_buf *b, const void *p, uint64_t n) {
    int rc = jl_buf_append(b, p, n);
    return rc ? buf_fail(e, b, rc) : JL_OK;
}

int jl_emit_raw(jl_emit *e, const void *p, uint64_t n) {
    return out_append(e, e->framing ? &e->frame : e->out, p, n);
}

int jl_emit_op(jl_emit *e, uint8_t op) { return jl_emit_raw(e, &op, 1); }

static void le_bytes(uint8_t *d, uint64_t v, int n) {
    for (int i = 0; i < n; i++) d[i] = (uint8_t)(v >> (8 * i));
}

/* An opcode with an n-byte little-endian argument. */
static int op_le(jl_emit *e, uint8_t op, uint64_t v, int n) {
    uint8_t b[9];
    b[0] = op;
    le_bytes(b + 1, v, n);
    return jl_emit_raw(e, b, (uint64_t)n + 1);
}

/* CPython's _Framer.commit_frame: a frame of 4 bytes or more gets a FRAME
 * header; shorter ones are written bare. */
static int commit(jl_emit *e, int force) {
    if (!e->framing || e->frame.len == 0) return JL_OK;
    if (!force && e->frame.len < JL_EMIT_FRAME_TARGET) return JL_OK;
    if (e->frame.len >= 4) {
        uint8_t h[9];
        h[0] = OP_FRAME;
        le_bytes(h + 1, e->frame.len, 8);
        int rc = out_append(e, e->out, h, 9);
        if (rc) return rc;
    }
    int rc = out_append(e, e->out, e->frame.p, e->frame.len);
    e->frame.len = 0;
    return rc;
}

int jl_emit_save(jl_emit *e) { return commit(e, 0); }
int jl_emit_flush(jl_emit *e) { return commit(e, 1); }
int jl_emit_direct(jl_emit *e, const void *p, uint64_t n) { return out_append(e, e->out, p, n); }

int jl_emit_begin(jl_emit *e, jl_buf *out, int proto, const jl_alloc *a, jl_error *err) {
    memset(e, 0, sizeof *e);
    e->out = out;
    e->alloc = a;
    e->err = err;
    e->proto = proto;
    jl_buf_init(&e->frame, a, 0);
    jl_buf_init(&e->ck_bytes, a, 0);
    uint8_t h[2] = { OP_PROTO, (uint8_t)proto };
    int rc = out_append(e, out, h, 2);
    e->framing = proto >= 4; /* PROTO itself is never framed */
    return rc;
}

int jl_emit_end(jl_emit *e) {
    int rc = jl_emit_op(e, OP_STOP);
    return rc ? rc : commit(e, 1);
}

void jl_emit_free(jl_emit *e) {
    jl_buf_free(&e->frame);
    jl_buf_free(&e->ck_bytes);
    jl_free(e->alloc, e->id_keys);
    jl_free(e->alloc, e->id_vals);
    jl_free(e->alloc, e->ck);
    e->id_keys = NULL;
    e->id_vals = NULL;
    e->ck = NULL;
}

/* ---- memo ------------------------------------------------------------- */

int jl_emit_memoize(jl_emit *e, uint32_t *idx) {
    if (e->memo_len >= UINT32_MAX)
        return jl_fail(e->err, JL_E_LIMIT, JL_NO_OFFSET, "more than 2^32 memo entries in one pickle");
    uint32_t i = (uint32_t)e->memo_len;
    int rc;
    if (e->proto >= 4) rc = jl_emit_op(e, OP_MEMOIZE);
    else if (i < 256) rc = op_le(e, OP_BINPUT, i, 1);
    else rc = op_le(e, OP_LONG_BINPUT, i, 4);
    if (rc) return rc;
    e->memo_len++;
    if (idx) *idx = i;
    return JL_OK;
}

int jl_emit_get(jl_emit *e, uint32_t idx) {
    return idx < 256 ? op_le(e, OP_BINGET, idx, 1) : op_le(e, OP_LONG_BINGET, idx, 4);
}

static uint64_t mix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    return k ^ (k >> 33);
}

uint32_t jl_emit_memo_find(const jl_emit *e, uint64_t key) {
    if (!e->id_cap) return JL_NONE;
    uint64_t mask = e->id_cap - 1;
    for (uint64_t i = mix64(key) & mask;; i = (i + 1) & mask) {
        if (e->id_keys[i] == UINT64_MAX) return JL_NONE;
        if (e->id_keys[i] == key) return e->id_vals[i];
    }
}

static void id_insert(uint64_t *keys, uint32_t *vals, uint64_t cap, uint64_t key, uint32_t v) {
    uint64_t mask = cap - 1;
    uint64_t i = mix64(key) & mask;
    while (keys[i] != UINT64_MAX && keys[i] != key) i = (i + 1) & mask;
    keys[i] = key;
    vals[i] = v;
}

int jl_emit_memo_set(jl_emit *e, uint64_t key, uint32_t idx) {
    if ((e->id_len + 1) * 2 > e->id_cap) {
        uint64_t ncap = e->id_cap ? e->id_cap * 2 : 64, bytes;
        if (jl_mul_overflow(ncap, sizeof(uint64_t) + sizeof(uint32_t), &bytes) || bytes > SIZE_MAX)
            return jl_fail(e->err, JL_E_LIMIT, JL_NO_OFFSET, "memo table too large");
        uint64_t *keys = jl_malloc(e->alloc, (size_t)(ncap * sizeof(uint64_t)));
        uint32_t *vals = jl_malloc(e->alloc, (size_t)(ncap * sizeof(uint32_t)));
        if (!keys || !vals) {
            jl_free(e->alloc, keys);
            jl_free(e->alloc, vals);
            return jl_fail(e->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory growing the memo table");
        }
        memset(keys, 0xff, (size_t)(ncap * sizeof(uint64_t)));
        for (uint64_t i = 0; i < e->id_cap; i++)
            if (e->id_keys[i] != UINT64_MAX) id_insert(keys, vals, ncap, e->id_keys[i], e->id_vals[i]);
        jl_free(e->alloc, e->id_keys);
        jl_free(e->alloc, e->id_vals);
        e->id_keys = keys;
        e->id_vals = vals;
        e->id_cap = ncap;
    }
    uint64_t before = jl_emit_memo_find(e, key);
    id_insert(e->id_keys, e->id_vals, e->id_cap, key, idx);
    if (before == JL_NONE) e->id_len++;
    return JL_OK;
}

static uint64_t fnv(char tag, const uint8_t *p, uint64_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    h = (h ^ (uint8_t)tag) * 0x100000001b3ULL;
    for (uint64_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static int ck_match(const jl_emit *e, const jl_emit_ckey *k, uint64_t h, char tag, const uint8_t *p,
                    uint64_t n) {
    if (k->hash != h || k->len != n + 1) return 0;
    const uint8_t *s = (const uint8_t *)e->ck_bytes.p + k->off;
    return s[0] == (uint8_t)tag && (n == 0 || memcmp(s + 1, p, (size_t)n) == 0);
}

uint32_t jl_emit_cmemo_find(const jl_emit *e, char tag, const void *p, uint64_t n) {
    if (!e->ck_cap) return JL_NONE;
    uint64_t h = fnv(tag, p, n), mask = e->ck_cap - 1;
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        const jl_emit_ckey *k = &e->ck[i];
        if (!k->used) return JL_NONE;
        if (ck_match(e, k, h, tag, p, n)) return k->idx;
    }
}

int jl_emit_cmemo_set(jl_emit *e, char tag, const void *p, uint64_t n, uint32_t idx) {
    if ((e->ck_len + 1) * 2 > e->ck_cap) {
        uint64_t ncap = e->ck_cap ? e->ck_cap * 2 : 32, bytes;
        if (jl_mul_overflow(ncap, sizeof(jl_emit_ckey), &bytes) || bytes > SIZE_MAX)
            return jl_fail(e->err, JL_E_LIMIT, JL_NO_OFFSET, "memo table too large");
        jl_emit_ckey *ck = jl_malloc(e->alloc, (size_t)bytes);
        if (!ck) return jl_fail(e->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory growing the memo table");
        memset(ck, 0, (size_t)bytes);
        for (uint64_t i = 0; i < e->ck_cap; i++) {
            if (!e->ck[i].used) continue;
            uint64_t j = e->ck[i].hash & (ncap - 1);
            while (ck[j].used) j = (j + 1) & (ncap - 1);
            ck[j] = e->ck[i];
        }
        jl_free(e->alloc, e->ck);
        e->ck = ck;
        e->ck_cap = ncap;
    }
    uint64_t h = fnv(tag, p, n), mask = e->ck_cap - 1, i = h & mask;
    for (; e->ck[i].used; i = (i + 1) & mask) {
        if (ck_match(e, &e->ck[i], h, tag, p, n)) {
            e->ck[i].idx = idx;
            return JL_OK;
        }
    }
    uint64_t off = e->ck_bytes.len;
    int rc = jl_buf_putc(&e->ck_bytes, tag);
    if (!rc) rc = jl_buf_append(&e->ck_bytes, p, n);
    if (rc) return jl_fail(e->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory growing the memo table");
    jl_emit_ckey *k = &e->ck[i];
    k->hash = h;
    k->off = off;
    k->len = n + 1;
    k->idx = idx;
    k->used = 1;
    e->ck_len++;
    return JL_OK;
}

/* ---- atoms ------------------------------------------------------------ */

/* Shortest two's complement little-endian form (CPython's encode_long). */
static uint64_t long_trim(const uint8_t *le, uint64_t n) {
    while (n > 1) {
        uint8_t last = le[n - 1], prev_top = le[n - 2] & 0x80;
        if ((last == 0x00 && !prev_top) || (last == 0xff && prev_top)) n--;
        else break;
    }
    if (n == 1 && le[0] == 0) n = 0; /* zero is LONG1 of no bytes */
    return n;
}

int jl_emit_long(jl_emit *e, const uint8_t *le, uint64_t n) {
    n = long_trim(le, n);
    if (n <= 8) {
        /* fits int64: let the small-int rules pick the opcode */
        uint64_t u = 0;
        for (uint64_t i = 0; i < n; i++) u |= (uint64_t)le[i] << (8 * i);
        if (n && n < 8 && (le[n - 1] & 0x80)) u |= UINT64_MAX << (8 * n);
        return jl_emit_int(e, (int64_t)u);
    }
    int rc;
    if (n < 256) rc = op_le(e, OP_LONG1, n, 1);
    else if (n <= INT32_MAX) rc = op_le(e, OP_LONG4, n, 4);
    else return jl_fail(e->err, JL_E_LIMIT, JL_NO_OFFSET, "an int of %llu bytes is too large to pickle",
                        (unsigned long long)n);
    return rc ? rc : jl_emit_raw(e, le, n);
}

int jl_emit_int(jl_emit *e, int64_t v) {
    if (v >= 0 && v <= 0xff) return op_le(e, OP_BININT1, (uint64_t)v, 1);
    if (v >= 0 && v <= 0xffff) return op_le(e, OP_BININT2, (uint64_t)v, 2);
    if (v >= INT32_MIN && v <= INT32_MAX) return op_le(e, OP_BININT, (uint64_t)v, 4);
    uint8_t le[8];
    le_bytes(le, (uint64_t)v, 8);
    uint64_t n = long_trim(le, 8);
    int rc = op_le(e, OP_LONG1, n, 1);
    return rc ? rc : jl_emit_raw(e, le, n);
}

int jl_emit_float(jl_emit *e, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    uint8_t b[9];
    b[0] = OP_BINFLOAT;
    for (int i = 0; i < 8; i++) b[1 + i] = (uint8_t)(u >> (56 - 8 * i));
    return jl_emit_raw(e, b, 9);
}

/* Writes n payload bytes (latin-1 expanded to UTF-8 when `latin1`), into
 * the frame or straight to the destination. */
static int payload(jl_emit *e, int direct, const uint8_t *p, uint64_t n, int latin1) {
    jl_buf *b = direct || !e->framing ? e->out : &e->frame;
    if (!latin1) return out_append(e, b, p, n);
    uint8_t tmp[4096];
    uint64_t i = 0;
    while (i < n) {
        size_t k = 0;
        for (; i < n && k + 2 <= sizeof tmp; i++) k += jl_utf8_encode(p[i], tmp + k); /* 1 or 2 bytes */
        int rc = out_append(e, b, tmp, k);
        if (rc) return rc;
    }
    return JL_OK;
}

/* One length-prefixed value. `wide8`: the 8-byte-length opcode (protocol
 * 4+, or 0 when none); `op4`, `op1`: the 4- and 1-byte forms (op1 0 when
 * the short form is not available). Large values go outside the frame
 * (CPython's _write_large_bytes). `m` is the encoded length. */
static int sized(jl_emit *e, uint8_t op1, uint8_t op4, uint8_t wide8, const char *what, const uint8_t *p,
                 uint64_t n, uint64_t m, int latin1) {
    int rc;
    if (op1 && m <= 0xff) {
        rc = op_le(e, op1, m, 1);
        return rc ? rc : payload(e, 0, p, n, latin1);
    }
    if (m > 0xffffffffULL) {
        if (!wide8)
            return jl_fail(e->err, JL_E_UNSUPPORTED, JL_NO_OFFSET,
                           "a %s of %llu bytes needs pickle protocol 4 or more", what, (unsigned long long)m);
        if ((rc = commit(e, 1))) return rc;
        uint8_t h[9];
        h[0] = wide8;
        le_bytes(h + 1, m, 8);
        if ((rc = out_append(e, e->out, h, 9))) return rc;
        return payload(e, 1, p, n, latin1);
    }
    if (m >= JL_EMIT_FRAME_TARGET && e->framing) {
        if ((rc = commit(e, 1))) return rc;
        uint8_t h[5];
        h[0] = op4;
        le_bytes(h + 1, m, 4);
        if ((rc = out_append(e, e->out, h, 5))) return rc;
        return payload(e, 1, p, n, latin1);
    }
    rc = op_le(e, op4, m, 4);
    return rc ? rc : payload(e, 0, p, n, latin1);
}

int jl_emit_str(jl_emit *e, const uint8_t *p, uint64_t n) {
    return sized(e, e->proto >= 4 ? OP_SHORT_BINUNICODE : 0, OP_BINUNICODE,
                 e->proto >= 4 ? OP_BINUNICODE8 : 0, "str", p, n, n, 0);
}

int jl_emit_str_latin1(jl_emit *e, const uint8_t *p, uint64_t n) {
    uint64_t m = n;
    for (uint64_t i = 0; i < n; i++) m += p[i] >> 7;
    return sized(e, e->proto >= 4 ? OP_SHORT_BINUNICODE : 0, OP_BINUNICODE,
                 e->proto >= 4 ? OP_BINUNICODE8 : 0, "str", p, n, m, 1);
}

int jl_emit_bytes(jl_emit *e, const uint8_t *p, uint64_t n) {
    return sized(e, OP_SHORT_BINBYTES, OP_BINBYTES, e->proto >= 4 ? OP_BINBYTES8 : 0, "bytes", p, n, n, 0);
}

int jl_emit_bytearray8(jl_emit *e, const uint8_t *p, uint64_t n) {
    int rc;
    uint8_t h[9];
    h[0] = OP_BYTEARRAY8;
    le_bytes(h + 1, n, 8);
    if (n >= JL_EMIT_FRAME_TARGET && e->framing) {
        if ((rc = commit(e, 1)) || (rc = out_append(e, e->out, h, 9))) return rc;
        return payload(e, 1, p, n, 0);
    }
    if ((rc = jl_emit_raw(e, h, 9))) return rc;
    return payload(e, 0, p, n, 0);
}

int jl_emit_global_text(jl_emit *e, const char *m, uint64_t mn, const char *n, uint64_t nn) {
    if (memchr(m, '\n', (size_t)mn) || memchr(n, '\n', (size_t)nn))
        return jl_fail(e->err, JL_E_ARG, JL_NO_OFFSET, "a global name with a newline cannot be pickled");
    int rc;
    if ((rc = jl_emit_op(e, OP_GLOBAL)) || (rc = jl_emit_raw(e, m, mn)) || (rc = jl_emit_op(e, '\n')) ||
        (rc = jl_emit_raw(e, n, nn)) || (rc = jl_emit_op(e, '\n')))
        return rc;
    return JL_OK;
}

/* ---- names (CPython's _compat_pickle, as data) ------------------------ */

#define FWD 1 /* Python 2 name -> Python 3 name (before writing) */
#define REV 2 /* Python 3 name -> Python 2 name (protocol < 3) */

typedef struct { const char *py2, *py3; uint8_t dir; } mod_map;
typedef struct { const char *m2, *n2, *m3, *n3; uint8_t dir; } name_map;

/* Modules. Rows are searched in order, so for a Python 3 name with several
 * Python 2 sources the one CPython writes comes first. `dbm` is a name in
 * both versions, so it is never mapped forward. */
static const mod_map MODULES[] = {
    { "__builtin__", "builtins", FWD | REV }, { "copy_reg", "copyreg", FWD | REV },
    { "Queue", "queue", FWD | REV }, { "SocketServer", "socketserver", FWD | REV },
    { "ConfigParser", "configparser", FWD | REV }, { "repr", "reprlib", FWD | REV },
    { "tkFileDialog", "tkinter.filedialog", FWD | REV },
    { "tkSimpleDialog", "tkinter.simpledialog", FWD | REV },
    { "tkColorChooser", "tkinter.colorchooser", FWD | REV },
    { "tkCommonDialog", "tkinter.commondialog", FWD | REV }, { "Dialog", "tkinter.dialog", FWD | REV },
    { "Tkdnd", "tkinter.dnd", FWD | REV }, { "tkFont", "tkinter.font", FWD | REV },
    { "tkMessageBox", "tkinter.messagebox", FWD | REV },
    { "ScrolledText", "tkinter.scrolledtext", FWD | REV },
    { "Tkconstants", "tkinter.constants", FWD | REV }, { "Tix", "tkinter.tix", FWD | REV },
    { "ttk", "tkinter.ttk", FWD | REV }, { "Tkinter", "tkinter", FWD | REV },
    { "markupbase", "_markupbase", FWD | REV }, { "_winreg", "winreg", FWD | REV },
    { "thread", "_thread", FWD | REV }, { "dummy_thread", "_dummy_thread", FWD | REV },
    { "dbhash", "dbm.bsd", FWD | REV }, { "dumbdbm", "dbm.dumb", FWD | REV }, { "dbm", "dbm.ndbm", REV },
    { "gdbm", "dbm.gnu", FWD | REV }, { "xmlrpclib", "xmlrpc.client", FWD | REV },
    { "SimpleXMLRPCServer", "xmlrpc.server", FWD | REV }, { "httplib", "http.client", FWD | REV },
    { "htmlentitydefs", "html.entities", FWD | REV }, { "HTMLParser", "html.parser", FWD | REV },
    { "Cookie", "http.cookies", FWD | REV }, { "cookielib", "http.cookiejar", FWD | REV },
    { "BaseHTTPServer", "http.server", FWD | REV }, { "test.test_support", "test.support", FWD | REV },
    { "commands", "subprocess", FWD | REV }, { "urlparse", "urllib.parse", FWD | REV },
    { "robotparser", "urllib.robotparser", FWD | REV }, { "urllib2", "urllib.request", FWD | REV },
    { "anydbm", "dbm", FWD | REV }, { "_abcoll", "collections.abc", FWD | REV },
    { "cPickle", "pickle", FWD }, { "_elementtree", "xml.etree.ElementTree", FWD },
    { "FileDialog", "tkinter.filedialog", FWD }, { "SimpleDialog", "tkinter.simpledialog", FWD },
    { "DocXMLRPCServer", "xmlrpc.server", FWD }, { "SimpleHTTPServer", "http.server", FWD },
    { "CGIHTTPServer", "http.server", FWD }, { "UserDict", "collections", FWD },
    { "UserList", "collections", FWD }, { "UserString", "collections", FWD }, { "whichdb", "dbm", FWD },
    { "StringIO", "io", FWD }, { "cStringIO", "io", FWD }, { "bz2", "_bz2", REV }, { "dbm", "_dbm", REV },
    { "functools", "_functools", REV }, { "gdbm", "_gdbm", REV }, { "pickle", "_pickle", REV },
};

/* Names whose module or name differs beyond the module mapping. */
static const name_map NAMES[] = {
    { "__builtin__", "xrange", "builtins", "range", FWD | REV },
    { "__builtin__", "reduce", "functools", "reduce", FWD | REV },
    { "__builtin__", "intern", "sys", "intern", FWD | REV },
    { "__builtin__", "unichr", "builtins", "chr", FWD | REV },
    { "__builtin__", "unicode", "builtins", "str", FWD | REV },
    { "__builtin__", "long", "builtins", "int", FWD | REV },
    { "__builtin__", "basestring", "builtins", "str", FWD },
    { "__builtin__", "reduce", "_functools", "reduce", REV },
    { "itertools", "izip", "builtins", "zip", FWD | REV },
    { "itertools", "imap", "builtins", "map", FWD | REV },
    { "itertools", "ifilter", "builtins", "filter", FWD | REV },
    { "itertools", "ifilterfalse", "itertools", "filterfalse", FWD | REV },
    { "itertools", "izip_longest", "itertools", "zip_longest", FWD | REV },
    { "UserDict", "IterableUserDict", "collections", "UserDict", FWD | REV },
    { "UserDict", "UserDict", "collections", "UserDict", FWD },
    { "UserList", "UserList", "collections", "UserList", FWD | REV },
    { "UserString", "UserString", "collections", "UserString", FWD | REV },
    { "whichdb", "whichdb", "dbm", "whichdb", FWD | REV },
    { "_socket", "fromfd", "socket", "fromfd", FWD | REV },
    { "socket", "_socketobject", "socket", "SocketType", FWD },
    { "socket", "_socketobject", "_socket", "socket", REV },
    { "urllib", "ContentTooShortError", "urllib.error", "ContentTooShortError", FWD | REV },
    { "urllib", "getproxies", "urllib.request", "getproxies", FWD | REV },
    { "urllib", "pathname2url", "urllib.request", "pathname2url", FWD | REV },
    { "urllib", "quote_plus", "urllib.parse", "quote_plus", FWD | REV },
    { "urllib", "quote", "urllib.parse", "quote", FWD | REV },
    { "urllib", "unquote_plus", "urllib.parse", "unquote_plus", FWD | REV },
    { "urllib", "unquote", "urllib.parse", "unquote", FWD | REV },
    { "urllib", "url2pathname", "urllib.request", "url2pathname", FWD | REV },
    { "urllib", "urlcleanup", "urllib.request", "urlcleanup", FWD | REV },
    { "urllib", "urlencode", "urllib.parse", "urlencode", FWD | REV },
    { "urllib", "urlopen", "urllib.request", "urlopen", FWD | REV },
    { "urllib", "urlretrieve", "urllib.request", "urlretrieve", FWD | REV },
    { "urllib2", "HTTPError", "urllib.error", "HTTPError", FWD | REV },
    { "urllib2", "URLError", "urllib.error", "URLError", FWD | REV },
    { "exceptions", "StandardError", "builtins", "Exception", FWD },
};

/* Python 2's `exceptions` module: the same names as builtins. */
static const char *const EXCEPTIONS[] = {
    "ArithmeticError", "AssertionError", "AttributeError", "BaseException", "BufferError",
    "BytesWarning", "DeprecationWarning", "EOFError", "EnvironmentError", "Exception",
    "FloatingPointError", "FutureWarning", "GeneratorExit", "IOError", "ImportError", "ImportWarning",
    "IndentationError", "IndexError", "KeyError", "KeyboardInterrupt", "LookupError", "MemoryError",
    "NameError", "NotImplementedError", "OSError", "OverflowError", "PendingDeprecationWarning",
    "ReferenceError", "RuntimeError", "RuntimeWarning", "StopIteration", "SyntaxError",
    "SyntaxWarning", "SystemError", "SystemExit", "TabError", "TypeError", "UnboundLocalError",
    "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError",
    "UnicodeWarning", "UserWarning", "ValueError", "Warning", "ZeroDivisionError",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int eq(const char *s, uint64_t n, const char *lit) {
    size_t k = strlen(lit);
    return n == k && memcmp(s, lit, k) == 0;
}

static int in_list(const char *s, uint64_t n, const char *const *list, size_t count) {
    for (size_t i = 0; i < count; i++)
        if (eq(s, n, list[i])) return 1;
    return 0;
}

static void set(const char **p, uint64_t *n, const char *lit) {
    *p = lit;
    *n = strlen(lit);
}

void jl_emit_map_name(int proto, const char **m, uint64_t *mn, const char **n, uint64_t *nn) {
    /* forward: always, so Python 2 names from old streams load under Python 3 */
    int done = 0;
    for (size_t i = 0; i < COUNT(NAMES) && !done; i++) {
        if ((NAMES[i].dir & FWD) && eq(*m, *mn, NAMES[i].m2) && eq(*n, *nn, NAMES[i].n2)) {
            set(m, mn, NAMES[i].m3);
            set(n, nn, NAMES[i].n3);
            done = 1;
        }
    }
    if (!done && eq(*m, *mn, "exceptions") && in_list(*n, *nn, EXCEPTIONS, COUNT(EXCEPTIONS))) {
        set(m, mn, "builtins");
        done = 1;
    }
    for (size_t i = 0; i < COUNT(MODULES) && !done; i++) {
        if ((MODULES[i].dir & FWD) && eq(*m, *mn, MODULES[i].py2)) {
            set(m, mn, MODULES[i].py3);
            done = 1;
        }
    }
    if (proto >= 3) return;

    /* reverse: what CPython's fix_imports writes at protocol < 3 */
    for (size_t i = 0; i < COUNT(NAMES); i++) {
        if ((NAMES[i].dir & REV) && eq(*m, *mn, NAMES[i].m3) && eq(*n, *nn, NAMES[i].n3)) {
            set(m, mn, NAMES[i].m2);
            set(n, nn, NAMES[i].n2);
            return;
        }
    }
    /* (CPython also writes OSError subclasses as exceptions.OSError and
     * ModuleNotFoundError as exceptions.ImportError, which loads as the
     * base class; they are left to the module mapping, which round-trips.) */
    if (eq(*m, *mn, "builtins") && in_list(*n, *nn, EXCEPTIONS, COUNT(EXCEPTIONS))) {
        set(m, mn, "exceptions");
        return;
    }
    for (size_t i = 0; i < COUNT(MODULES); i++) {
        if ((MODULES[i].dir & REV) && eq(*m, *mn, MODULES[i].py3)) {
            set(m, mn, MODULES[i].py2);
            return;
        }
    }
}
