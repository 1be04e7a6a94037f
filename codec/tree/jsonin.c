/*
 * jsonin.c - JSON text (RFC 8259) into value-tree nodes, as Python's
 * json.loads reads it (see jsonin.h).
 *
 * One loop over the text with an explicit stack: every finished value's
 * node id is pushed on a value stack; an array or object remembers where
 * its values begin and, when it closes, becomes one list/dict node whose
 * children are that run. Nothing recurses.
 */
#include "jsonin.h"
#include "pyeq.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

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
            uint32_t cp;
            unsigned l = jl_utf8_next(j->s + i, j->n - i, JL_UTF8_SURROGATES, &cp);
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
        /* a high surrogate followed by \u + low surrogate is one code point;
         * anything else stays a lone surrogate (WTF-8), as Python keeps it */
        uint32_t cp;
        unsigned len = i + 2 <= end ? jl_json_u_escape(j->s + i + 2, end - (i + 2), &cp) : 0;
        if (!len) return fail_at(j, i, "bad \\u escape");
        i += 2 + len;
        jl_buf_put_utf8(b, cp);
    }
    if (b->failed) return b->failed == JL_E_NOMEM ? nomem(j) : jl_fail(j->err, JL_E_LIMIT, start, "string too long");
    return push_val(j, jl_new_bytes(j->doc, JL_STR, b->p, b->len, j->err));
}

/* ---- numbers -------------------------------------------------------------- */

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
    return push_val(j, jl_new_int_decimal(j->doc, s + dstart, nd, neg, j->err));
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
    uint64_t n = j->nvals - f->vstart;
    if (f->type == '{') { /* {"a": 1, "a": 2} is {'a': 2} in Python */
        uint64_t pairs;
        if (jl_py_dict_merge(j->doc, j->vals + f->vstart, n, &pairs, j->err)) return j->err->code;
        n = 2 * pairs;
    }
    uint32_t id = jl_node_new(j->doc, f->type == '[' ? JL_LIST : JL_DICT, j->err);
    if (id == JL_NONE) return j->err->code;
    int rc = jl_kids_append(j->doc, id, j->vals + f->vstart, n, j->err);
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
