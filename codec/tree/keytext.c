/*
 * keytext.c - the literal text of a dict key as paths write it (see
 * keytext.h): the one rendering path.c needs, on top of atomtext.c and
 * arraytext.c and below path.c, so that the JSON renderer (render.c) can
 * write the paths of its refs with path.c without a circle.
 */
#include "keytext.h"

#include "arraytext.h"
#include "atomtext.h"
#include "text.h"

#include <math.h>
#include <string.h>

#define JL_PATH_MAX_KEY_DEPTH 32u     /* tuple keys nested deeper have no literal */

/* 1 when the JSON string of s[0..n) reads back as other text: bytes that
 * are not WTF-8 (written as \ufffd), or a high surrogate followed by a low
 * one (two code points "\ud83d\ude00" that a JSON reader joins into one,
 * the key of another str). */
static int str_reads_back_other(const uint8_t *s, uint64_t n) {
    uint32_t cp, prev = 0;
    for (uint64_t k = 0; k < n;) {
        if (s[k] < 0x80) {
            k++;
            prev = 0;
            continue;
        }
        unsigned l = jl_utf8_next(s + k, n - k, JL_UTF8_SURROGATES, &cp);
        if (!l) return 1;
        if (prev >= 0xD800 && prev <= 0xDBFF && cp >= 0xDC00 && cp <= 0xDFFF) return 1;
        prev = cp;
        k += l;
    }
    return 0;
}

/* A str key as a JSON string; JL_E_ARG for a non-ASCII Python 2 str and
 * for text whose JSON string reads back as another str. */
int jl_key_str_literal(const jl_doc *doc, const jl_node *k, jl_buf *b) {
    const uint8_t *s = doc->blocks[k->block].p + k->u.off;
    if ((k->flags & JL_F_PY2) && !jl_is_ascii(s, k->len)) return JL_E_ARG;
    if (str_reads_back_other(s, k->len)) return JL_E_ARG;
    return jl_json_string(b, s, k->len);
}

/* The JSON literal of a key node; JL_E_ARG when it has none. */
static int put_literal(const jl_doc *doc, uint32_t key, jl_buf *b, unsigned depth) {
    if (key >= doc->nnodes) return JL_E_ARG;
    const jl_node *k = &doc->nodes[key];
    switch (k->kind) {
    case JL_NULL: return jl_buf_puts(b, "null");
    case JL_BOOL: return jl_buf_puts(b, k->u.i ? "true" : "false");
    case JL_INT: {
        int rc = jl_render_int(doc, key, b);
        return rc == JL_E_LIMIT && !b->failed ? JL_E_ARG : rc;
    }
    case JL_FLOAT:
        if (isnan(k->u.f)) return JL_E_ARG;
        if (isinf(k->u.f)) return jl_buf_puts(b, k->u.f > 0 ? "1e999" : "-1e999");
        return jl_render_double(b, k->u.f);
    case JL_STR: return jl_key_str_literal(doc, k, b);
    case JL_TUPLE: {
        if (depth >= JL_PATH_MAX_KEY_DEPTH) return JL_E_ARG;
        jl_buf_putc(b, '[');
        for (uint32_t j = 0; j < k->len; j++) {
            if (j) jl_buf_putc(b, ',');
            int rc = put_literal(doc, jl_kids_of(doc, key)[j], b, depth + 1);
            if (rc) return rc;
            k = &doc->nodes[key];
        }
        return jl_buf_putc(b, ']');
    }
    case JL_SCALAR: {
        jl_buf t;
        jl_error e;
        jl_buf_init(&t, b->alloc, 0);
        int rc = jl_render_array_json(doc, key, &t, &e);
        if (!rc && t.len && t.p[0] != '{' && !(t.len == 4 && memcmp(t.p, "null", 4) == 0))
            rc = jl_buf_append(b, t.p, t.len);
        else if (!rc || rc != JL_E_NOMEM) rc = JL_E_ARG;
        jl_buf_free(&t);
        return rc;
    }
    default: return JL_E_ARG;
    }
}

int jl_key_literal(const jl_doc *doc, uint32_t key, jl_buf *b) { return put_literal(doc, key, b, 0); }
