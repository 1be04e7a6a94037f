/*
 * test_tables.c - joblib_export and the `joblib` virtual table through a
 * real connection (static build): exports checked by what joblib_info and
 * joblib_load read back (dtypes, shapes, values), round trips compared
 * with EXCEPT both ways (uncompressed and compressed), the tables made
 * from every table shape of bundles written by real joblib (below),
 * rowid planning, declared types, and the error messages.
 *
 * The bundles below were made by joblib 1.2.0 / numpy 1.24 / CPython 3.11
 * (/usr/bin/python3) as io.BytesIO dumps of the object shown above each;
 * the tests use them as BLOB literals (x'...') in CREATE VIRTUAL TABLE.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sqltest.h"


/* ---- bundles (hex) ---- */

/* np.array([(1, 2.5, b'ab'), (2, -1.0, b'c')], dtype=[('id','<i4'),('x','>f8'),('s','S2')]) */
#define STRUCTURED \
    "80049553010000000000008c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179577261" \
    "707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c057368" \
    "617065944b0285948c056f72646572948c0143948c056474797065946806680d93948c0356313494898887945294284b" \
    "038c017c944e8c026964948c0178948c01739487947d94286813680e8c02693494898887945294284b038c013c944e4e" \
    "4e4affffffff4affffffff4b007494624b0086946814680e8c02663894898887945294284b038c013e944e4e4e4affff" \
    "ffff4affffffff4b007494624b0486946815680e8c02533294898887945294284b0368124e4e4e4b024b014b00749462" \
    "4b0c8694754b0e4b014b107494628c0a616c6c6f775f6d6d617094888c1b6e756d70795f61727261795f616c69676e6d" \
    "656e745f6279746573944b10756201ff010000004004000000000000616202000000bff000000000000063002e"

/* np.arange(6, dtype='<i2').reshape(2, 3) */
#define MATRIX_C \
    "800495cd000000000000008c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179577261" \
    "707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c057368" \
    "617065944b024b0386948c056f72646572948c0143948c056474797065946806680d93948c0269329489888794529428" \
    "4b038c013c944e4e4e4affffffff4affffffff4b007494628c0a616c6c6f775f6d6d617094888c1b6e756d70795f6172" \
    "7261795f616c69676e6d656e745f6279746573944b10756207ffffffffffffff0000010002000300040005002e"

/* np.asfortranarray(np.arange(6, dtype='<i2').reshape(2, 3)) */
#define MATRIX_F \
    "800495cd000000000000008c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179577261" \
    "707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c057368" \
    "617065944b024b0386948c056f72646572948c0146948c056474797065946806680d93948c0269329489888794529428" \
    "4b038c013c944e4e4e4affffffff4affffffff4b007494628c0a616c6c6f775f6d6d617094888c1b6e756d70795f6172" \
    "7261795f616c69676e6d656e745f6279746573944b10756207ffffffffffffff0000030001000400020005002e"

/* [{'a': 1, 'b': 'x'}, {'b': 'y', 'c': 2.5}] */
#define RECDICTS \
    "8004952e000000000000005d94287d94288c0161944b018c0162948c017894757d942868038c0179948c016394474004" \
    "00000000000075652e"

/* [(1, 'a'), (2, 'b', 3.0)] */
#define RECTUPLES \
    "8004951e000000000000005d94284b018c01619486944b028c0162944740080000000000008794652e"

/* {'a': [1, 2], 'b': ['x', None], 'when': np.array(['2020-01-01', '2021-06-30'], dtype='M8[D]')} */
#define DICTLISTS \
    "800495ff000000000000007d94288c0161945d94284b014b02658c0162945d94288c0178944e658c047768656e948c13" \
    "6a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179577261707065729493942981947d9428" \
    "8c08737562636c617373948c056e756d7079948c076e6461727261799493948c057368617065944b0285948c056f7264" \
    "6572948c0143948c05647479706594680d681493948c024d3894898887945294284b048c013c944e4e4e4affffffff4a" \
    "ffffffff4b007d9428430144944b014b014b01749486947494628c0a616c6c6f775f6d6d617094888c1b6e756d70795f" \
    "61727261795f616c69676e6d656e745f6279746573944b10756205ffffffffff56470000000000007849000000000000" \
    "752e"

/* {'a': [1, 2], 'b': [1]} */
#define UNEQUAL \
    "8004951a000000000000007d94288c0161945d94284b014b02658c0162945d944b0161752e"

/* 5 */
#define SCALAR \
    "80044b052e"

/* {'meta': 'x', 'data': {'k': np.array([10, 20, 30], dtype='>i8'), 'A': [1, 2, 3]}} */
#define NESTED \
    "800495e7000000000000007d94288c046d657461948c0178948c0464617461947d94288c016b948c136a6f626c69622e" \
    "6e756d70795f7069636b6c65948c114e756d70794172726179577261707065729493942981947d94288c08737562636c" \
    "617373948c056e756d7079948c076e6461727261799493948c057368617065944b0385948c056f72646572948c014394" \
    "8c05647479706594680c681393948c02693894898887945294284b038c013e944e4e4e4affffffff4affffffff4b0074" \
    "94628c0a616c6c6f775f6d6d617094888c1b6e756d70795f61727261795f616c69676e6d656e745f6279746573944b10" \
    "75620dffffffffffffffffffffffffff000000000000000a0000000000000014000000000000001e9511000000000000" \
    "008c0141945d94284b014b024b036575752e"

/* {'u': np.array([1, 2**64 - 1], dtype='<u8'), 'h': np.array([0.5, -2], dtype='<f2'),
 *  'c': np.array([1+2j, 0], dtype='<c16'), 'U': np.array(['ab', '\u00e9'], dtype='<U2'),
 *  'b': np.array([True, False]), 'i2': np.array([-128, 127], dtype='>i2')} */
#define KINDS \
    "800495d2000000000000007d94288c0175948c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d707941" \
    "72726179577261707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e646172726179" \
    "9493948c057368617065944b0285948c056f72646572948c0143948c056474797065946808680f93948c027538948988" \
    "87945294284b038c013c944e4e4e4affffffff4affffffff4b007494628c0a616c6c6f775f6d6d617094888c1b6e756d" \
    "70795f61727261795f616c69676e6d656e745f6279746573944b10756202ffff0100000000000000ffffffffffffffff" \
    "9549000000000000008c01689468042981947d94286807680a680b4b028594680d680e680f68108c0266329489888794" \
    "5294284b0368144e4e4e4affffffff4affffffff4b0074946268168868174b1075620dffffffffffffffffffffffffff" \
    "003800c0954a000000000000008c01639468042981947d94286807680a680b4b028594680d680e680f68108c03633136" \
    "94898887945294284b0368144e4e4e4affffffff4affffffff4b0074946268168868174b10756208ffffffffffffffff" \
    "000000000000f03f0000000000000040000000000000000000000000000000009543000000000000008c015594680429" \
    "81947d94286807680a680b4b028594680d680e680f68108c02553294898887945294284b0368144e4e4e4b084b044b08" \
    "74946268168868174b10756203ffffff6100000062000000e900000000000000954b000000000000008c016294680429" \
    "81947d94286807680a680b4b028594680d680e680f68108c02623194898887945294284b038c017c944e4e4e4affffff" \
    "ff4affffffff4b0074946268168868174b1075620bffffffffffffffffffffff0100954c000000000000008c02693294" \
    "68042981947d94286807680a680b4b028594680d680e680f68108c02693294898887945294284b038c013e944e4e4e4a" \
    "ffffffff4affffffff4b0074946268168868174b10756208ffffffffffffffffff80007f752e"

/* {'a\udcff': [1], '': [2], 'x': [3]}: a key with a lone surrogate, an empty key */
#define NAMES \
    "80049522000000000000007d94288c0461edb3bf945d944b01618c00945d944b02618c0178945d944b0361752e"

/* hand-made: {b'a\xff' as a BINUNICODE str (not UTF-8): [1]} */
#define BADNAME "80047d28580200000061ff5d4b0161752e"

/* ---- harness ---- */

static sqlite3 *db;
static char *sql_last[4]; /* sql_of's strings */
static char dir[64]; /* a fresh temporary directory */

static int setup(void **state) {
    (void)state;
    char *err = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return -1;
    if (sqlite3_joblib_init(db, &err, NULL) != SQLITE_OK) {
        fprintf(stderr, "init: %s\n", err ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    snprintf(dir, sizeof dir, "/tmp/jl_test_tables_XXXXXX");
    if (!mkdtemp(dir)) return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sqlite3_close(db);
    db = NULL;
    for (int i = 0; i < 4; i++) sqlite3_free(sql_last[i]);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return -1;
    return 0;
}

/* A path in the temporary directory (static buffer, one of four in turn). */
static const char *tmp(const char *name) {
    static char paths[4][160];
    static int at;
    char *p = paths[at++ % 4];
    snprintf(p, sizeof paths[0], "%s/%s", dir, name);
    return p;
}

/* Every row of the last statement of sql (see jl_test_query). sqlite3_free. */
static char *run(const char *sql) { return jl_test_query(db, sql, NULL, 0); }

static void expect_at(const char *sql, const char *want, const char *file, int line) {
    char *got = run(sql);
    if (strcmp(got, want) != 0) {
        print_error("%s:%d: %s\n  want: %s\n  got:  %s\n", file, line, sql, want, got);
        sqlite3_free(got);
        fail();
    }
    sqlite3_free(got);
}
#define EXPECT(sql, want) expect_at(sql, want, __FILE__, __LINE__)

/* The result is an error that starts with prefix and contains part (if not NULL). */
static void expect_error_at(const char *sql, const char *prefix, const char *part, const char *file, int line) {
    char *got = run(sql);
    if (strncmp(got, prefix, strlen(prefix)) != 0 || (part && !strstr(got, part))) {
        print_error("%s:%d: %s\n  want: %s...%s\n  got:  %s\n", file, line, sql, prefix, part ? part : "", got);
        sqlite3_free(got);
        fail();
    }
    sqlite3_free(got);
}
#define EXPECT_ERROR(sql, prefix, part) expect_error_at(sql, prefix, part, __FILE__, __LINE__)

/* sqlite3_mprintf with the result freed four calls later (for one-line SQL). */
static const char *sql_of(const char *fmt, ...) {
    static char **last = sql_last;
    static int at;
    va_list ap;
    va_start(ap, fmt);
    char *s = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    sqlite3_free(last[at % 4]);
    last[at++ % 4] = s;
    return s;
}

/* Runs sql, which must not fail. */
static void run_ok(const char *sql) {
    char *got = run(sql);
    if (strncmp(got, "error:", 6) == 0) {
        print_error("%s\n  %s\n", sql, got);
        sqlite3_free(got);
        fail();
    }
    sqlite3_free(got);
}

/* The plan of sql (EXPLAIN QUERY PLAN) mentions `detail`. */
static void expect_plan_at(const char *sql, const char *detail, const char *file, int line) {
    char *q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
    char *got = run(q);
    sqlite3_free(q);
    if (!strstr(got, detail)) {
        print_error("%s:%d: %s\n  want a plan with: %s\n  got:  %s\n", file, line, sql, detail, got);
        sqlite3_free(got);
        fail();
    }
    sqlite3_free(got);
}
#define EXPECT_PLAN(sql, detail) expect_plan_at(sql, detail, __FILE__, __LINE__)

static void exec_ok(const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        print_error("%s\n  error: %s\n", sql, err ? err : "?");
        sqlite3_free(err);
        fail();
    }
}

/* The source table of the round trips: every SQL type, NULLs, a column
 * mixing types, and a column that is INTEGER then REAL then TEXT. */
static void make_source(void) {
    exec_ok("DROP TABLE IF EXISTS src;"
            "CREATE TABLE src(i INTEGER, r REAL, t TEXT, b BLOB, ni INTEGER, nt TEXT, m, irt);"
            "INSERT INTO src VALUES"
            " (1, 0.5, 'a', x'00ff', 10, 'x', 1, 7),"
            " (-9223372036854775808, -1e300, 'h\xc3\xa9llo', x'', NULL, NULL, 'two', 2.5),"
            " (9223372036854775807, 3.0, '', x'41', 30, 'z', 2.5, 'text'),"
            " (0, 1e-300, 'line\nbreak', x'0102', NULL, '', NULL, NULL),"
            " (42, -0.0, 'quote''s', zeroblob(3), -5, 'w', x'ab', 9);");
}

/* Both differences of table a and table b are empty, and they have the same count. */
static void expect_same_table(const char *a, const char *b) {
    EXPECT(sql_of("SELECT count(*) FROM (SELECT * FROM %s EXCEPT SELECT * FROM %s)", a, b), "int:0");
    EXPECT(sql_of("SELECT count(*) FROM (SELECT * FROM %s EXCEPT SELECT * FROM %s)", b, a), "int:0");
    char *x = run(sql_of("SELECT count(*) FROM %s", a)), *y = run(sql_of("SELECT count(*) FROM %s", b));
    assert_string_equal(x, y);
    sqlite3_free(x);
    sqlite3_free(y);
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- registration ---- */

static void test_flags(void **state) {
    (void)state;
    /* runs SQL text and writes files: DIRECTONLY (0x80000), neither
     * DETERMINISTIC (0x800) nor INNOCUOUS (0x200000) */
    EXPECT("SELECT narg, flags & 0x280800 FROM pragma_function_list WHERE name = 'joblib_export' ORDER BY narg",
           "int:2|int:524288\nint:3|int:524288\nint:4|int:524288");
    EXPECT("SELECT count(*) FROM pragma_module_list WHERE name = 'joblib'", "int:1");
}

/* ---- joblib_export ---- */

static void test_export_dtypes(void **state) {
    (void)state;
    make_source();
    const char *f = tmp("dtypes.pkl");
    EXPECT(sql_of("SELECT joblib_export('SELECT * FROM src', %Q)", f), sql_of("text:[\"%s\"]", f));
    /* one array per column, in order, dtypes as pandas would infer them */
    EXPECT(sql_of("SELECT group_concat(j.value ->> 'path' || ' ' || (j.value ->> 'dtype') || ' ' || "
                  "(j.value -> 'shape'), ', ') FROM json_each(joblib_info(%Q), '$.arrays') j", f),
           "text:$.i <i8 [5], $.r <f8 [5], $.t |O [5], $.b |O [5], $.ni <f8 [5], $.nt |O [5], $.m |O [5], "
           "$.irt |O [5]");
    EXPECT(sql_of("SELECT json_group_array(key) FROM joblib_each(%Q)", f),
           "text:[\"i\",\"r\",\"t\",\"b\",\"ni\",\"nt\",\"m\",\"irt\"]");
    /* a bare table name is SELECT * FROM it; schema.name too */
    EXPECT(sql_of("SELECT joblib_export('src', %Q) = joblib_export('main.src', %Q)", f, f), "int:1");
    EXPECT(sql_of("SELECT json_group_array(key) FROM joblib_each(%Q)", f),
           "text:[\"i\",\"r\",\"t\",\"b\",\"ni\",\"nt\",\"m\",\"irt\"]");
    EXPECT_ERROR(sql_of("SELECT joblib_export('no_such_t', %Q)", f),
                 "error:joblib: joblib_export(): cannot read the table 'no_such_t': no such table: no_such_t", NULL);
    /* values as joblib_load reads them back */
    EXPECT(sql_of("SELECT joblib_load(%Q, '$.i[1]'), joblib_load(%Q, '$.i[2]'), joblib_load(%Q, '$.r[1]')", f, f, f),
           "int:-9223372036854775808|int:9223372036854775807|real:-1.0e+300");
    /* NULL in a numeric column: NaN (NULL in SQL), the integers as floats */
    EXPECT(sql_of("SELECT joblib_load(%Q, '$.ni[0]'), joblib_load(%Q, '$.ni[1]'), joblib_load(%Q, '$.ni[4]')", f, f, f),
           "real:10.0|null|real:-5.0");
    EXPECT(sql_of("SELECT json_group_array(value) FROM joblib_each(%Q, '$.ni')", f), "text:[10.0,null,30.0,null,-5.0]");
    /* object columns keep each value's type; NULL is None */
    EXPECT(sql_of("SELECT json(joblib_load(%Q, '$.nt'))", f), "text:[\"x\",null,\"z\",\"\",\"w\"]");
    EXPECT(sql_of("SELECT typeof(joblib_load(%Q, '$.m[0]')), typeof(joblib_load(%Q, '$.m[1]')), "
                  "typeof(joblib_load(%Q, '$.m[2]')), typeof(joblib_load(%Q, '$.m[3]')), "
                  "hex(joblib_load(%Q, '$.m[4]'))", f, f, f, f, f),
           "text:integer|text:text|text:real|text:null|text:AB");
    /* INTEGER then REAL then TEXT: 7 stays an int, 2.5 a float */
    EXPECT(sql_of("SELECT json(joblib_load(%Q, '$.irt'))", f), "text:[7,2.5,\"text\",null,9]");
    EXPECT(sql_of("SELECT joblib_load(%Q, '$.t[1]'), hex(joblib_load(%Q, '$.b[4]')), typeof(joblib_load(%Q, '$.b[1]'))",
                  f, f, f),
           "text:h\xc3\xa9llo|text:000000|text:blob");
}

static void test_export_empty_and_nulls(void **state) {
    (void)state;
    exec_ok("DROP TABLE IF EXISTS e; CREATE TABLE e(a INTEGER, b REAL, c TEXT, d);");
    const char *f = tmp("empty.pkl");
    EXPECT(sql_of("SELECT joblib_export('SELECT * FROM e', %Q)", f), sql_of("text:[\"%s\"]", f));
    /* no rows: empty arrays, dtypes from the declared types */
    EXPECT(sql_of("SELECT group_concat((j.value ->> 'dtype') || (j.value -> 'shape'), ' ') "
                  "FROM json_each(joblib_info(%Q), '$.arrays') j", f),
           "text:<i8[0] <f8[0] |O[0] |O[0]");
    /* only NULLs: INTEGER affinity gives NaN floats, no type gives None objects */
    exec_ok("INSERT INTO e VALUES (NULL, NULL, NULL, NULL), (NULL, NULL, NULL, NULL)");
    const char *g = tmp("nulls.pkl");
    run_ok(sql_of("SELECT joblib_export('SELECT * FROM e', %Q)", g));
    EXPECT(sql_of("SELECT group_concat(j.value ->> 'dtype', ' ') FROM json_each(joblib_info(%Q), '$.arrays') j", g),
           "text:<f8 <f8 |O |O");
    EXPECT(sql_of("SELECT json(joblib_load(%Q, '$.d'))", g), "text:[null,null]");
    /* an expression column without declared type */
    const char *h = tmp("expr.pkl");
    run_ok(sql_of("SELECT joblib_export('SELECT 1 AS one, NULL AS nil WHERE 0', %Q)", h));
    EXPECT(sql_of("SELECT group_concat(j.value ->> 'dtype', ' ') FROM json_each(joblib_info(%Q), '$.arrays') j", h),
           "text:|O |O");
}

static void test_export_roundtrip(void **state) {
    (void)state;
    make_source();
    static const struct { const char *name, *compress; const char *want_comp; } cases[] = {
        { "rt.pkl", NULL, "none" },
        { "rt_gz.pkl", "'gzip'", "gzip" },
        { "rt_z5.pkl", "'zlib:5'", "zlib" },
        { "rt_3.pkl", "3", "zlib" },
        { "rt.pkl.xz", NULL, "xz" },
        { "rt.pkl.bz2", NULL, "bz2" },
        { "rt_lz4.pkl", "'lz4'", "lz4" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *f = tmp(cases[k].name);
        if (cases[k].compress)
            EXPECT(sql_of("SELECT joblib_export('SELECT * FROM src', %Q, %s)", f, cases[k].compress),
                   sql_of("text:[\"%s\"]", f));
        else
            EXPECT(sql_of("SELECT joblib_export('SELECT * FROM src', %Q)", f), sql_of("text:[\"%s\"]", f));
        EXPECT(sql_of("SELECT joblib_info(%Q) ->> 'compression'", f), sql_of("text:%s", cases[k].want_comp));
        exec_ok(sql_of("DROP TABLE IF EXISTS rt; CREATE VIRTUAL TABLE rt USING joblib(%Q)", f));
        expect_same_table("src", "rt");
    }
    /* declared types from the arrays: object columns by their values */
    EXPECT("SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('rt')",
           "text:i INTEGER, r REAL, t TEXT, b BLOB, ni REAL, nt TEXT, m , irt ");
    /* values and their SQL types */
    EXPECT("SELECT rowid, i, r, t, hex(b), ni, nt, m, irt FROM rt WHERE rowid = 1",
           "int:1|int:-9223372036854775808|real:-1.0e+300|text:h\xc3\xa9llo|text:|null|null|text:two|real:2.5");
    EXPECT("SELECT typeof(m), typeof(irt) FROM rt", "text:integer|text:integer\ntext:text|text:real\n"
           "text:real|text:text\ntext:null|text:null\ntext:blob|text:integer");
    /* a query with its own expressions and names */
    const char *f = tmp("expr_rt.pkl");
    run_ok(sql_of("SELECT joblib_export('SELECT i %% 7 AS k, upper(t) AS u, r * 2 AS d FROM src ORDER BY rowid DESC', %Q)",
               f));
    exec_ok(sql_of("DROP TABLE IF EXISTS rt2; CREATE VIRTUAL TABLE rt2 USING joblib(%Q)", f));
    exec_ok("CREATE TEMP VIEW v2 AS SELECT i % 7 AS k, upper(t) AS u, r * 2 AS d FROM src");
    expect_same_table("v2", "rt2");
    EXPECT("SELECT k, u FROM rt2 WHERE rowid = 0", "int:0|text:QUOTE'S");
    exec_ok("DROP TABLE rt; DROP TABLE rt2; DROP VIEW v2");
}

static void test_export_many_rows(void **state) {
    (void)state;
    /* 100000 rows: the column buffers grow, the bundle is written and read back */
    const char *f = tmp("many.pkl.gz");
    EXPECT(sql_of("SELECT joblib_export('WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n "
                  "WHERE x < 99999) SELECT x, x * 0.5 AS h, ''r'' || x AS s, "
                  "CASE WHEN x %% 3 = 0 THEN NULL ELSE x END AS maybe FROM n', %Q)", f),
           sql_of("text:[\"%s\"]", f));
    exec_ok(sql_of("DROP TABLE IF EXISTS many; CREATE VIRTUAL TABLE many USING joblib(%Q)", f));
    EXPECT("SELECT count(*), sum(x), sum(h), count(maybe), max(s) FROM many",
           "int:100000|int:4999950000|real:2499975000.0|int:66666|text:r99999");
    EXPECT("SELECT x, h, s, maybe FROM many WHERE rowid = 99998", "int:99998|real:49999.0|text:r99998|real:99998.0");
    exec_ok("DROP TABLE many");
}

static void test_export_errors(void **state) {
    (void)state;
    make_source();
    const char *f = tmp("err.pkl");
    EXPECT_ERROR(sql_of("SELECT joblib_export('SELECT * FROM nope', %Q)", f),
                 "error:joblib: joblib_export(): cannot prepare select_sql: no such table: nope", NULL);
    EXPECT_ERROR(sql_of("SELECT joblib_export('SELEC 1', %Q)", f),
                 "error:joblib: joblib_export(): cannot prepare select_sql: near \"SELEC\": syntax error", NULL);
    EXPECT_ERROR(sql_of("SELECT joblib_export('DELETE FROM src', %Q)", f),
                 "error:joblib: joblib_export(): select_sql must be a query that does not change the database", NULL);
    EXPECT_ERROR(sql_of("SELECT joblib_export('SELECT 1; SELECT 2', %Q)", f),
                 "error:joblib: joblib_export(): select_sql must be one statement", NULL);
    EXPECT_ERROR(sql_of("SELECT joblib_export('SELECT 1 AS a, 2 AS a', %Q)", f),
                 "error:joblib: joblib_export(): column name 'a' appears twice", NULL);
    EXPECT_ERROR(sql_of("SELECT joblib_export(' -- nothing', %Q)", f),
                 "error:joblib: joblib_export(): select_sql holds no statement", NULL);
    /* an error while the query runs, quoting SQLite */
    EXPECT_ERROR(sql_of("SELECT joblib_export('SELECT abs(-9223372036854775807 - 1)', %Q)", f),
                 "error:joblib: joblib_export(): select_sql failed at row 0: integer overflow", NULL);
    EXPECT_ERROR(sql_of("SELECT joblib_export('SELECT CAST(x''ff'' AS TEXT) AS bad', %Q)", f),
                 "error:joblib: joblib_export(): row 0, column 'bad' holds TEXT that is not valid UTF-8", NULL);
    EXPECT_ERROR(sql_of("SELECT joblib_export(1, %Q)", f),
                 "error:joblib: joblib_export(): argument 1 (select_sql) must be TEXT, not INTEGER", NULL);
    EXPECT_ERROR("SELECT joblib_export('SELECT 1', x'00')",
                 "error:joblib: joblib_export(): argument 2 (dest) must be TEXT", NULL);
    EXPECT_ERROR("SELECT joblib_export('SELECT 1', '')", "error:joblib: joblib_export(): dest is an empty file name", NULL);
    EXPECT_ERROR(sql_of("SELECT joblib_export('SELECT 1', %Q, 'snappy')", f), "error:joblib: joblib_export(): unknown compressor 'snappy'", NULL);
    EXPECT_ERROR(sql_of("SELECT joblib_export('SELECT 1', '%q/no/such/dir/x.pkl')", dir), "error:joblib: cannot", "x.pkl");
    /* nothing was written by the failures */
    assert_false(file_exists(f));
    EXPECT("SELECT joblib_export(NULL, 'x.pkl') IS NULL, joblib_export('SELECT 1', NULL) IS NULL", "int:1|int:1");
    /* not from a trigger or a view (DIRECTONLY) */
    exec_ok(sql_of("CREATE VIEW ve AS SELECT joblib_export('SELECT 1', %Q) AS r", f));
    EXPECT_ERROR("SELECT * FROM ve", "error:unsafe use of joblib_export()", NULL);
    exec_ok("DROP VIEW ve");
    assert_false(file_exists(f));
}

/* ---- the virtual table over bundles of real joblib ---- */

static void test_vtab_structured(void **state) {
    (void)state;
    exec_ok("CREATE VIRTUAL TABLE st USING joblib(x'" STRUCTURED "')");
    EXPECT("SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('st')",
           "text:id INTEGER, x REAL, s BLOB");
    EXPECT("SELECT rowid, id, x, hex(s) FROM st", "int:0|int:1|real:2.5|text:6162\nint:1|int:2|real:-1.0|text:63");
    exec_ok("DROP TABLE st");
}

static void test_vtab_matrix(void **state) {
    (void)state;
    exec_ok("CREATE VIRTUAL TABLE mc USING joblib(x'" MATRIX_C "');"
            "CREATE VIRTUAL TABLE mf USING joblib(x'" MATRIX_F "')");
    EXPECT("SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('mc')",
           "text:c0 INTEGER, c1 INTEGER, c2 INTEGER");
    EXPECT("SELECT * FROM mc", "int:0|int:1|int:2\nint:3|int:4|int:5");
    EXPECT("SELECT * FROM mf", "int:0|int:1|int:2\nint:3|int:4|int:5");
    exec_ok("DROP TABLE mc; DROP TABLE mf");
}

static void test_vtab_records(void **state) {
    (void)state;
    exec_ok("CREATE VIRTUAL TABLE rd USING joblib(x'" RECDICTS "');"
            "CREATE VIRTUAL TABLE rs USING joblib(x'" RECTUPLES "')");
    /* keys in order of first appearance, a missing key is NULL */
    EXPECT("SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('rd')",
           "text:a INTEGER, b TEXT, c REAL");
    EXPECT("SELECT * FROM rd", "int:1|text:x|null\nnull|text:y|real:2.5");
    /* tuples: as wide as the longest */
    EXPECT("SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('rs')",
           "text:c0 INTEGER, c1 TEXT, c2 REAL");
    EXPECT("SELECT * FROM rs", "int:1|text:a|null\nint:2|text:b|real:3.0");
    exec_ok("DROP TABLE rd; DROP TABLE rs");
}

static void test_vtab_dict_of_lists(void **state) {
    (void)state;
    exec_ok("CREATE VIRTUAL TABLE dl USING joblib(x'" DICTLISTS "')");
    EXPECT("SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('dl')",
           "text:a INTEGER, b TEXT, when TEXT");
    /* datetime64 as ISO-8601 TEXT */
    EXPECT("SELECT a, b, \"when\" FROM dl", "int:1|text:x|text:2020-01-01\nint:2|null|text:2021-06-30");
    exec_ok("DROP TABLE dl");
}

static void test_vtab_dtype_kinds(void **state) {
    (void)state;
    exec_ok("CREATE VIRTUAL TABLE kd USING joblib(x'" KINDS "')");
    EXPECT("SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('kd')",
           "text:u INTEGER, h REAL, c , U:1 TEXT, b INTEGER, i2 INTEGER");
    /* 'U' repeats 'u' for SQLite (names compare without case): renamed as
     * SQLite names duplicate result columns. uint64 beyond int64 as TEXT digits, float16, complex as JSON, UCS-4
     * text, bool as 0/1, big-endian int16 */
    EXPECT("SELECT u, h, c, \"U:1\", b, i2 FROM kd",
           "int:1|real:0.5|text:[1.0,2.0]|text:ab|int:1|int:-128\n"
           "text:18446744073709551615|real:-2.0|text:[0.0,0.0]|text:\xc3\xa9|int:0|int:127");
    exec_ok("DROP TABLE kd");
}

static void test_vtab_names(void **state) {
    (void)state;
    /* column names are strict UTF-8: lone surrogates become U+FFFD; an
     * empty key is an empty name; a key that is not UTF-8 at all is refused
     * by the decoder (as Python refuses it) */
    exec_ok("CREATE VIRTUAL TABLE nm USING joblib(x'" NAMES "');");
    EXPECT("SELECT group_concat(quote(name), ',') FROM pragma_table_info('nm')", "text:'a\xef\xbf\xbd','','x'");
    EXPECT("SELECT * FROM nm", "int:1|int:2|int:3");
    char *err = NULL;
    assert_int_not_equal(sqlite3_exec(db, "CREATE VIRTUAL TABLE bn USING joblib(x'" BADNAME "')", NULL, NULL, &err),
                         SQLITE_OK);
    assert_non_null(err);
    assert_non_null(strstr(err, "joblib: str that is not UTF-8 at byte 4 (BINUNICODE)"));
    sqlite3_free(err);
    exec_ok("DROP TABLE nm");
}

static void test_vtab_path(void **state) {
    (void)state;
    exec_ok("CREATE VIRTUAL TABLE np USING joblib(x'" NESTED "', '$.data')");
    EXPECT("SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('np')", "text:k INTEGER, A INTEGER");
    /* a big-endian array read in native order */
    EXPECT("SELECT k, A FROM np", "int:10|int:1\nint:20|int:2\nint:30|int:3");
    exec_ok("DROP TABLE np");
    EXPECT_ERROR("CREATE VIRTUAL TABLE np USING joblib(x'" NESTED "', '$.nothing')",
                 "error:joblib: the path selects nothing (path $.nothing)", NULL);
    EXPECT_ERROR("CREATE VIRTUAL TABLE np USING joblib(x'" NESTED "', '$.meta')",
                 "error:joblib: not table-shaped: a str", NULL);
    EXPECT_ERROR("CREATE VIRTUAL TABLE np USING joblib(x'" NESTED "', 'data')",
                 "error:joblib: path must be a path starting with '$'", NULL);
    EXPECT_ERROR("CREATE VIRTUAL TABLE np USING joblib(x'" NESTED "', '$[')", "error:joblib:", "path $[");
}

static void test_vtab_errors(void **state) {
    (void)state;
    EXPECT_ERROR("CREATE VIRTUAL TABLE u USING joblib(x'" UNEQUAL "')",
                 "error:joblib: columns of unequal length: 'b' has 1 rows, 'a' has 2", NULL);
    EXPECT_ERROR("CREATE VIRTUAL TABLE u USING joblib(x'" SCALAR "')", "error:joblib: not table-shaped: an int", NULL);
    EXPECT_ERROR("CREATE VIRTUAL TABLE u USING joblib(x'" MATRIX_C "', '$[0]')",
                 "error:joblib: not table-shaped: a 1-D ndarray", NULL);
    EXPECT_ERROR("CREATE VIRTUAL TABLE u USING joblib()", "error:joblib: CREATE VIRTUAL TABLE u USING joblib(src [, path]) "
                 "takes 1 or 2 arguments, not 0", NULL);
    EXPECT_ERROR("CREATE VIRTUAL TABLE u USING joblib('a', '$', 'b')", "error:joblib:", "not 3");
    EXPECT_ERROR(sql_of("CREATE VIRTUAL TABLE u USING joblib('%q/missing.pkl')", dir), "error:joblib: cannot open",
                 "missing.pkl");
    EXPECT_ERROR("CREATE VIRTUAL TABLE u USING joblib(x'00')", "error:joblib:", NULL);
    /* read-only */
    exec_ok("CREATE VIRTUAL TABLE ro USING joblib(x'" MATRIX_C "')");
    EXPECT_ERROR("INSERT INTO ro VALUES (1, 2, 3)", "error:table ro may not be modified", NULL);
    EXPECT_ERROR("DELETE FROM ro", "error:table ro may not be modified", NULL);
    exec_ok("DROP TABLE ro");
}

static void test_vtab_rowid_plans(void **state) {
    (void)state;
    const char *f = tmp("plans.pkl");
    run_ok(sql_of("SELECT joblib_export('WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 99) "
               "SELECT x, x * x AS sq FROM n', %Q)", f));
    exec_ok(sql_of("DROP TABLE IF EXISTS p; CREATE VIRTUAL TABLE p USING joblib(%Q)", f));
    EXPECT("SELECT sq FROM p WHERE rowid = 7", "int:49");
    EXPECT("SELECT sq FROM p WHERE rowid = 7.0", "int:49");
    EXPECT("SELECT sq FROM p WHERE rowid = '7'", "int:49");
    EXPECT("SELECT count(*) FROM p WHERE rowid = 7.5", "int:0");
    EXPECT("SELECT count(*) FROM p WHERE rowid = 100", "int:0");
    EXPECT("SELECT count(*) FROM p WHERE rowid = -1", "int:0");
    EXPECT("SELECT count(*) FROM p WHERE rowid = NULL", "int:0");
    EXPECT("SELECT group_concat(x) FROM p WHERE rowid > 95", "text:96,97,98,99");
    EXPECT("SELECT group_concat(x) FROM p WHERE rowid >= 95.5", "text:96,97,98,99");
    EXPECT("SELECT group_concat(x) FROM p WHERE rowid < 3", "text:0,1,2");
    EXPECT("SELECT group_concat(x) FROM p WHERE rowid <= 2.5", "text:0,1,2");
    EXPECT("SELECT group_concat(x) FROM p WHERE rowid BETWEEN 10 AND 13", "text:10,11,12,13");
    EXPECT("SELECT group_concat(x) FROM p WHERE rowid > 10 AND rowid < 13", "text:11,12");
    EXPECT("SELECT count(*) FROM p WHERE rowid > 200", "int:0");
    EXPECT("SELECT count(*) FROM p WHERE rowid < -5", "int:0");
    EXPECT("SELECT count(*) FROM p WHERE rowid > 9223372036854775807", "int:0");
    EXPECT("SELECT count(*) FROM p WHERE rowid < 'a'", "int:100"); /* text sorts after numbers */
    EXPECT("SELECT count(*) FROM p WHERE rowid <= 9223372036854775807", "int:100");
    EXPECT("SELECT count(*) FROM p WHERE rowid >= -9223372036854775808", "int:100");
    EXPECT("SELECT count(*) FROM p WHERE rowid < -9223372036854775808", "int:0");
    EXPECT("SELECT count(*) FROM p WHERE rowid > 1e300", "int:0");
    EXPECT("SELECT count(*) FROM p WHERE rowid < 1e300", "int:100");
    EXPECT("SELECT count(*) FROM p WHERE rowid >= -1e300", "int:100");
    EXPECT("SELECT count(*) FROM p WHERE rowid = 1e300", "int:0");
    EXPECT("SELECT group_concat(x) FROM p WHERE rowid > 97.0", "text:98,99");
    EXPECT("SELECT group_concat(x) FROM p WHERE rowid >= 97.0", "text:97,98,99");
    EXPECT("SELECT group_concat(x) FROM p WHERE rowid < 2.0", "text:0,1");
    EXPECT("SELECT group_concat(x) FROM p WHERE rowid <= 2.0", "text:0,1,2");
    EXPECT("SELECT count(*) FROM p WHERE rowid > NULL", "int:0");
    EXPECT("SELECT group_concat(x) FROM (SELECT x FROM p ORDER BY rowid DESC LIMIT 3)", "text:99,98,97");
    EXPECT("SELECT group_concat(x) FROM (SELECT x FROM p LIMIT 3 OFFSET 50)", "text:50,51,52");
    /* the plan uses the rowid range */
    EXPECT_PLAN("SELECT * FROM p WHERE rowid = 3", "text:SCAN p VIRTUAL TABLE INDEX 1:");
    EXPECT_PLAN("SELECT * FROM p WHERE rowid > 3 AND rowid <= 9", "text:SCAN p VIRTUAL TABLE INDEX 22:");
    /* ORDER BY rowid is the natural order: no sorter */
    EXPECT("EXPLAIN QUERY PLAN SELECT * FROM p ORDER BY rowid", "int:3|int:0|int:0|text:SCAN p VIRTUAL TABLE INDEX 0:");
    /* a self-join reads two cursors at once */
    EXPECT("SELECT count(*) FROM p a JOIN p b ON b.rowid = a.x WHERE a.sq = b.sq", "int:100");
    exec_ok("DROP TABLE p");
}

static void test_vtab_drop_keeps_file(void **state) {
    (void)state;
    const char *f = tmp("keep.pkl");
    run_ok(sql_of("SELECT joblib_export('SELECT 1 AS a', %Q)", f));
    exec_ok(sql_of("CREATE VIRTUAL TABLE k USING joblib(%Q); DROP TABLE k", f));
    assert_true(file_exists(f));
    EXPECT(sql_of("SELECT joblib_load(%Q, '$.a[0]')", f), "int:1");
}

static void test_vtab_reconnect(void **state) {
    (void)state;
    /* a table in a database file is connected again when the database is opened */
    const char *f = tmp("re.pkl"), *dbf = tmp("re.db");
    run_ok(sql_of("SELECT joblib_export('SELECT 5 AS five, ''v'' AS s', %Q)", f));
    sqlite3 *d2;
    assert_int_equal(sqlite3_open(dbf, &d2), SQLITE_OK);
    char *err = NULL;
    assert_int_equal(sqlite3_joblib_init(d2, &err, NULL), SQLITE_OK);
    char *q = sqlite3_mprintf("CREATE VIRTUAL TABLE r USING joblib(%Q)", f);
    assert_int_equal(sqlite3_exec(d2, q, NULL, NULL, &err), SQLITE_OK);
    sqlite3_free(q);
    sqlite3_close(d2);
    assert_int_equal(sqlite3_open(dbf, &d2), SQLITE_OK);
    assert_int_equal(sqlite3_joblib_init(d2, &err, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(d2, "SELECT five, s FROM r", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 5);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "v");
    sqlite3_finalize(st);
    sqlite3_close(d2);
    /* the file gone: the database opens, scans fail with the reason, DROP TABLE works */
    assert_int_equal(unlink(f), 0);
    assert_int_equal(sqlite3_open(dbf, &d2), SQLITE_OK);
    assert_int_equal(sqlite3_joblib_init(d2, &err, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(d2, "SELECT * FROM r", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ERROR);
    char *want = sqlite3_mprintf("joblib: cannot open '%s': No such file or directory", f);
    assert_string_equal(sqlite3_errmsg(d2), want);
    sqlite3_free(want);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(d2, "DROP TABLE r", NULL, NULL, &err), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(d2, "SELECT count(*) FROM sqlite_schema WHERE name = 'r'", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    sqlite3_close(d2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_export_dtypes),
        cmocka_unit_test(test_export_empty_and_nulls),
        cmocka_unit_test(test_export_roundtrip),
        cmocka_unit_test(test_export_many_rows),
        cmocka_unit_test(test_export_errors),
        cmocka_unit_test(test_vtab_structured),
        cmocka_unit_test(test_vtab_matrix),
        cmocka_unit_test(test_vtab_records),
        cmocka_unit_test(test_vtab_dict_of_lists),
        cmocka_unit_test(test_vtab_dtype_kinds),
        cmocka_unit_test(test_vtab_names),
        cmocka_unit_test(test_vtab_path),
        cmocka_unit_test(test_vtab_errors),
        cmocka_unit_test(test_vtab_rowid_plans),
        cmocka_unit_test(test_vtab_drop_keeps_file),
        cmocka_unit_test(test_vtab_reconnect),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
