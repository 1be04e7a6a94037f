/*
 * jsonin.c - JSON text (RFC 8259) into value-tree nodes, as Python's
 * json.loads reads it (see jsonin.h), and the UTF-8 check shared with the
 * SQL input side.
 *
 * One loop over the text with an explicit stack: every finished value's
 * node id is pushed on a value stack; an array or object remembers where
 * its values begin and, when it closes, becomes one list/dict node whose
 * children are that run. Nothing recurses.
 */
#include "jsonin.h"

#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 -------------------------------------------------------------- */

/* Length of the sequence at p (n bytes left) or 0 when it is not valid. */
static unsigned utf8_seq(const uint8_t *p, uint64_t n) {
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    unsigned len;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    for (unsigned i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF) return 0;
    return len;
}

int jl_utf8_valid(const uint8_t *p, uint64_t n, uint64_t *bad) {
    uint64_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) { i++; continue; }
        unsigned l = utf8_seq(p + i, n - i);
        if (!l) {
            if (bad) *bad = i;
            return 0;
        }
        i += l;
    }
    return 1;
}

/* ---- parser state ------------------------------------------------------- */

typedef struct frame {
    uint64_t vstart; /* first value of this container on the value stack */
    char type;       /* '[' or '{' */
} frame;

typedef struct jp {
    jl_doc *doc;
    const uint8_t *s;
    size_t n, pos;
    jl_error *err;
    uint32_t *vals;   /* value stack (node ids); owned */
    uint64_t nvals, cap_vals;
    frame *frames;    /* open containers; owned */
    uint64_t nframes, cap_frames;
    jl_buf tmp;       /* decoded string / number text; owned */
    uint64_t max_depth;
} jp;

static int fail_at(jp *j, size_t at, const char *what) {
    return jl_fail(j->err, JL_E_FORMAT, at, "invalid JSON at byte %llu: %s", (unsigned long long)at, what);
}

static int nomem(jp *j) { return jl_fail(j->err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory parsing JSON"); }

static void skip_ws(jp *j) {
    while (j->pos < j->n) {
        uint8_t c = j->s[j->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        j->pos++;
    }
}

static int push_val(jp *j, uint32_t id) {
    if (id == JL_NONE) return j->err->code ? (int)j->err->code : nomem(j);
    if (jl_grow(&j->doc->alloc, (void **)&j->vals, &j->cap_vals, j->nvals + 1, sizeof(uint32_t),
                j->doc->limits.max_alloc))
        return nomem(j);
    j->vals[j->nvals++] = id;
    return JL_OK;
}

/* ---- strings -------------------------------------------------------------- */

/* Four hex digits at s[at..]: 0 with *v set, or -1. */
static int hex4(const jp *j, size_t at, uint32_t *v) {
    if (at + 4 > j->n) return -1;
    uint32_t x = 0;
    for (size_t i = 0; i < 4; i++) {
        uint8_t c = j->s[at + i];
        unsigned d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return -1;
        x = (x << 4) | d;
    }
    *v = x;
    return 0;
}

/* A string starting at the opening quote; pushes a str node. */
static int parse_string(jp *j) {
    size_t start = ++j->pos;
    int escaped = 0;
    /* first pass: find the end, check bytes */
    size_t i = start;
    for (;;) {
        if (i >= j->n) return fail_at(j, start - 1, "unterminated string");
        uint8_t c = j->s[i];
        if (c == '"') break;
        if (c < 0x20) return fail_at(j, i, "control character in string");
        if (c == '\\') {
            escaped = 1;
            i += 2;
            continue;
        }
        if (c >= 0x80) {
            unsigned l = utf8_seq(j->s + i, j->n - i);
            if (!l) return fail_at(j, i, "invalid UTF-8 in string");
            i += l;
        } else {
            i++;
        }
    }
    size_t end = i;
    j->pos = end + 1;
    if (!escaped) return push_val(j, jl_new_bytes(j->doc, JL_STR, j->s + start, end - start, j->err));
    jl_buf *b = &j->tmp;
    b->len = 0;
    for (i = start; i < end;) {
        uint8_t c = j->s[i];
        if (c != '\\') {
            size_t k = i;
            while (k < end && j->s[k] != '\\') k++;
            jl_buf_append(b, j->s + i, k - i);
            i = k;
            continue;
        }
        uint8_t e = j->s[i + 1];
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(from, e) : NULL;
        if (hit) {
            jl_buf_putc(b, to[hit - from]);
            i += 2;
            continue;
        }
        if (e != 'u') return fail_at(j, i, "unknown escape in string");
        uint32_t cp, lo;
        if (i + 6 > end || hex4(j, i + 2, &cp)) return fail_at(j, i, "bad \\u escape");
        i += 6;
        /* a high surrogate followed by \u + low surrogate is one code point;
         * anything else stays a lone surrogate (WTF-8), as Python keeps it */
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= end && j->s[i] == '\\' && j->s[i + 1] == 'u' &&
            hex4(j, i + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
        }
        jl_buf_put_utf8(b, cp);
    }
    if (b->failed) return b->failed == JL_E_NOMEM ? nomem(j) : jl_fail(j->err, JL_E_LIMIT, start, "string too long");
    return push_val(j, jl_new_bytes(j->doc, JL_STR, b->p, b->len, j->err));
}

/* ---- numbers -------------------------------------------------------------- */

/* A big int node from decimal digits d[0..nd) (no sign, no leading zeros). */
static uint32_t big_int(jp *j, const uint8_t *d, size_t nd, int neg) {
    /* |value| < 10^nd < 2^(4 nd): 4 nd bits, plus a sign byte */
    uint64_t cap = (uint64_t)nd / 2 + 2;
    jl_ref ref;
    uint8_t *b = jl_heap_alloc(j->doc, cap, &ref, j->err);
    if (!b) return JL_NONE;
    memset(b, 0, (size_t)cap);
    uint64_t used = 0;
    for (size_t k = 0; k < nd; k++) {
        unsigned carry = d[k] - '0';
        for (uint64_t q = 0; q < used; q++) {
            unsigned t = b[q] * 10u + carry;
            b[q] = (uint8_t)t;
            carry = t >> 8;
        }
        if (carry) b[used++] = (uint8_t)carry;
    }
    used++; /* room for the sign bit */
    if (neg) {
        unsigned c = 1;
        for (uint64_t k = 0; k < used; k++) {
            unsigned t = (uint8_t)~b[k] + c;
            b[k] = (uint8_t)t;
            c = t >> 8;
        }
    }
    while (used > 1 && ((b[used - 1] == 0 && !(b[used - 2] & 0x80)) ||
                        (b[used - 1] == 0xFF && (b[used - 2] & 0x80))))
        used--;
    ref.len = used;
    uint32_t id = jl_new_ref(j->doc, JL_INT, ref, j->err);
    if (id != JL_NONE) j->doc->nodes[id].flags |= JL_F_BIG;
    return id;
}

static int parse_number(jp *j) {
    size_t start = j->pos, i = start;
    const uint8_t *s = j->s;
    int neg = 0, is_float = 0;
    if (i < j->n && s[i] == '-') { neg = 1; i++; }
    size_t dstart = i;
    if (i >= j->n || s[i] < '0' || s[i] > '9') return fail_at(j, i, "expected a digit");
    if (s[i] == '0') i++;
    else while (i < j->n && s[i] >= '0' && s[i] <= '9') i++;
    size_t dend = i;
    if (i < j->n && s[i] == '.') {
        is_float = 1;
        i++;
        if (i >= j->n || s[i] < '0' || s[i] > '9') return fail_at(j, i, "expected a digit after '.'");
        while (i < j->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < j->n && (s[i] == 'e' || s[i] == 'E')) {
        is_float = 1;
        i++;
        if (i < j->n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= j->n || s[i] < '0' || s[i] > '9') return fail_at(j, i, "expected a digit in the exponent");
        while (i < j->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    j->pos = i;
    if (is_float) {
        jl_buf *b = &j->tmp;
        b->len = 0;
        if (jl_buf_append(b, s + start, i - start)) return nomem(j);
        double v = strtod(b->p, NULL); /* overflow gives +-inf, as Python's float() */
        return push_val(j, jl_new_float(j->doc, v, j->err));
    }
    size_t nd = dend - dstart;
    if (nd > JL_JSON_MAX_INT_DIGITS)
        return jl_fail(j->err, JL_E_LIMIT, start, "an integer of more than %d digits at byte %llu",
                       JL_JSON_MAX_INT_DIGITS, (unsigned long long)start);
    /* int64 when it fits: accumulate the negative value (one more on that side) */
    int64_t v = 0;
    int fits = 1;
    for (size_t k = dstart; k < dend; k++) {
        int dgt = s[k] - '0';
        if (v < (INT64_MIN + dgt) / 10) { fits = 0; break; }
        v = v * 10 - dgt;
    }
    if (fits && !neg) {
        if (v == INT64_MIN) fits = 0;
        else v = -v;
    }
    if (fits) return push_val(j, jl_new_int(j->doc, v, j->err));
    return push_val(j, big_int(j, s + dstart, nd, neg));
}

/* ---- containers ----------------------------------------------------------- */

static int open_frame(jp *j, char type) {
    if (j->nframes >= j->max_depth)
        return jl_fail(j->err, JL_E_LIMIT, j->pos, "JSON nested deeper than %llu levels at byte %llu",
                       (unsigned long long)j->max_depth, (unsigned long long)j->pos);
    if (jl_grow(&j->doc->alloc, (void **)&j->frames, &j->cap_frames, j->nframes + 1, sizeof(frame),
                j->doc->limits.max_alloc))
        return nomem(j);
    j->frames[j->nframes].vstart = j->nvals;
    j->frames[j->nframes].type = type;
    j->nframes++;
    j->pos++;
    return JL_OK;
}

static int close_frame(jp *j) {
    frame *f = &j->frames[--j->nframes];
    uint32_t id = jl_node_new(j->doc, f->type == '[' ? JL_LIST : JL_DICT, j->err);
    if (id == JL_NONE) return j->err->code;
    int rc = jl_kids_append(j->doc, id, j->vals + f->vstart, j->nvals - f->vstart, j->err);
    if (rc) return rc;
    j->nvals = f->vstart;
    j->pos++;
    return push_val(j, id);
}

static int literal(jp *j, const char *word, uint32_t id) {
    size_t n = strlen(word);
    if (j->n - j->pos < n || memcmp(j->s + j->pos, word, n) != 0) return fail_at(j, j->pos, "unexpected character");
    j->pos += n;
    return push_val(j, id);
}

/* An object key (a string) and the ':' after it. */
static int parse_key(jp *j) {
    skip_ws(j);
    if (j->pos >= j->n || j->s[j->pos] != '"') return fail_at(j, j->pos, "expected a string key");
    int rc = parse_string(j);
    if (rc) return rc;
    skip_ws(j);
    if (j->pos >= j->n || j->s[j->pos] != ':') return fail_at(j, j->pos, "expected ':'");
    j->pos++;
    return JL_OK;
}

static int run(jp *j) {
    int rc;
    for (;;) {
        /* a value */
        skip_ws(j);
        if (j->pos >= j->n) return fail_at(j, j->pos, "unexpected end of text");
        uint8_t c = j->s[j->pos];
        switch (c) {
        case '[':
            if ((rc = open_frame(j, '['))) return rc;
            skip_ws(j);
            if (j->pos < j->n && j->s[j->pos] == ']') {
                if ((rc = close_frame(j))) return rc;
                break;
            }
            continue;
        case '{':
            if ((rc = open_frame(j, '{'))) return rc;
            skip_ws(j);
            if (j->pos < j->n && j->s[j->pos] == '}') {
                if ((rc = close_frame(j))) return rc;
                break;
            }
            if ((rc = parse_key(j))) return rc;
            continue;
        case '"': rc = parse_string(j); break;
        case 't': rc = literal(j, "true", jl_new_bool(j->doc, 1, j->err)); break;
        case 'f': rc = literal(j, "false", jl_new_bool(j->doc, 0, j->err)); break;
        case 'n': rc = literal(j, "null", jl_node_new(j->doc, JL_NULL, j->err)); break;
        default:
            if (c == '-' || (c >= '0' && c <= '9')) rc = parse_number(j);
            else rc = fail_at(j, j->pos, "unexpected character");
            break;
        }
        if (rc) return rc;
        /* after a value: close containers, or go on to the next element */
        for (;;) {
            skip_ws(j);
            if (j->nframes == 0) {
                if (j->pos != j->n) return fail_at(j, j->pos, "text after the JSON value");
                return JL_OK;
            }
            char type = j->frames[j->nframes - 1].type;
            if (j->pos >= j->n) return fail_at(j, j->pos, "unexpected end of text");
            c = j->s[j->pos];
            if (c == ',') {
                j->pos++;
                if (type == '{' && (rc = parse_key(j))) return rc;
                break;
            }
            if ((type == '[' && c == ']') || (type == '{' && c == '}')) {
                if ((rc = close_frame(j))) return rc;
                continue;
            }
            return fail_at(j, j->pos, type == '[' ? "expected ',' or ']'" : "expected ',' or '}'");
        }
    }
}

int jl_json_parse(jl_doc *doc, const char *p, size_t n, uint32_t *out, jl_error *err) {
    jl_error local;
    if (!err) err = &local;
    jl_error_clear(err);
    *out = JL_NONE;
    jp j;
    memset(&j, 0, sizeof j);
    j.doc = doc;
    j.s = (const uint8_t *)(p ? p : "");
    j.n = p ? n : 0;
    j.err = err;
    j.max_depth = doc->limits.max_depth < JL_JSON_MAX_DEPTH ? doc->limits.max_depth : JL_JSON_MAX_DEPTH;
    jl_buf_init(&j.tmp, &doc->alloc, doc->limits.max_alloc);
    int rc = run(&j);
    if (rc == JL_OK) *out = j.vals[0];
    jl_free(&doc->alloc, j.vals);
    jl_free(&doc->alloc, j.frames);
    jl_buf_free(&j.tmp);
    return rc;
}
