/*
 * test_damaged.c - damaged tails read as joblib reads them, with exact
 * messages: FRAME lengths read as CPython's pickle._Unframer reads them
 * (a claim past the end loads when STOP comes first; an argument across a
 * frame's end and a frame inside a frame fail), containers cut short
 * (zlib/gzip: the decoded prefix; bz2/lzma/xz/lz4: whole MiB of it; ZF:
 * nothing), every truncation saying "file is truncated", and the
 * doc->damaged note joblib_info reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "decode.h"
#include "testutil.h"

/* Opens n bytes from memory: rc and message (or the damaged note) out. */
static int open_bytes(const void *p, size_t n, char *msg, size_t cap, int64_t *root_int) {
    jl_doc *doc = NULL;
    jl_error err;
    jl_error_clear(&err);
    int rc = jl_open_memory(p, n, 0, NULL, &doc, &err);
    if (rc) {
        assert_null(doc);
        snprintf(msg, cap, "%s", err.message);
        return rc;
    }
    snprintf(msg, cap, "%s", doc->damaged);
    if (root_int) {
        assert_int_equal(doc->nodes[doc->root].kind, JL_INT);
        *root_int = doc->nodes[doc->root].u.i;
    }
    jl_doc_free(doc);
    return JL_OK;
}

/* PROTO 4, FRAME claiming `claim`, then body */
static size_t framed(uint8_t *out, uint64_t claim, const char *body, size_t n) {
    memcpy(out, "\x80\x04\x95", 3);
    for (int i = 0; i < 8; i++) out[3 + i] = (uint8_t)(claim >> (8 * i));
    memcpy(out + 11, body, n);
    return 11 + n;
}

/* One FRAME case: the claim, the body after it, and what opening gives
 * (value 5 when it loads; the message or the damaged note). CPython's
 * pickle._loads gives the same outcome for each. */
static const struct frame_case {
    uint64_t claim;
    const char *body;
    size_t n;
    int rc;
    const char *msg;
} frame_cases[] = {
    /* exact: intact */
    { 3, "K\x05.", 3, JL_OK, "" },
    /* more than remain: STOP comes first, joblib loads it */
    { 29, "K\x05.", 3, JL_OK, "FRAME at byte 2 claims 29 bytes but only 3 remain" },
    /* ... but the pickle still needs its bytes */
    { 29, "K", 1, JL_E_TRUNCATED, "file is truncated: BININT1 at byte 11 needs 1 byte but only 0 remain" },
    { 29, "K\x05", 2, JL_E_TRUNCATED, "file is truncated: the pickle ends at byte 13 without its STOP opcode" },
    /* a claim Python could not allocate */
    { (uint64_t)1 << 48, "K\x05.", 3, JL_E_TRUNCATED,
      "file is truncated: FRAME claims 281474976710656 bytes (more than max_decompressed) but only 3 "
      "remain at byte 2 (FRAME)" },
    /* fewer: ends between opcodes, or right before an argument: the rest
     * is read from the file */
    { 2, "K\x05.", 3, JL_OK, "" },
    { 0, "K\x05.", 3, JL_OK, "" },
    { 1, "K\x05.", 3, JL_OK, "" },
    /* fewer: ends inside an argument ("pickle exhausted before end of frame") */
    { 2, "M\x05\x00.", 4, JL_E_FORMAT, "BININT2 at byte 11 runs past the end of its FRAME at byte 13" },
    { 2, "I5\n.", 4, JL_E_FORMAT, "INT at byte 11 runs past the end of its FRAME at byte 13" },
    /* a frame inside a frame ("beginning of a new frame before end of current frame") */
    { 14, "\x95\x01\x00\x00\x00\x00\x00\x00\x00K\x05.", 12, JL_E_FORMAT,
      "FRAME at byte 11 begins before the end of the current frame at byte 23" },
    /* ... allowed where the outer one is used up */
    { 9, "\x95\x02\x00\x00\x00\x00\x00\x00\x00K\x05.", 12, JL_OK, "" },
};

static void test_frame_claims(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof frame_cases / sizeof frame_cases[0]; i++) {
        const struct frame_case *fc = &frame_cases[i];
        uint8_t buf[64];
        char msg[sizeof ((jl_error *)0)->message];
        int64_t v = 0;
        size_t n = framed(buf, fc->claim, fc->body, fc->n);
        int rc = open_bytes(buf, n, msg, sizeof msg, fc->rc == JL_OK ? &v : NULL);
        if (rc != fc->rc || strcmp(msg, fc->msg) != 0 || (rc == JL_OK && v != 5))
            fail_msg("case %zu: %d '%s', want %d '%s'", i, rc, msg, fc->rc, fc->msg);
    }
}

static const char PICKLE[] = "\x80\x02K\x07."; /* protocol 2, 7 */

/* One compressor: the pickle compressed, its tail cut by `cut` bytes. */
static int cut_tail(jl_compression c, size_t cut, char *msg, size_t cap, uint64_t *clen) {
    uint8_t *comp;
    jl_error err;
    assert_int_equal(jl_compress(c, c == JL_COMP_LZ4 ? 3 : 6, (const uint8_t *)PICKLE,
                                 sizeof PICKLE - 1, NULL, &comp, clen, &err),
                     JL_OK);
    *clen -= cut;
    int64_t v = 0;
    int rc = open_bytes(comp, (size_t)*clen, msg, cap, &v);
    if (rc == JL_OK) assert_int_equal(v, 7);
    free(comp);
    return rc;
}

static void test_cut_containers(void **state) {
    (void)state;
    char msg[sizeof ((jl_error *)0)->message], want[sizeof ((jl_error *)0)->message];
    uint64_t clen;
    /* zlib and gzip: joblib's BinaryZlibFile ends quietly: loads, noted */
    static const struct { jl_compression c; size_t trailer; } lazy[] = {
        { JL_COMP_ZLIB, 4 }, { JL_COMP_GZIP, 8 } };
    for (size_t i = 0; i < 2; i++) {
        for (size_t cut = 1; cut <= lazy[i].trailer; cut++) {
            assert_int_equal(cut_tail(lazy[i].c, cut, msg, sizeof msg, &clen), JL_OK);
            snprintf(want, sizeof want,
                     "the %s stream stops after %llu compressed bytes, before its end (5 bytes "
                     "decompressed)",
                     jl_compression_name(lazy[i].c), (unsigned long long)clen);
            assert_string_equal(msg, want);
        }
    }
    /* bz2, lzma, xz, lz4: joblib's 1 MiB reads raise: no prefix of a small file */
    static const jl_compression strict[] = { JL_COMP_BZ2, JL_COMP_LZMA, JL_COMP_XZ, JL_COMP_LZ4 };
    for (size_t i = 0; i < 4; i++) {
        if (!jl_compression_available(strict[i])) continue;
        for (size_t cut = 1; cut <= 3; cut++) {
            assert_int_equal(cut_tail(strict[i], cut, msg, sizeof msg, &clen), JL_E_TRUNCATED);
            snprintf(want, sizeof want,
                     "file is truncated: the %s stream stops after %llu compressed bytes, before "
                     "its end (5 bytes decompressed)",
                     jl_compression_name(strict[i]), (unsigned long long)clen);
            assert_string_equal(msg, want);
        }
    }
}

/* A pickle of a 4000-byte bytes value, zlib-compressed and cut in the
 * middle: the pickle's need, then where the container stops. */
static void test_cut_inside_pickle(void **state) {
    (void)state;
    size_t n = 4000;
    uint8_t *pk = malloc(n + 8);
    assert_non_null(pk);
    memcpy(pk, "\x80\x03" "B\xa0\x0f\x00\x00", 7);
    uint8_t *pat = jl_test_pattern(n, 5);
    memcpy(pk + 7, pat, n);
    pk[7 + n] = '.';
    for (int k = 0; k < 2; k++) {
        jl_compression c = k ? JL_COMP_GZIP : JL_COMP_ZLIB;
        uint8_t *comp;
        uint64_t clen;
        jl_error err;
        assert_int_equal(jl_compress(c, 6, pk, n + 8, NULL, &comp, &clen, &err), JL_OK);
        uint64_t cuts[] = { clen / 2, clen - 12, 11 };
        for (size_t i = 0; i < 3; i++) {
            char msg[sizeof ((jl_error *)0)->message], want[sizeof ((jl_error *)0)->message];
            uint8_t *out;
            uint64_t got;
            uint8_t owner;
            assert_int_equal(jl_decompress_lazy(c, comp, cuts[i], NULL, 1 << 20, &out, &got, &owner, &err),
                             JL_E_TRUNCATED);
            jl_decompressed_free(NULL, out, owner);
            assert_true(got < n + 8);
            assert_int_equal(open_bytes(comp, (size_t)cuts[i], msg, sizeof msg, NULL), JL_E_TRUNCATED);
            if (got <= 2)
                snprintf(want, sizeof want,
                         "file is truncated: the %s stream stops after %llu compressed bytes, "
                         "before its end (%llu bytes decompressed)",
                         jl_compression_name(c), (unsigned long long)cuts[i], (unsigned long long)got);
            else
                snprintf(want, sizeof want,
                         "file is truncated: BINBYTES at byte 2 needs 4000 bytes but only %llu remain: "
                         "the %s stream stops after %llu compressed bytes, before its end (%llu "
                         "bytes decompressed)",
                         (unsigned long long)(got - 7), jl_compression_name(c),
                         (unsigned long long)cuts[i], (unsigned long long)got);
            assert_string_equal(msg, want);
        }
        free(comp);
    }
    free(pat);
    free(pk);
}

/* jl_decompress_lazy's prefix: all of it for zlib, whole MiB for bz2/xz. */
static void test_lazy_prefix(void **state) {
    (void)state;
    uint64_t n = (3 << 20) + 777;
    uint8_t *data = jl_test_pattern(n, 9);
    static const jl_compression kinds[] = { JL_COMP_ZLIB, JL_COMP_XZ, JL_COMP_BZ2 };
    for (size_t k = 0; k < 3; k++) {
        jl_compression c = kinds[k];
        if (!jl_compression_available(c)) continue;
        uint8_t *comp, *out;
        uint64_t clen, got;
        uint8_t owner;
        jl_error err;
        assert_int_equal(jl_compress(c, 1, data, n, NULL, &comp, &clen, &err), JL_OK);
        assert_int_equal(jl_decompress_lazy(c, comp, clen - 2, NULL, UINT64_MAX, &out, &got, &owner, &err),
                         JL_E_TRUNCATED);
        assert_non_null(out);
        if (c == JL_COMP_ZLIB) assert_int_equal(got, n);
        else assert_int_equal(got, 3 << 20);
        assert_memory_equal(out, data, (size_t)got);
        jl_decompressed_free(NULL, out, owner);
        /* the strict call still gives nothing */
        assert_int_equal(jl_decompress(c, comp, clen - 2, NULL, UINT64_MAX, &out, &got, &err),
                         JL_E_TRUNCATED);
        assert_null(out);
        free(comp);
    }
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_claims),
        cmocka_unit_test(test_cut_containers),
        cmocka_unit_test(test_cut_inside_pickle),
        cmocka_unit_test(test_lazy_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
