/*
 * table.h - table-shaped nodes: whether a node of a doc can be read as a
 * table, and the plan of its columns (name, where each cell is, declared
 * SQL type, row count). The joblib virtual table (ext/table_vtab.c) reads
 * its rows by this plan.
 *
 * Table-shaped nodes:
 *   a dict of equal-length 1-D ndarrays, lists or tuples   one column per entry
 *       (an N-D ndarray of fixed-size elements is a vector column: one row per
 *       index of its first axis, the sub-array's bytes as the cell)
 *   a 1-D structured ndarray                               one column per field
 *   a 2-D ndarray                                          columns c0 .. cN
 *   a list (or tuple) of dicts                             records: the keys, in
 *                                                          order of first appearance
 *   a list (or tuple) of tuples or lists                   records: c0 .. cN, as
 *                                                          wide as the longest
 *
 * Column names are dict keys (str, or the JSON text of other keys), field
 * names or c0..cN, as strict UTF-8 (other bytes and lone surrogates become
 * U+FFFD); a name that repeats without regard to ASCII case gets ":1",
 * ":2". The declared type comes from the data: integer and bool dtypes
 * INTEGER, float REAL, str (U) and datetime64 TEXT, bytes (S) BLOB; for
 * lists and object arrays the values decide (all ints INTEGER, numbers
 * with a float REAL, all str TEXT, all bytes BLOB, None aside), anything
 * else "" (no type). A vector column's declared type is its vtype
 * (jl_table_decl gives whichever applies).
 */
#ifndef JL_TABLE_H
#define JL_TABLE_H

#include "value.h"

/* SQLite's largest column count: wider tables are refused. */
#define JL_TABLE_MAX_COLS 32767

/* How a column finds the cell of row i. */
typedef enum jl_tcol_how {
    JL_TCOL_ARRAY = 1, /* fixed-size elements: bytes at data + i * stride + off */
    JL_TCOL_ITEMS,     /* kid (i * stride + off) of list node `node` (lists, object arrays) */
    JL_TCOL_RECDICT,   /* value of key `key` in dict record i (NULL when missing) */
    JL_TCOL_RECSEQ,    /* kid `index` of tuple/list record i, NULL if shorter */
    JL_TCOL_RANGE,     /* the int start + i * step (a pandas RangeIndex) */
    JL_TCOL_VECTOR     /* row i of N-D ndarray node `node` (first axis = rows): its
                        * sub-array as a BLOB (jl_array_row_copy) */
} jl_tcol_how;

/* Flags of frame columns (frame.h): how a cell's source row is found and
 * which cells are missing (SQL NULL). */
#define JL_TCOL_F_MASK 0x01  /* `mask`: one byte per row, nonzero = missing */
#define JL_TCOL_F_CODES 0x02 /* `codes`: the source row is codes[i] (a category code); < 0 missing */
#define JL_TCOL_F_UTC 0x04   /* datetime64 of a tz-aware column: UTC text with a "Z" */
#define JL_TCOL_F_INT64 0x08 /* timedelta64: the count of its unit as INTEGER */
#define JL_TCOL_F_NA 0x10    /* object items: pandas' NA and NaT objects are missing */
#define JL_TCOL_F_PERIOD 0x20   /* int64 ordinals: the text of pandas' Period (`period`, `week_adj`) */
#define JL_TCOL_F_INTERVAL 0x40 /* left bounds in `data`, right ones in `data2`: '(0.0, 1.0]' (`closed`) */
#define JL_TCOL_F_SPARSE 0x80   /* rows `sp_pos` hold the values in order; the others are `fill` */
/* Columns whose cells are the TEXT jl_table_cell_text gives. */
#define JL_TCOL_F_TEXT (JL_TCOL_F_UTC | JL_TCOL_F_PERIOD | JL_TCOL_F_INTERVAL)
/* The source row jl_table_cell_source gives for a sparse column's fill. */
#define JL_TCOL_FILL UINT64_MAX

typedef struct jl_tcol {
    char *name;        /* unique (without ASCII case) UTF-8 name; owned by the plan */
    const char *decl;  /* declared type: "INTEGER", "REAL", "TEXT", "BLOB" or "" (static) */
    uint8_t how;       /* jl_tcol_how */
    uint32_t dtype;    /* ARRAY: element dtype (as stored: may be big-endian) */
    jl_ref data;       /* ARRAY: the array's data bytes (block, offset of row 0) */
    uint64_t stride;   /* ARRAY: bytes from row to row; ITEMS: kids from row to row */
    uint64_t off;      /* ARRAY: bytes into the row; ITEMS: first kid */
    uint32_t node;     /* ITEMS: the list node */
    uint32_t key;      /* RECDICT: key node */
    uint64_t index;    /* RECDICT: the key's usual pair position; RECSEQ: element index */
    uint16_t flags;    /* JL_TCOL_F_* */
    jl_ref mask;       /* F_MASK: the mask bytes (row i at mask.off + i) */
    jl_ref codes;      /* F_CODES: the codes (row i at codes.off + i * itemsize) */
    uint32_t codes_dtype; /* F_CODES: their dtype (a signed int) */
    int64_t start, step;  /* RANGE */
    char pdtype[48];   /* frames: the pandas dtype ("int64", "Int64", "category",
                        * "datetime64[ns, UTC]"); "" elsewhere */
    char *vtype;       /* VECTOR: the declared type, numpy's dtype name and the row
                        * shape ("float32[384]", "int64[4][3]"); owned; NULL elsewhere */
    uint8_t period;    /* F_PERIOD: JL_PER_* (pdscalar.h) */
    int8_t week_adj;   /* F_PERIOD: pandas' day adjustment of weekly periods */
    uint8_t closed;    /* F_INTERVAL: JL_CLOSED_* */
    jl_ref data2;      /* F_INTERVAL: the right bounds (same dtype, stride, off as data) */
    uint64_t *sp_pos;  /* F_SPARSE: increasing rows that hold values (owned by the plan) */
    uint64_t sp_n;     /* F_SPARSE: how many */
    uint32_t fill;     /* F_SPARSE: the fill value's node; JL_NONE when it is missing (NaN) */
} jl_tcol;

/* The columns of a table-shaped node. */
typedef struct jl_table_plan {
    const jl_alloc *alloc;
    uint32_t records;  /* REC* columns: the list node of the records, else JL_NONE */
    uint64_t nrows;
    uint32_t ncols;
    jl_tcol *cols;     /* owned, names too */
    uint64_t cap_cols;
} jl_table_plan;

/* The plan of node `id` of doc into *p (allocated with alloc; free with
 * jl_table_plan_free, also after an error). Errors say why the node is not
 * a table: "not table-shaped: a str (expected a dict of columns, ...)",
 * "columns of unequal length: 'b' has 2 rows, 'a' has 3", "an empty dict
 * has no columns", ... */
int jl_table_plan_make(const jl_doc *doc, uint32_t id, const jl_alloc *alloc, jl_table_plan *p, jl_error *err);
void jl_table_plan_free(jl_table_plan *p);

/* The declared type of column c: its vtype for a vector column, else decl. */
const char *jl_table_decl(const jl_tcol *c);

/* Appends a column named name[0..n) to p, made unique without ASCII case
 * (":1", ":2"), its other fields zero (decl ""); NULL with err set. */
jl_tcol *jl_table_add_col(jl_table_plan *p, const char *name, size_t n, jl_error *err);
/* The declared type of dtype dt's elements, and of items [off, off +
 * stride, ...) of list node `list` (nrows of them): README's rules. */
const char *jl_table_dtype_decl(const jl_doc *doc, uint32_t dt);
const char *jl_table_items_decl(const jl_doc *doc, uint32_t list, uint64_t stride, uint64_t off, uint64_t nrows);

/* Where row `row` of column c comes from: 0 when the cell is missing
 * (masked, category code -1, NaT, pandas' NA), else 1 with *src the row
 * to read (the category code for F_CODES columns, the place among the
 * values for F_SPARSE ones, else row), or JL_TCOL_FILL for a sparse
 * column's fill (its node is `fill`). */
int jl_table_cell_source(const jl_doc *doc, const jl_tcol *c, uint64_t row, uint64_t *src);

/* The text of source row `src` (from jl_table_cell_source) of column c,
 * appended to b: a str's text, ints and floats in decimal (Python's repr),
 * bools True/False, datetime64 ISO-8601 (with "Z" for F_UTC columns),
 * anything else its JSON text. For labels, and for the cells of F_UTC
 * columns. */
int jl_table_cell_text(const jl_doc *doc, const jl_table_plan *p, const jl_tcol *c, uint64_t src, jl_buf *b,
                       jl_error *err);

/* The bytes of row `row` of ARRAY column c. */
jl_ref jl_table_cell_ref(const jl_doc *doc, const jl_tcol *c, uint64_t row);
/* The node of row `row` of another column c, or JL_NONE for a missing
 * cell; `fill` for JL_TCOL_FILL. */
uint32_t jl_table_cell_node(const jl_doc *doc, const jl_table_plan *p, const jl_tcol *c, uint64_t row);

/* A copy of s[0..n) as strict UTF-8 appended to b: bytes that are not
 * UTF-8, and the encoded lone surrogates the codec keeps (WTF-8), become
 * U+FFFD, so that names and messages are valid text for every client. */
int jl_table_utf8_clean(jl_buf *b, const char *s, size_t n);

#endif
