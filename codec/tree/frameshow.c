/*
 * frameshow.c - the text summary of a pandas frame (frameshow.h): shape,
 * index and columns with their pandas dtypes, then the first and last
 * rows as an aligned grid.
 */
#include "frameshow.h"

#include <string.h>

#include "frame.h"

#define MAX_CELL 30 /* characters of a cell before it is cut */

/* Characters (not bytes) of UTF-8 text. */
static uint64_t chars(const char *s, uint64_t n) {
    uint64_t c = 0;
    for (uint64_t i = 0; i < n; i++) c += ((uint8_t)s[i] & 0xC0) != 0x80;
    return c;
}

/* Byte length of the first max characters of s[0..n). */
static uint64_t prefix_bytes(const char *s, uint64_t n, uint64_t max) {
    uint64_t c = 0, i = 0;
    for (; i < n; i++) {
        if (((uint8_t)s[i] & 0xC0) != 0x80 && c++ == max) break;
    }
    return i;
}

/* The text of cell (row, j) into t (cleared first): NULL when missing,
 * cut to MAX_CELL characters, newlines and tabs as spaces. */
static int cell(const jl_doc *doc, const jl_table_plan *p, uint32_t j, uint64_t row, jl_buf *t, jl_error *err) {
    t->len = 0;
    uint64_t src;
    if (row == UINT64_MAX) {
        jl_buf_puts(t, p->cols[j].name);
    } else if (!jl_table_cell_source(doc, &p->cols[j], row, &src)) {
        jl_buf_puts(t, "NULL");
    } else {
        int rc = jl_table_cell_text(doc, p, &p->cols[j], src, t, err);
        if (rc) return rc;
    }
    if (t->failed) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing a frame");
    for (uint64_t i = 0; i < t->len; i++)
        if (t->p[i] == '\n' || t->p[i] == '\r' || t->p[i] == '\t') t->p[i] = ' ';
    if (chars(t->p, t->len) > MAX_CELL) {
        t->len = prefix_bytes(t->p, t->len, MAX_CELL - 1);
        jl_buf_puts(t, "\xE2\x80\xA6");
    }
    return JL_OK;
}

/* The rows shown: the header (UINT64_MAX), then rows [0, head) and
 * [tail, nrows). */
static uint64_t row_at(uint64_t k, uint64_t head, uint64_t tail) {
    if (k == 0) return UINT64_MAX;
    return k - 1 < head ? k - 1 : tail + (k - 1 - head);
}

static int grid(const jl_doc *doc, const jl_table_plan *p, uint64_t edge, jl_buf *b, jl_error *err) {
    uint64_t head = p->nrows, tail = p->nrows;
    if (p->nrows > 2 * edge) {
        head = edge;
        tail = p->nrows - edge;
    }
    uint64_t shown = 1 + head + (p->nrows - tail);
    uint64_t *width = jl_malloc(b->alloc, (size_t)p->ncols * sizeof *width);
    if (!width) return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory showing a frame");
    jl_buf t;
    jl_buf_init(&t, b->alloc, 0);
    int rc = JL_OK;
    for (uint32_t j = 0; j < p->ncols && rc == JL_OK; j++) {
        width[j] = 0;
        for (uint64_t k = 0; k < shown && rc == JL_OK; k++) {
            rc = cell(doc, p, j, row_at(k, head, tail), &t, err);
            uint64_t w = rc ? 0 : chars(t.p, t.len);
            if (w > width[j]) width[j] = w;
        }
    }
    for (uint64_t k = 0; k < shown && rc == JL_OK; k++) {
        if (k == head + 1 && tail > head)
            jl_buf_printf(b, "\xE2\x80\xA6 %llu more rows\n", (unsigned long long)(tail - head));
        for (uint32_t j = 0; j < p->ncols && rc == JL_OK; j++) {
            rc = cell(doc, p, j, row_at(k, head, tail), &t, err);
            if (rc) break;
            if (t.len) jl_buf_append(b, t.p, t.len);
            if (j + 1 < p->ncols)
                for (uint64_t w = chars(t.p, t.len); w < width[j] + 2; w++) jl_buf_putc(b, ' ');
        }
        jl_buf_putc(b, '\n');
    }
    jl_buf_free(&t);
    jl_free(b->alloc, width);
    return rc;
}

int jl_frame_show(const jl_doc *doc, uint32_t id, const char *at, size_t atn, uint64_t edge_rows, jl_buf *b,
                  jl_error *err) {
    int kind = jl_frame_kind(doc, id);
    const char *what = kind == 2 ? "Series" : "DataFrame";
    jl_table_plan p;
    jl_error perr;
    jl_error_clear(&perr);
    uint32_t nindex = 0;
    int rc = jl_frame_plan_make(doc, id, at, atn, b->alloc, &p, &nindex, &perr);
    if (rc == JL_E_NOMEM) {
        jl_table_plan_free(&p);
        *err = perr;
        return rc;
    }
    if (rc != JL_OK) {
        jl_buf_printf(b, "%s: not readable as a table: %s\n", what, perr.message);
        rc = JL_OK;
    } else {
        jl_buf_printf(b, "%s: %llu rows \xC3\x97 %llu columns\nindex:", what, (unsigned long long)p.nrows,
                      (unsigned long long)(p.ncols - nindex));
        for (uint32_t j = 0; j < p.ncols; j++) {
            if (j == nindex) jl_buf_puts(b, "\ncolumns:");
            jl_buf_puts(b, j == 0 || j == nindex ? " " : ", ");
            jl_buf_puts(b, p.cols[j].name);
            if (p.cols[j].pdtype[0]) jl_buf_printf(b, " %s", p.cols[j].pdtype);
        }
        if (nindex == p.ncols) jl_buf_puts(b, "\ncolumns:");
        jl_buf_putc(b, '\n');
        rc = grid(doc, &p, edge_rows ? edge_rows : 1, b, err);
    }
    jl_table_plan_free(&p);
    if (rc == JL_OK && b->failed)
        rc = jl_fail(err, b->failed == JL_E_LIMIT ? JL_E_LIMIT : JL_E_NOMEM, JL_NO_OFFSET,
                     "the text of the frame is longer than %llu bytes", (unsigned long long)b->max);
    return rc;
}
