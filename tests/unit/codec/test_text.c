/*
 * test_text.c - the text helpers of core/text.h: the UTF-8 decoder under
 * each flag (overlongs, surrogates, truncation, beyond U+10FFFF, the lax
 * reading), the validator, encoder round trips, hex digits and JSON \u
 * escapes, the JSON string escaper's exact output, and decimal digits to
 * int64 or little-endian two's complement bytes (and int nodes).
 */
#include "testutil.h"

#include "text.h"
#include "value.h"

#include <stdlib.h>
#include <string.h>

#define U(s) ((const uint8_t *)(s))

/* ---- decoder ---------------------------------------------------------------- */

/* jl_utf8_next over the whole of s (a string literal) under flags. */
static unsigned next(const char *s, size_t n, unsigned flags, uint32_t *cp) {
    *cp = 0xDEADBEEF;
    return jl_utf8_next(U(s), n, flags, cp);
}

static void test_decode_valid(void **state) {
    (void)state;
    static const struct {
        const char *s;
        unsigned len;
        uint32_t cp;
    } C[] = {
        { "A", 1, 0x41 },
        { "\x7F", 1, 0x7F },
        { "\xC2\x80", 2, 0x80 },
        { "\xC3\xA9", 2, 0xE9 },
        { "\xDF\xBF", 2, 0x7FF },
        { "\xE0\xA0\x80", 3, 0x800 },
        { "\xE2\x82\xAC", 3, 0x20AC },
        { "\xED\x9F\xBF", 3, 0xD7FF },
        { "\xEE\x80\x80", 3, 0xE000 },
        { "\xEF\xBF\xBF", 3, 0xFFFF },
        { "\xF0\x90\x80\x80", 4, 0x10000 },
        { "\xF0\x9F\x98\x80", 4, 0x1F600 },
        { "\xF4\x8F\xBF\xBF", 4, 0x10FFFF },
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        size_t n = strlen(C[i].s);
        for (unsigned flags = 0; flags <= JL_UTF8_LAX; flags++) {
            uint32_t cp;
            assert_int_equal(next(C[i].s, n, flags, &cp), C[i].len);
            assert_int_equal(cp, C[i].cp);
        }
        /* trailing bytes are not read */
        char buf[8];
        memcpy(buf, C[i].s, n);
        buf[n] = '\x80';
        uint32_t cp;
        assert_int_equal(next(buf, n + 1, 0, &cp), C[i].len);
        assert_int_equal(cp, C[i].cp);
    }
}

static void test_decode_invalid(void **state) {
    (void)state;
    static const struct {
        const char *s;
        const char *why;
    } C[] = {
        { "\x80", "lone continuation" },
        { "\xBF", "lone continuation" },
        { "\xC0\x80", "overlong NUL" },
        { "\xC1\xBF", "overlong 2" },
        { "\xE0\x80\x80", "overlong 3" },
        { "\xE0\x9F\xBF", "overlong 3 (U+07FF)" },
        { "\xF0\x80\x80\x80", "overlong 4" },
        { "\xF0\x8F\xBF\xBF", "overlong 4 (U+FFFF)" },
        { "\xF4\x90\x80\x80", "U+110000" },
        { "\xF5\x80\x80\x80", "lead F5" },
        { "\xF7\xBF\xBF\xBF", "lead F7" },
        { "\xF8\x88\x80\x80", "lead F8" },
        { "\xFF\x80\x80\x80", "lead FF" },
        { "\xC3", "truncated 2" },
        { "\xE2\x82", "truncated 3" },
        { "\xF0\x9F\x98", "truncated 4" },
        { "\xC3\x41", "no continuation" },
        { "\xE2\x28\xA1", "no continuation 2nd" },
        { "\xF0\x9F\x98\x41", "no continuation 4th" },
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        uint32_t cp;
        size_t n = strlen(C[i].s);
        if (next(C[i].s, n, JL_UTF8_STRICT, &cp) != 0 || cp != 0xDEADBEEF) fail_msg("strict: %s", C[i].why);
        if (next(C[i].s, n, JL_UTF8_SURROGATES, &cp) != 0) fail_msg("surrogates: %s", C[i].why);
    }
}

/* Sequences whose reading depends on the flags: lone surrogates (WTF-8
 * only) and what only the lax reading takes. len 0: not a sequence. */
static void test_decode_flags(void **state) {
    (void)state;
    static const struct {
        const char *s;
        unsigned strict, wtf8, lax; /* length under each flag */
        uint32_t cp;                /* when read */
    } C[] = {
        { "\xED\xA0\x80", 0, 3, 3, 0xD800 },
        { "\xED\xB2\x80", 0, 3, 3, 0xDC80 },
        { "\xED\xBF\xBF", 0, 3, 3, 0xDFFF },
        { "\xED\xA0\xBD\xED\xB8\x80", 0, 3, 3, 0xD83D }, /* an encoded pair: two surrogates */
        { "\xC0\x80", 0, 0, 2, 0 },
        { "\xE0\x80\x80", 0, 0, 3, 0 },
        { "\xF4\x90\x80\x80", 0, 0, 4, 0x110000 },
        { "\xF8\x90\x80\x80", 0, 0, 4, 0x10000 },
        { "\xFF\xBF\xBF\xBF", 0, 0, 4, 0x1FFFFF },
        { "\x80", 0, 0, 0, 0 },
        { "\xE2\x82", 0, 0, 0, 0 },
        { "\xC3\x41", 0, 0, 0, 0 },
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        size_t n = strlen(C[i].s);
        const unsigned flags[3] = { JL_UTF8_STRICT, JL_UTF8_SURROGATES, JL_UTF8_LAX };
        const unsigned want[3] = { C[i].strict, C[i].wtf8, C[i].lax };
        for (unsigned f = 0; f < 3; f++) {
            uint32_t cp;
            unsigned len = next(C[i].s, n, flags[f], &cp);
            if (len != want[f] || cp != (len ? C[i].cp : 0xDEADBEEF))
                fail_msg("case %zu flags %u: length %u code point 0x%x", i, flags[f], len, (unsigned)cp);
        }
    }
}

static void test_valid(void **state) {
    (void)state;
    uint64_t bad = 99;
    assert_true(jl_utf8_valid(U("a\xc3\xa9\xed\xa0\x80\xf4\x8f\xbf\xbf"), 10, &bad));
    assert_int_equal(bad, 99);
    assert_true(jl_utf8_valid(NULL, 0, &bad));
    assert_true(jl_utf8_valid(U("plain ascii text, longer than eight"), 35, NULL));
    assert_false(jl_utf8_valid(U("ab\xc0\x80"), 4, &bad));
    assert_int_equal(bad, 2);
    assert_false(jl_utf8_valid(U("\xf4\x90\x80\x80"), 4, &bad));
    assert_int_equal(bad, 0);
    assert_false(jl_utf8_valid(U("x\xe2\x82"), 3, &bad));
    assert_int_equal(bad, 1);
    /* the first bad byte past an ASCII run of whole words */
    assert_false(jl_utf8_valid(U("0123456789abcdef\xc3\xa9\xff"), 19, &bad));
    assert_int_equal(bad, 18);
    assert_false(jl_utf8_valid(U("0123456789abcdef\x80"), 17, NULL));
}

/* ---- encoder ---------------------------------------------------------------- */

static void test_encode(void **state) {
    (void)state;
    static const struct {
        uint32_t cp;
        const char *utf8;
    } C[] = {
        { 0, "" }, /* checked by length below */
        { 0x41, "A" },
        { 0x7F, "\x7F" },
        { 0x80, "\xC2\x80" },
        { 0x7FF, "\xDF\xBF" },
        { 0x800, "\xE0\xA0\x80" },
        { 0xD800, "\xED\xA0\x80" },
        { 0xDFFF, "\xED\xBF\xBF" },
        { 0xFFFF, "\xEF\xBF\xBF" },
        { 0x10000, "\xF0\x90\x80\x80" },
        { 0x10FFFF, "\xF4\x8F\xBF\xBF" },
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        uint8_t out[4];
        unsigned n = jl_utf8_encode(C[i].cp, out);
        size_t want = C[i].cp ? strlen(C[i].utf8) : 1;
        assert_int_equal(n, want);
        if (C[i].cp) assert_memory_equal(out, C[i].utf8, n);
        else assert_int_equal(out[0], 0);
    }
    /* every code point round trips through the WTF-8 decoder */
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp += cp < 0x1000 ? 1 : 7) {
        uint8_t out[4];
        unsigned n = jl_utf8_encode(cp, out);
        uint32_t back = 0;
        assert_int_equal(jl_utf8_next(out, n, JL_UTF8_SURROGATES, &back), n);
        assert_int_equal(back, cp);
        int surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        assert_int_equal(jl_utf8_next(out, n, JL_UTF8_STRICT, &back), surrogate ? 0 : n);
        b.len = 0;
        assert_int_equal(jl_buf_put_utf8(&b, cp), JL_OK);
        assert_int_equal(b.len, n);
        assert_memory_equal(b.p, out, n);
    }
    jl_buf_free(&b);
    assert_true(jl_is_ascii("abc\x7F", 4));
    assert_true(jl_is_ascii(NULL, 0));
    assert_false(jl_is_ascii("ab\x80", 3));
}

/* ---- hex and \u escapes ---------------------------------------------------- */

static void test_hex(void **state) {
    (void)state;
    assert_int_equal(jl_hex_digit('0'), 0);
    assert_int_equal(jl_hex_digit('9'), 9);
    assert_int_equal(jl_hex_digit('a'), 10);
    assert_int_equal(jl_hex_digit('F'), 15);
    assert_int_equal(jl_hex_digit('g'), -1);
    assert_int_equal(jl_hex_digit('/'), -1);
    assert_int_equal(jl_hex_digit(0xC3), -1);
    assert_int_equal(jl_hex_digit(-1), -1);
    uint32_t v = 7;
    assert_true(jl_hex4("00e9", 4, &v));
    assert_int_equal(v, 0xE9);
    assert_true(jl_hex4("FfFfz", 5, &v));
    assert_int_equal(v, 0xFFFF);
    v = 7;
    assert_false(jl_hex4("00e", 3, &v));
    assert_false(jl_hex4("00eg", 4, &v));
    assert_int_equal(v, 7);
}

static void test_json_u_escape(void **state) {
    (void)state;
    static const struct {
        const char *s; /* the text after "\u" */
        unsigned len;
        uint32_t cp;
    } C[] = {
        { "00e9", 4, 0xE9 },
        { "00E9rest", 4, 0xE9 },
        { "d83d\\ude00", 10, 0x1F600 },     /* a pair */
        { "D83D\\uDE00tail", 10, 0x1F600 },
        { "d800", 4, 0xD800 },               /* lone high */
        { "d800x", 4, 0xD800 },
        { "d800\\u0041", 4, 0xD800 },       /* not a low surrogate after it */
        { "d800\\ud800", 4, 0xD800 },       /* high after high */
        { "d800\\ude0", 4, 0xD800 },        /* low cut short */
        { "d800\\n", 4, 0xD800 },
        { "dc00\\ud800", 4, 0xDC00 },       /* lone low */
        { "dbff\\udfff", 10, 0x10FFFF },
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        uint32_t cp = 0;
        assert_int_equal(jl_json_u_escape(C[i].s, strlen(C[i].s), &cp), C[i].len);
        assert_int_equal(cp, C[i].cp);
    }
    uint32_t cp = 0;
    assert_int_equal(jl_json_u_escape("00g9", 4, &cp), 0);
    assert_int_equal(jl_json_u_escape("00e", 3, &cp), 0);
    /* the bound is n, not the NUL */
    assert_int_equal(jl_json_u_escape("d83d\\ude00", 9, &cp), 4);
    assert_int_equal(cp, 0xD83D);
}

/* ---- JSON strings ----------------------------------------------------------- */

static void check_json(const char *in, size_t n, const char *want) {
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    assert_int_equal(jl_json_string(&b, in, n), JL_OK);
    assert_string_equal(b.p, want);
    size_t wl = strlen(want);
    b.len = 0;
    assert_int_equal(jl_json_escape(&b, in, n, JL_JSON_RENDER), JL_OK);
    assert_int_equal(b.len, wl - 2);
    assert_memory_equal(b.p, want + 1, wl - 2);
    jl_buf_free(&b);
}

static void test_json_string(void **state) {
    (void)state;
    check_json("", 0, "\"\"");
    check_json("plain", 5, "\"plain\"");
    check_json("q\"b\\s/", 6, "\"q\\\"b\\\\s/\"");
    check_json("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
    check_json("\x00\x01\x1f\x7f", 4, "\"\\u0000\\u0001\\u001f\x7f\"");
    check_json("\x1b[0m", 4, "\"\\u001b[0m\"");
    /* non-ASCII UTF-8 as it is */
    check_json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    check_json("\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\"");
    /* lone surrogates (WTF-8) as \u escapes, lowercase hex */
    check_json("a\xed\xa0\x80z", 5, "\"a\\ud800z\"");
    check_json("\xed\xbf\xbf", 3, "\"\\udfff\"");
    check_json("\xed\xa0\xbd\xed\xb8\x80", 6, "\"\\ud83d\\ude00\"");
    /* bytes that are not UTF-8: one \ufffd per byte */
    check_json("\xff", 1, "\"\\ufffd\"");
    check_json("a\x80" "b", 3, "\"a\\ufffdb\"");
    check_json("\xc0\x80", 2, "\"\\ufffd\\ufffd\"");
    check_json("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");
    check_json("\xe2\x82x", 3, "\"\\ufffd\\ufffdx\"");
    check_json("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    check_json("\xf8\x88\x80\x80\x80", 5, "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
    /* the other flags: controls as \u00xx without JL_JSON_SHORT, non-ASCII
     * bytes as they are without JL_JSON_WTF8 */
    static const struct {
        unsigned flags;
        const char *want;
    } F[] = {
        { 0, "q\\\"\\u000a\\u0009\\u0008\x7f\xc3\xa9\xed\xa0\x80\xff" },
        { JL_JSON_SHORT, "q\\\"\\n\\t\\b\x7f\xc3\xa9\xed\xa0\x80\xff" },
        { JL_JSON_WTF8, "q\\\"\\u000a\\u0009\\u0008\x7f\xc3\xa9\\ud800\\ufffd" },
        { JL_JSON_RENDER, "q\\\"\\n\\t\\b\x7f\xc3\xa9\\ud800\\ufffd" },
    };
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
        jl_buf f;
        jl_buf_init(&f, NULL, 0);
        assert_int_equal(jl_json_escape(&f, "q\"\n\t\b\x7f\xc3\xa9\xed\xa0\x80\xff", 12, F[i].flags), JL_OK);
        assert_string_equal(f.p, F[i].want);
        jl_buf_free(&f);
    }
    /* appends: what the buffer holds stays */
    jl_buf b;
    jl_buf_init(&b, NULL, 0);
    jl_buf_puts(&b, "[");
    jl_json_string(&b, "x", 1);
    jl_buf_putc(&b, ',');
    jl_json_string(&b, "\"", 1);
    jl_buf_putc(&b, ']');
    assert_string_equal(b.p, "[\"x\",\"\\\"\"]");
    jl_buf_free(&b);
    /* a failed buffer reports its failure */
    jl_buf_init(&b, NULL, 4);
    assert_int_equal(jl_json_string(&b, "abcdef", 6), JL_E_LIMIT);
    jl_buf_free(&b);
}

/* ---- decimal digits --------------------------------------------------------- */

static void check_i64(const char *d, int neg, int fits, int64_t want) {
    int64_t v = 12345;
    assert_int_equal(jl_decimal_int64(U(d), strlen(d), neg, &v), fits);
    if (fits) assert_true(v == want);
    else assert_true(v == 12345);
}

static void test_decimal_int64(void **state) {
    (void)state;
    check_i64("0", 0, 1, 0);
    check_i64("0", 1, 1, 0);
    check_i64("7", 1, 1, -7);
    check_i64("000000000000000000000000000042", 0, 1, 42);
    check_i64("000000000000000000000000000042", 1, 1, -42);
    check_i64("9223372036854775807", 0, 1, INT64_MAX);
    check_i64("9223372036854775807", 1, 1, -INT64_MAX);
    check_i64("9223372036854775808", 1, 1, INT64_MIN);
    check_i64("9223372036854775808", 0, 0, 0);
    check_i64("9223372036854775809", 1, 0, 0);
    check_i64("18446744073709551616", 0, 0, 0);
    check_i64("99999999999999999999999", 1, 0, 0);
}

/* jl_decimal_le of d (sign neg) against the bytes want[0..n). */
static void check_le(const char *d, int neg, const uint8_t *want, uint64_t n) {
    uint64_t nd = strlen(d);
    uint8_t *out = malloc(JL_DECIMAL_LE_CAP(nd) + 1);
    out[JL_DECIMAL_LE_CAP(nd)] = 0xA5; /* guard */
    uint64_t len = jl_decimal_le(U(d), nd, neg, out);
    assert_int_equal(len, n);
    assert_memory_equal(out, want, n);
    assert_true(len <= JL_DECIMAL_LE_CAP(nd));
    assert_int_equal(out[JL_DECIMAL_LE_CAP(nd)], 0xA5);
    free(out);
}

static void test_decimal_le(void **state) {
    (void)state;
    check_le("0", 0, U("\x00"), 1);
    check_le("0", 1, U("\x00"), 1);
    check_le("000", 0, U("\x00"), 1);
    check_le("1", 0, U("\x01"), 1);
    check_le("1", 1, U("\xff"), 1);
    check_le("127", 0, U("\x7f"), 1);
    check_le("128", 0, U("\x80\x00"), 2);
    check_le("128", 1, U("\x80"), 1);
    check_le("129", 1, U("\x7f\xff"), 2);
    check_le("255", 0, U("\xff\x00"), 2);
    check_le("256", 0, U("\x00\x01"), 2);
    check_le("256", 1, U("\x00\xff"), 2);
    check_le("0000256", 0, U("\x00\x01"), 2);
    /* 2^63 and 2^64 (what the codec meets: beyond int64) */
    check_le("9223372036854775808", 0, U("\x00\x00\x00\x00\x00\x00\x00\x80\x00"), 9);
    check_le("9223372036854775808", 1, U("\x00\x00\x00\x00\x00\x00\x00\x80"), 8);
    check_le("9223372036854775809", 1, U("\xff\xff\xff\xff\xff\xff\xff\x7f\xff"), 9);
    check_le("18446744073709551615", 0, U("\xff\xff\xff\xff\xff\xff\xff\xff\x00"), 9);
    check_le("18446744073709551616", 0, U("\x00\x00\x00\x00\x00\x00\x00\x00\x01"), 9);
    check_le("18446744073709551616", 1, U("\x00\x00\x00\x00\x00\x00\x00\x00\xff"), 9);
    check_le("000000000018446744073709551616", 0, U("\x00\x00\x00\x00\x00\x00\x00\x00\x01"), 9);
    /* 10^30 = 0x0C9F2C9CD04674EDEA40000000 */
    check_le("1000000000000000000000000000000", 0, U("\x00\x00\x00\x40\xea\xed\x74\x46\xd0\x9c\x2c\x9f\x0c"), 13);
    check_le("1000000000000000000000000000000", 1, U("\x00\x00\x00\xc0\x15\x12\x8b\xb9\x2f\x63\xd3\x60\xf3"), 13);
}

/* A long run of 9s: 10^n - 1 fits the cap, and negating it gives 1 - 10^n. */
static void test_decimal_le_long(void **state) {
    (void)state;
    for (unsigned nd = 1; nd <= 300; nd++) {
        char *d = malloc(nd + 1);
        memset(d, '9', nd);
        d[nd] = 0;
        uint64_t cap = JL_DECIMAL_LE_CAP(nd);
        uint8_t *pos = malloc(cap), *neg = malloc(cap);
        uint64_t lp = jl_decimal_le(U(d), nd, 0, pos), ln = jl_decimal_le(U(d), nd, 1, neg);
        assert_true(lp <= cap && ln <= cap && ln <= lp);
        assert_int_equal(pos[lp - 1] & 0x80, 0);
        assert_int_equal(neg[ln - 1] & 0x80, 0x80);
        /* pos + neg == 0 over lp bytes (neg sign-extended) */
        unsigned carry = 0;
        for (uint64_t k = 0; k < lp; k++) {
            unsigned t = pos[k] + (k < ln ? neg[k] : 0xFF) + carry;
            assert_int_equal(t & 0xFF, 0);
            carry = t >> 8;
        }
        free(d);
        free(pos);
        free(neg);
    }
}

static void test_new_int_decimal(void **state) {
    (void)state;
    jl_doc *doc = jl_doc_new(NULL, NULL);
    jl_error err;
    jl_error_clear(&err);
    uint32_t a = jl_new_int_decimal(doc, U("9223372036854775808"), 19, 1, &err);
    assert_int_not_equal(a, JL_NONE);
    assert_int_equal(doc->nodes[a].kind, JL_INT);
    assert_int_equal(doc->nodes[a].flags & JL_F_BIG, 0);
    assert_true(doc->nodes[a].u.i == INT64_MIN);
    uint32_t b = jl_new_int_decimal(doc, U("18446744073709551616"), 20, 0, &err);
    assert_int_not_equal(b, JL_NONE);
    assert_int_equal(doc->nodes[b].kind, JL_INT);
    assert_int_equal(doc->nodes[b].flags & JL_F_BIG, JL_F_BIG);
    jl_ref r = { doc->nodes[b].u.off, doc->nodes[b].len, doc->nodes[b].block };
    assert_int_equal(r.len, 9);
    assert_memory_equal(jl_ref_ptr(doc, r), "\x00\x00\x00\x00\x00\x00\x00\x00\x01", 9);
    jl_doc_free(doc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_valid),
        cmocka_unit_test(test_decode_invalid),
        cmocka_unit_test(test_decode_flags),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_json_u_escape),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_decimal_int64),
        cmocka_unit_test(test_decimal_le),
        cmocka_unit_test(test_decimal_le_long),
        cmocka_unit_test(test_new_int_decimal),
    };
    return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
