/*
 * test_sniff.c - files that are not bundles: the pickle start check
 * (codec/pickle/start.c) against real protocol 0 and 1 pickles and against
 * text and binary formats, the kinds the sniffer names (codec/io/sniff.c),
 * and the exact message the decoder gives for each.
 */
#include <stdio.h>
#include <string.h>

#include "opentest.h"
#include "sniff.h"
#include "start.h"
#include "testutil.h"

#define B(s) s, sizeof(s) - 1

/* Pickles Python writes with protocols 0 and 1 (pickle.dumps(v, protocol=p)),
 * and a few hand-made starts. */
static const struct {
    const char *bytes;
    size_t n;
} pickles[] = {
    {B("(lp0\nI1\naI2\na.")},
    {B("(dp0\nVa\np1\nI1\nsVb\np2\n(lp3\nNaI01\nas.")},
    {B("I42\n.")},
    {B("I-7\n.")},
    {B("F3.25\n.")},
    {B("L1180591620717411303424L\n.")},
    {B("Vtext, with comma\\u000a\np0\n.")},
    {B("S'py2 str'\np0\n.")},
    {B("N.")},
    {B("(Vt\np0\nI1\ntp1\n.")},
    {B("cnumpy.core.multiarray\n_reconstruct\np0\n(cnumpy\nndarray\np1\n(I0\ntp2\nS'b'\np3\ntp4\nRp5\n.")},
    {B("ccopy_reg\n_reconstructor\np0\n(c__main__\nC\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n.")},
    {B("]q\x00(K\x01K\x02K\x03e.")},
    {B("}q\x00(X\x01\x00\x00\x00"
       "aq\x01K\x01u.")},
    {B(")\x2e")},
    {B("G@\t!\xfbTD-\x18.")},
    {B("J\xff\xff\xff\xff.")},
    {B("(I1\nI2\nI3\nl.")},
    {B("U\x03"
       "abcq\x00.")},
    {B("\x80\x02]q\x00.")},
    {B("\x80\x05\x95\x03\x00\x00\x00\x00\x00\x00\x00]\x94.")},
    {B("(")},   /* truncated: the VM says so */
    {B("I12")}, /* ends inside an argument */
    {B("\x80")},
};

static void test_real_pickles_can_start(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof pickles / sizeof pickles[0]; i++) {
        if (!jl_pickle_can_start((const uint8_t *)pickles[i].bytes, pickles[i].n))
            print_message("pickle %zu (%.12s) taken for not a pickle\n", i, pickles[i].bytes);
        assert_true(jl_pickle_can_start((const uint8_t *)pickles[i].bytes, pickles[i].n));
    }
    /* and the complete ones decode */
    for (size_t i = 0; i < 21; i++) {
        jl_doc *doc = NULL;
        jl_error err;
        int rc = jl_open_memory((const uint8_t *)pickles[i].bytes, pickles[i].n, 0, NULL, &doc, &err);
        if (rc) print_message("pickle %zu: %s\n", i, err.message);
        assert_int_equal(rc, JL_OK);
        jl_doc_free(doc);
    }
}

/* Each kind: bytes, what the sniffer calls them, and that they cannot start a pickle. */
static const struct {
    const char *bytes;
    size_t n;
    const char *kind; /* NULL: unknown */
} files[] = {
    {B("SQLite format 3\0\x10\x00\x01\x01"), "a SQLite database"},
    {B("PK\3\4\x14\x00\x00\x00"), "a zip archive"},
    {B("\x89HDF\r\n\x1a\n\0\0\0\0"), "an HDF5 file"},
    {B("PAR1"
       "\x15\x04\x15"),
     "a Parquet file"},
    {B("\x89PNG\r\n\x1a\n\0\0\0\r"
       "IHDR"),
     "a PNG image"},
    {B("%PDF-1.7\n"), "a PDF"},
    {B("\xff\xd8\xff\xe0\0\x10"
       "JFIF"),
     "a JPEG image"},
    {B("\x7f"
       "ELF"
       "\x02\x01\x01"),
     "an ELF executable"},
    {B("{\"a\": [1, 2]}"), "JSON"},
    {B("\n  [1, 2, 3]\n"), "JSON"},
    {B("id,name,score\n1,a,0.5\n"), "CSV text"},
    {B("Name,Age\nann,3\n"), "CSV text"},
    {B("a;b\n1;2\n"), "CSV text"},
    {B("hello world\nthis is text\n"), "text"},
    {B("The quick brown fox\n"), "text"},
    {B("\xef\xbb\xbf"
       "caf\xc3\xa9"
       " au lait\n"),
     "text"},
    {B("\x01\x02\x03\xfe\xff"), NULL},
};

static void test_kinds(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const uint8_t *p = (const uint8_t *)files[i].bytes;
        const char *kind = jl_sniff(p, files[i].n);
        if (!files[i].kind) assert_null(kind);
        else {
            if (!kind || strcmp(kind, files[i].kind))
                print_message("file %zu: %s\n", i, kind ? kind : "(null)");
            assert_non_null(kind);
            assert_string_equal(kind, files[i].kind);
        }
        if (jl_pickle_can_start(p, files[i].n))
            print_message("file %zu (%s) taken for a pickle\n", i, files[i].kind);
        assert_false(jl_pickle_can_start(p, files[i].n));
    }
    /* tar: the magic sits at byte 257 */
    uint8_t tar[512] = "notes.txt";
    memcpy(tar + 257, "ustar", 5);
    assert_string_equal(jl_sniff(tar, sizeof tar), "a tar archive");
    assert_null(jl_sniff((const uint8_t *)"", 0));
}

static void expect_message(const char *bytes, size_t n, const char *message) {
    jl_error err;
    jl_test_open_fails(bytes, n, NULL, JL_E_FORMAT, message, &err);
    assert_int_equal(err.offset, JL_NO_OFFSET);
}

static void test_decoder_messages(void **state) {
    (void)state;
    char want[120];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (!files[i].kind || !strcmp(files[i].kind, "a zip archive"))
            continue; /* zips go to the .npz reader */
        snprintf(want, sizeof want, "not a joblib bundle or pickle: it looks like %s", files[i].kind);
        expect_message(files[i].bytes, files[i].n, want);
    }
    expect_message("\x01\x02\x03\xfe\xff", 5,
                   "not a joblib bundle or pickle: it starts with bytes 01 02 03 fe ff");
    expect_message("\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9,
                   "not a joblib bundle or pickle: it starts with bytes 01 02 03 04 05 06 07 08");
    /* compressed text is named after inflating */
    expect_message("\x78\x9c\xcb\x48\xcd\xc9\xc9\x57\x28\xcf\x2f\xca\x49\xe1\x02\x00\x1e\x72\x04\x67", 20,
                   "not a joblib bundle or pickle: it looks like text");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_pickles_can_start),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_decoder_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
