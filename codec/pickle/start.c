/*
 * start.c - the pickle start check (start.h): the first opcodes of the
 * input are stepped through a model of the VM that keeps only counts
 * (items above the top mark, the marks, memo entries), with each opcode's
 * needs and effect taken from the table below.
 */
#include "start.h"

#include <string.h>

#include "opcodes.h"

#define START_OPS 8 /* opcodes looked at */

/* What an opcode of protocols 0 and 1 takes and gives. */
enum need { N_NONE, N_ITEMS, N_MARK, N_MARK_ITEM, N_MEMO, N_NEVER };
enum line { L_ANY, L_INT, L_FLOAT, L_QUOTED, L_NAME };
enum does { D_PUSH, D_MARK, D_MEMO, D_STOP }; /* besides pushing `push` items */

typedef struct effect {
    uint8_t need;  /* enum need */
    uint8_t items; /* N_ITEMS: items taken (above the top mark) */
    uint8_t push;  /* items pushed */
    uint8_t line;  /* enum line: the form of a text argument */
    uint8_t does;  /* enum does */
} effect;

static const effect effects[256] = {
    [OP_MARK] = {N_NONE, 0, 0, L_ANY, D_MARK},
    [OP_STOP] = {N_ITEMS, 1, 0, L_ANY, D_STOP},
    [OP_POP] = {N_ITEMS, 1, 0, L_ANY, D_PUSH},
    [OP_POP_MARK] = {N_MARK, 0, 0, L_ANY, D_PUSH},
    [OP_DUP] = {N_ITEMS, 1, 2, L_ANY, D_PUSH},
    [OP_FLOAT] = {N_NONE, 0, 1, L_FLOAT, D_PUSH},
    [OP_INT] = {N_NONE, 0, 1, L_INT, D_PUSH},
    [OP_LONG] = {N_NONE, 0, 1, L_INT, D_PUSH},
    [OP_BINFLOAT] = {N_NONE, 0, 1, L_ANY, D_PUSH},
    [OP_BININT] = {N_NONE, 0, 1, L_ANY, D_PUSH},
    [OP_BININT1] = {N_NONE, 0, 1, L_ANY, 0},
    [OP_BININT2] = {N_NONE, 0, 1, L_ANY, 0},
    [OP_NONE] = {N_NONE, 0, 1, L_ANY, D_PUSH},
    [OP_PERSID] = {N_NEVER, 0, 0, L_ANY, D_PUSH}, /* persistent ids are refused anyway */
    [OP_BINPERSID] = {N_NEVER, 0, 0, L_ANY, D_PUSH},
    [OP_REDUCE] = {N_ITEMS, 2, 1, L_ANY, D_PUSH},
    [OP_STRING] = {N_NONE, 0, 1, L_QUOTED, D_PUSH},
    [OP_BINSTRING] = {N_NONE, 0, 1, L_ANY, D_PUSH},
    [OP_SHORT_BINSTRING] = {N_NONE, 0, 1, L_ANY, D_PUSH},
    [OP_UNICODE] = {N_NONE, 0, 1, L_ANY, D_PUSH},
    [OP_BINUNICODE] = {N_NONE, 0, 1, L_ANY, D_PUSH},
    [OP_EMPTY_LIST] = {N_NONE, 0, 1, L_ANY, D_PUSH},
    [OP_EMPTY_TUPLE] = {N_NONE, 0, 1, L_ANY, D_PUSH},
    [OP_EMPTY_DICT] = {N_NONE, 0, 1, L_ANY, D_PUSH},
    [OP_APPEND] = {N_ITEMS, 2, 1, L_ANY, D_PUSH},
    [OP_BUILD] = {N_ITEMS, 2, 1, L_ANY, D_PUSH},
    [OP_SETITEM] = {N_ITEMS, 3, 1, L_ANY, D_PUSH},
    [OP_GLOBAL] = {N_NONE, 0, 1, L_NAME, D_PUSH},
    [OP_INST] = {N_MARK, 0, 1, L_NAME, D_PUSH},
    [OP_DICT] = {N_MARK, 0, 1, L_ANY, D_PUSH},
    [OP_LIST] = {N_MARK, 0, 1, L_ANY, D_PUSH},
    [OP_TUPLE] = {N_MARK, 0, 1, L_ANY, D_PUSH},
    [OP_OBJ] = {N_MARK_ITEM, 0, 1, L_ANY, D_PUSH},
    [OP_APPENDS] = {N_MARK_ITEM, 0, 0, L_ANY, D_PUSH},
    [OP_SETITEMS] = {N_MARK_ITEM, 0, 0, L_ANY, D_PUSH},
    [OP_GET] = {N_MEMO, 0, 1, L_INT, D_PUSH},
    [OP_BINGET] = {N_MEMO, 0, 1, L_ANY, D_PUSH},
    [OP_LONG_BINGET] = {N_MEMO, 0, 1, L_ANY, D_PUSH},
    [OP_PUT] = {N_ITEMS, 1, 1, L_INT, D_MEMO},
    [OP_BINPUT] = {N_ITEMS, 1, 1, L_ANY, D_MEMO},
    [OP_LONG_BINPUT] = {N_ITEMS, 1, 1, L_ANY, D_MEMO},
};

/* Characters a text argument of each form may hold (besides digits). */
static int line_char_ok(uint8_t line, uint8_t c) {
    switch (line) {
    case L_INT: return (c >= '0' && c <= '9') || (c && strchr("+- Ll\r", c));
    case L_FLOAT: return (c >= '0' && c <= '9') || (c && strchr("+-. eEinfatyINFATY\r", c));
    case L_NAME: /* identifiers, dotted; bytes past ASCII for Unicode names */
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               c == '.' || c >= 0x80;
    case L_QUOTED: return c >= 0x20 || c == '\t';
    default: return 1;
    }
}

/* Checks a text argument at p[0..n) (up to '\n'); sets *len to the bytes
 * used. Returns 0 when malformed, 1 when fine, 2 when the input ends first
 * (with nothing wrong so far). */
static int check_line(uint8_t line, const uint8_t *p, uint64_t n, uint64_t *len) {
    if (line == L_QUOTED && n > 0 && p[0] != '\'' && p[0] != '"') return 0;
    uint64_t k = 0;
    for (; k < n && p[k] != '\n'; k++)
        if (!line_char_ok(line, p[k])) return 0;
    if (k == n) return 2;
    *len = k + 1;
    if (line == L_QUOTED) return k >= 2 && p[k - 1] == p[0];
    return line == L_ANY || k > 0;
}

/* Bytes of a binary argument at p[0..n) in *len. Returns 1 when it fits,
 * 2 when the input ends inside a fixed-size one or a length field, 0 when
 * the length it gives runs past the end of the input (which is whole: text
 * such as "The quick..." reads as BINSTRING of 0x71206568 bytes). */
static int arg_len(uint8_t kind, const uint8_t *p, uint64_t n, uint64_t *len) {
    static const uint8_t fixed[] = {
        [JL_ARG_U1] = 1, [JL_ARG_U2] = 2, [JL_ARG_I4] = 4, [JL_ARG_U4] = 4, [JL_ARG_F8BE] = 8};
    if (kind < sizeof fixed && fixed[kind]) {
        *len = fixed[kind];
        return n >= fixed[kind] ? 1 : 2;
    }
    uint64_t width = kind == JL_ARG_BYTES1 ? 1 : 4;
    if (n < width) return 2;
    uint64_t size = p[0];
    if (width == 4) size |= (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
    *len = width + size;
    return n - width >= size;
}

int jl_pickle_can_start(const uint8_t *p, uint64_t n) {
    /* protocols 6-15 too, so that the VM can say "unsupported pickle protocol" */
    if (n >= 1 && p[0] == OP_PROTO) return n < 2 || p[1] < 16;
    uint64_t pos = 0, above = 0, memo = 0, nmarks = 0;
    uint64_t saved[START_OPS]; /* items above each mark below the top one */
    for (int step = 0; step < START_OPS; step++) {
        if (pos >= n) return 1;
        uint8_t code = p[pos++];
        const jl_opinfo *op = &jl_opcodes[code];
        const effect *e = &effects[code];
        if (!op->name || op->proto > 1 || e->need == N_NEVER) return 0;
        if (e->need == N_NONE && e->push == 0 && e->does == D_PUSH) return 0; /* not in the table */
        /* the argument */
        if (op->arg == JL_ARG_LINE || op->arg == JL_ARG_LINE2) {
            for (int k = 0; k < (op->arg == JL_ARG_LINE2 ? 2 : 1); k++) {
                uint64_t len = 0;
                int ok = check_line(e->line, p + pos, n - pos, &len);
                if (ok != 1) return ok == 2;
                pos += len;
            }
        } else if (op->arg != JL_ARG_NONE) {
            uint64_t len = 0;
            int ok = arg_len(op->arg, p + pos, n - pos, &len);
            if (ok != 1) return ok == 2; /* ends inside the argument: the VM says so */
            pos += len;
        }
        /* what it takes */
        switch (e->need) {
        case N_ITEMS:
            if (above < e->items) return code == OP_POP && nmarks > 0; /* POP may drop a mark */
            above -= e->items;
            break;
        case N_MARK:
        case N_MARK_ITEM:
            if (nmarks == 0) return 0;
            if (e->need == N_MARK_ITEM && code != OP_OBJ && saved[nmarks - 1] == 0) return 0;
            if (code == OP_OBJ && above == 0) return 0;
            above = saved[--nmarks];
            break;
        case N_MEMO:
            if (memo == 0) return 0;
            break;
        default: break;
        }
        /* what it gives */
        if (e->does == D_MARK) {
            saved[nmarks++] = above;
            above = 0;
        }
        if (e->does == D_MEMO) memo++;
        if (e->does == D_STOP) return 1;
        above += e->push;
    }
    return 1;
}
