/*
 * framepath.c - column-label steps after a path that selects a pandas
 * frame (framepath.h): the column made into a list node of its cells.
 */
#include "framepath.h"

#include <string.h>

#include "array_build.h"
#include "frame.h"
#include "lazy.h"
#include "path.h"

#define MAX_STEPS 256 /* steps looked at for a frame; longer paths resolve as usual */

/* The label of a name step path[i..e): ".name" or ."text" without
 * escapes; 0 when the step is not one. */
static int step_label(const char *path, size_t i, size_t e, const char **s, size_t *len) {
    if (path[i] != '.' || e <= i + 1) return 0;
    if (path[i + 1] != '"') {
        *s = path + i + 1;
        *len = e - i - 1;
        return 1;
    }
    if (e < i + 3 || path[e - 1] != '"' || memchr(path + i + 2, '\\', e - i - 3)) return 0;
    *s = path + i + 2;
    *len = e - i - 3;
    return 1;
}

/* The node of cell `row` of column c. */
static uint32_t cell_node(jl_doc *doc, const jl_table_plan *p, const jl_tcol *c, uint64_t row, uint32_t null,
                          jl_error *err) {
    uint64_t src;
    if (!jl_table_cell_source(doc, c, row, &src)) return null;
    if (c->how == JL_TCOL_RANGE) return jl_new_int(doc, (int64_t)((uint64_t)c->start + src * (uint64_t)c->step), err);
    if (c->how != JL_TCOL_ARRAY || src == JL_TCOL_FILL) return jl_table_cell_node(doc, p, c, src);
    const jl_dtype *d = &doc->dtypes[c->dtype];
    int plain = d->byteorder != '>' && !d->nfields && !d->sub_ndim;
    const uint8_t *q = jl_ref_ptr(doc, jl_table_cell_ref(doc, c, src));
    if (plain && (c->flags & JL_TCOL_F_INT64)) {
        int64_t v;
        memcpy(&v, q, 8);
        return jl_new_int(doc, v, err);
    }
    if (plain && (d->kind == 'M' || (c->flags & JL_TCOL_F_TEXT))) {
        jl_buf b;
        jl_buf_init(&b, &doc->alloc, 0);
        uint32_t id = JL_NONE;
        if (jl_table_cell_text(doc, p, c, src, &b, err) == JL_OK)
            id = jl_new_bytes(doc, JL_STR, b.p ? b.p : "", b.len, err);
        jl_buf_free(&b);
        return id;
    }
    if (plain && d->kind == 'b') return jl_new_bool(doc, q[0] != 0, err);
    if (plain && (d->kind == 'i' || d->kind == 'u') && d->itemsize <= 8) {
        uint8_t b[8] = { 0 };
        memcpy(b, q, (size_t)d->itemsize);
        int64_t v = 0;
        if (d->kind == 'u' || d->itemsize == 8) memcpy(&v, b, 8); /* little-endian: zero-extended */
        else if (d->itemsize == 1) v = (int8_t)b[0];
        else if (d->itemsize == 2) { int16_t x; memcpy(&x, b, 2); v = x; }
        else { int32_t x; memcpy(&x, b, 4); v = x; }
        if (!(d->kind == 'u' && v < 0)) return jl_new_int(doc, v, err);
    }
    if (plain && d->kind == 'f' && d->itemsize == 8) {
        double v;
        memcpy(&v, q, 8);
        return jl_new_float(doc, v, err);
    }
    if (plain && d->kind == 'f' && d->itemsize == 4) {
        float v;
        memcpy(&v, q, 4);
        return jl_new_float(doc, v, err);
    }
    return jl_scalar_build(doc, c->dtype, jl_table_cell_ref(doc, c, src), err); /* ints and the rest */
}

/* A plain numeric column (bool, int, uint, float, complex numpy dtype; no
 * mask, codes or text form) stored contiguously: the 1-D ndarray of its
 * bytes in the block (no copy), so that it reads as an array BLOB with its
 * dtype and shape; JL_NONE (err clear) for any other column. */
static uint32_t column_array(jl_doc *doc, const jl_table_plan *p, const jl_tcol *c, jl_error *err) {
    if (c->how != JL_TCOL_ARRAY || c->flags != 0 || c->dtype >= doc->ndtypes) return JL_NONE;
    const jl_dtype *d = &doc->dtypes[c->dtype];
    if (!strchr("biufc", d->kind) || d->nfields || d->sub_ndim || d->has_object || c->stride != d->itemsize)
        return JL_NONE;
    uint64_t dims[1] = { p->nrows };
    jl_array_spec s = { c->dtype, dims, 1, 'C', c->data, JL_NONE };
    s.data.off += c->off;
    s.data.len = p->nrows * d->itemsize;
    return jl_array_build(doc, &s, err);
}

/* A list node of the cells of columns [j0, j1) of p: one value per row
 * when j1 = j0 + 1, else one tuple per row; with `arrays`, a plain numeric
 * column alone is its ndarray (column_array). */
static uint32_t column_list(jl_doc *doc, const jl_table_plan *p, uint32_t j0, uint32_t j1, int arrays,
                            jl_error *err) {
    if (arrays && j1 == j0 + 1) {
        uint32_t a = column_array(doc, p, &p->cols[j0], err);
        if (a != JL_NONE || err->code != JL_OK) return a;
    }
    uint32_t null = jl_node_new(doc, JL_NULL, err), list = jl_node_new(doc, JL_LIST, err);
    if (null == JL_NONE || list == JL_NONE) return JL_NONE;
    for (uint64_t r = 0; r < p->nrows; r++) {
        uint32_t v = JL_NONE;
        if (j1 == j0 + 1) {
            v = cell_node(doc, p, &p->cols[j0], r, null, err);
        } else {
            v = jl_node_new(doc, JL_TUPLE, err);
            for (uint32_t j = j0; v != JL_NONE && j < j1; j++) {
                uint32_t x = cell_node(doc, p, &p->cols[j], r, null, err);
                if (x == JL_NONE || jl_kids_append(doc, v, &x, 1, err)) v = JL_NONE;
            }
        }
        if (v == JL_NONE || jl_kids_append(doc, list, &v, 1, err)) return JL_NONE;
    }
    return list;
}

/* The column of frame `frame` labelled s[0..len), or the index; JL_NONE
 * with err clear when there is no such column. */
static uint32_t frame_column(jl_doc *doc, uint32_t frame, const char *at, size_t atn, const char *s, size_t len,
                             jl_error *err) {
    jl_table_plan p;
    uint32_t nindex = 0, out = JL_NONE;
    if (jl_lazy_load(doc, frame, err)) return JL_NONE; /* cells are read */
    if (jl_frame_plan_make(doc, frame, at, atn, &doc->alloc, &p, &nindex, err) != JL_OK) {
        jl_table_plan_free(&p);
        return JL_NONE;
    }
    if (len == 9 && memcmp(s, "__index__", 9) == 0) {
        out = column_list(doc, &p, 0, nindex, 0, err); /* the index: always its values */
    } else {
        for (uint32_t j = 0; j < p.ncols; j++)
            if (strlen(p.cols[j].name) == len && memcmp(p.cols[j].name, s, len) == 0) {
                out = column_list(doc, &p, j, j + 1, 1, err);
                break;
            }
    }
    jl_table_plan_free(&p);
    if (out == JL_NONE && err->code == JL_OK) return JL_NONE;
    return out;
}

int jl_frame_columns(jl_doc *doc, uint32_t frame, const char *at, size_t atn, uint32_t *out, jl_error *err) {
    jl_table_plan p;
    jl_error_clear(err);
    *out = JL_NONE;
    if (jl_lazy_load(doc, frame, err)) return err->code; /* cells are read */
    int rc = jl_frame_plan_make(doc, frame, at, atn, &doc->alloc, &p, NULL, err);
    uint32_t d = rc == JL_OK ? jl_node_new(doc, JL_DICT, err) : JL_NONE;
    for (uint32_t j = 0; d != JL_NONE && j < p.ncols; j++) {
        uint32_t kv[2];
        kv[0] = jl_new_bytes(doc, JL_STR, p.cols[j].name, strlen(p.cols[j].name), err);
        kv[1] = kv[0] == JL_NONE ? JL_NONE : column_list(doc, &p, j, j + 1, 1, err);
        if (kv[1] == JL_NONE || jl_kids_append(doc, d, kv, 2, err)) d = JL_NONE;
    }
    jl_table_plan_free(&p);
    if (d == JL_NONE) return err->code ? (int)err->code : jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
    *out = d;
    return JL_OK;
}

int jl_frame_path_resolve(jl_doc *doc, uint32_t root, const char *path, size_t n, uint32_t *out, jl_error *err) {
    jl_error_clear(err);
    int rc = jl_path_resolve(doc, root, path, n, out, err);
    if (rc != JL_OK || *out != JL_NONE) return rc;
    /* nothing: look for a frame followed by a label step */
    size_t i = 1;
    for (unsigned k = 0; i < n && k < MAX_STEPS; k++) {
        size_t e = jl_path_step_end(path, n, i);
        const char *s;
        size_t len;
        uint32_t frame = JL_NONE;
        if (step_label(path, i, e, &s, &len) && jl_path_resolve(doc, root, path, i, &frame, err) == JL_OK &&
            frame != JL_NONE && jl_frame_kind(doc, frame)) {
            uint32_t col = frame_column(doc, frame, path, i, s, len, err);
            if (err->code != JL_OK) return err->code;
            if (col == JL_NONE) return JL_OK;
            /* the rest of the path from the column: "$" + path[e..n) */
            jl_buf rest;
            jl_buf_init(&rest, &doc->alloc, 0);
            jl_buf_putc(&rest, '$');
            if (e < n) jl_buf_append(&rest, path + e, n - e);
            if (rest.failed) {
                jl_buf_free(&rest);
                return jl_fail(err, JL_E_NOMEM, JL_NO_OFFSET, "out of memory");
            }
            rc = jl_path_resolve(doc, col, rest.p, (size_t)rest.len, out, err);
            jl_buf_free(&rest);
            return rc;
        }
        jl_error_clear(err);
        if (e <= i) break;
        i = e;
    }
    *out = JL_NONE;
    return JL_OK;
}
