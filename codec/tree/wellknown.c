/*
 * wellknown.c - recognises well-known Python values kept as object nodes
 * (pandas Timestamp/Timedelta/NaT/NA, datetime, Decimal, UUID) and gives
 * their natural value (see wellknown.h for the table of results).
 */
#include "wellknown.h"

#include <stdio.h>
#include <string.h>

#include "arraytext.h"
#include "atomtext.h"
#include "text.h"

/* ---- reading parts of nodes ---------------------------------------------------- */

static int kind_of(const jl_doc *doc, uint32_t id) { return id < doc->nnodes ? doc->nodes[id].kind : -1; }

/* Argument k of object o, or JL_NONE. */
static uint32_t arg(const jl_doc *doc, const jl_object *o, uint32_t k) {
    if (kind_of(doc, o->args) != JL_TUPLE || doc->nodes[o->args].len <= k) return JL_NONE;
    return jl_kids_of(doc, o->args)[k];
}

static uint32_t nargs(const jl_doc *doc, const jl_object *o) {
    return kind_of(doc, o->args) == JL_TUPLE ? doc->nodes[o->args].len : 0;
}

static int small_int(const jl_doc *doc, uint32_t id, int64_t *v) {
    if (kind_of(doc, id) != JL_INT || (doc->nodes[id].flags & JL_F_BIG)) return 0;
    *v = doc->nodes[id].u.i;
    return 1;
}

/* The bytes of a bytes node of exactly n bytes, or NULL. */
static const uint8_t *bytes_of(const jl_doc *doc, uint32_t id, uint32_t n) {
    if (kind_of(doc, id) != JL_BYTES || doc->nodes[id].len != n) return NULL;
    return jl_ref_ptr(doc, jl_node_ref(doc, id));
}

/* 1 when id is a global or an object whose class is the global module.name. */
static int is_class(const jl_doc *doc, uint32_t id, const char *module, const char *name) {
    if (kind_of(doc, id) == JL_OBJECT) id = jl_object_of(doc, id)->cls;
    if (kind_of(doc, id) != JL_GLOBAL) return 0;
    const jl_global *g = jl_global_of(doc, id);
    return jl_ref_eq(doc, g->module, module) && jl_ref_eq(doc, g->name, name);
}

/* ---- dates ------------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void set_text(jl_wk *v, int n) {
    v->type = JL_WK_TEXT;
    v->p = (const uint8_t *)v->text;
    v->n = n > 0 && (size_t)n < sizeof v->text ? (uint64_t)n : 0;
}

/* "HH:MM:SS" with ".ffffff" when us is not 0, as isoformat() writes it. */
static int put_time(char *s, size_t cap, unsigned h, unsigned mi, unsigned sec, unsigned us) {
    if (us) return snprintf(s, cap, "%02u:%02u:%02u.%06u", h, mi, sec, us);
    return snprintf(s, cap, "%02u:%02u:%02u", h, mi, sec);
}

/* The UTC offset in seconds of a tzinfo node: datetime.timezone(timedelta)
 * or pytz's UTC. 0 and *off set when known. */
static int tz_offset(const jl_doc *doc, uint32_t tz, int64_t *off) {
    if (is_class(doc, tz, "pytz", "_UTC") || is_class(doc, tz, "pytz", "utc")) {
        *off = 0;
        return 0;
    }
    if (!is_class(doc, tz, "datetime", "timezone") || kind_of(doc, tz) != JL_OBJECT) return -1;
    uint32_t td = arg(doc, jl_object_of(doc, tz), 0);
    int64_t d, s, us;
    if (!is_class(doc, td, "datetime", "timedelta") || kind_of(doc, td) != JL_OBJECT) return -1;
    const jl_object *o = jl_object_of(doc, td);
    if (!small_int(doc, arg(doc, o, 0), &d) || !small_int(doc, arg(doc, o, 1), &s) ||
        !small_int(doc, arg(doc, o, 2), &us) || us || d < -1 || d > 0)
        return -1;
    *off = d * 86400 + s;
    return 0;
}

/* ---- recognisers ------------------------------------------------------------------ */

typedef int (*wk_fn)(const jl_doc *doc, const jl_object *o, jl_wk *v);

/* datetime.datetime(b'YYMDhms uuu' [, tzinfo]) */
static int wk_datetime(const jl_doc *doc, const jl_object *o, jl_wk *v) {
    const uint8_t *p = bytes_of(doc, arg(doc, o, 0), 10);
    if (!p || nargs(doc, o) > 2) return 0;
    int64_t y = p[0] * 256 + p[1], days, sod;
    unsigned m = p[2] & 0x7f, d = p[3], us = ((unsigned)p[7] << 16) | ((unsigned)p[8] << 8) | p[9];
    if (m < 1 || m > 12 || d < 1 || d > 31 || p[4] > 23 || p[5] > 59 || p[6] > 59 || us > 999999) return 0;
    int aware = nargs(doc, o) == 2 && kind_of(doc, arg(doc, o, 1)) != JL_NULL;
    days = days_from_civil(y, m, d);
    sod = p[4] * 3600 + p[5] * 60 + p[6];
    if (aware) {
        int64_t off;
        if (tz_offset(doc, arg(doc, o, 1), &off)) return 0;
        sod -= off;
        days += sod >= 0 ? sod / 86400 : -((86399 - sod) / 86400);
        sod -= (sod >= 0 ? sod / 86400 : -((86399 - sod) / 86400)) * 86400;
        civil_from_days(days, &y, &m, &d);
    }
    int n = snprintf(v->text, sizeof v->text, "%04lld-%02u-%02uT", (long long)y, m, d);
    n += put_time(v->text + n, sizeof v->text - (size_t)n, (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60),
                  (unsigned)(sod % 60), us);
    if (aware) n += snprintf(v->text + n, sizeof v->text - (size_t)n, "Z");
    set_text(v, n);
    return 1;
}

/* datetime.date(b'YYMD') */
static int wk_date(const jl_doc *doc, const jl_object *o, jl_wk *v) {
    const uint8_t *p = bytes_of(doc, arg(doc, o, 0), 4);
    if (!p || nargs(doc, o) != 1 || p[2] < 1 || p[2] > 12 || p[3] < 1 || p[3] > 31) return 0;
    set_text(v, snprintf(v->text, sizeof v->text, "%04u-%02u-%02u", p[0] * 256u + p[1], p[2], p[3]));
    return 1;
}

/* datetime.time(b'hms uuu'), naive only */
static int wk_time(const jl_doc *doc, const jl_object *o, jl_wk *v) {
    const uint8_t *p = bytes_of(doc, arg(doc, o, 0), 6);
    if (!p || (nargs(doc, o) == 2 && kind_of(doc, arg(doc, o, 1)) != JL_NULL) || nargs(doc, o) > 2) return 0;
    unsigned us = ((unsigned)p[3] << 16) | ((unsigned)p[4] << 8) | p[5];
    if ((p[0] & 0x7f) > 23 || p[1] > 59 || p[2] > 59 || us > 999999) return 0;
    set_text(v, put_time(v->text, sizeof v->text, p[0] & 0x7fu, p[1], p[2], us));
    return 1;
}

/* count units of 10^-digits seconds: INTEGER seconds when whole, else REAL */
static int seconds(jl_wk *v, int64_t count, int64_t per) {
    if (count % per == 0) {
        v->type = JL_WK_INT;
        v->i = count / per;
    } else {
        v->type = JL_WK_REAL;
        v->f = (double)(count / per) + (double)(count % per) / (double)per;
    }
    return 1;
}

/* datetime.timedelta(days, seconds, microseconds) */
static int wk_timedelta(const jl_doc *doc, const jl_object *o, jl_wk *v) {
    int64_t d = 0, s = 0, us = 0, t;
    uint32_t n = nargs(doc, o);
    if (n > 3 || (n > 0 && !small_int(doc, arg(doc, o, 0), &d)) || (n > 1 && !small_int(doc, arg(doc, o, 1), &s)) ||
        (n > 2 && !small_int(doc, arg(doc, o, 2), &us)))
        return 0;
    /* |days| <= 999999999, so these fit */
    if (d < -999999999 || d > 999999999 || s < 0 || s >= 86400 || us < 0 || us >= 1000000) return 0;
    t = (d * 86400 + s) * 1000000 + us;
    return seconds(v, t, 1000000);
}

/* pandas' NPY_DATETIMEUNIT reso codes of _unpickle_timestamp / _timedelta_unpickle */
static const struct { int64_t reso; const char *unit; int64_t per; } RESOS[] = {
    { 7, "s", 1 }, { 8, "ms", 1000 }, { 9, "us", 1000000 }, { 10, "ns", 1000000000 },
};

static int reso_of(const jl_doc *doc, uint32_t id, unsigned *k) {
    int64_t r = 10; /* before pandas 1.5 the value is always in ns */
    if (id != JL_NONE && !small_int(doc, id, &r)) return 0;
    for (unsigned i = 0; i < sizeof RESOS / sizeof RESOS[0]; i++)
        if (RESOS[i].reso == r) {
            *k = i;
            return 1;
        }
    return 0;
}

/* pandas._libs.tslibs.timestamps._unpickle_timestamp(value, freq, tz[, reso]) */
static int wk_timestamp(const jl_doc *doc, const jl_object *o, jl_wk *v) {
    int64_t value;
    unsigned k;
    uint32_t n = nargs(doc, o);
    if (n < 3 || n > 4 || !small_int(doc, arg(doc, o, 0), &value) || !reso_of(doc, arg(doc, o, 3), &k)) return 0;
    if (value == INT64_MIN) {
        v->type = JL_WK_NULL;
        return 1;
    }
    jl_dtype dt;
    memset(&dt, 0, sizeof dt);
    dt.kind = 'M';
    dt.unit_num = 1;
    strcpy(dt.unit, RESOS[k].unit);
    jl_buf b;
    jl_buf_init(&b, &doc->alloc, sizeof v->text);
    int ok = !jl_render_datetime(&b, value, &dt) && !b.failed && b.len >= 2 && b.p[0] == '"';
    /* the quoted text without its quotes, "Z" after it when there is a tz */
    int aware = kind_of(doc, arg(doc, o, 2)) != JL_NULL;
    if (ok) set_text(v, snprintf(v->text, sizeof v->text, "%.*s%s", (int)(b.len - 2), b.p + 1, aware ? "Z" : ""));
    jl_buf_free(&b);
    return ok;
}

/* pandas._libs.tslibs.timedeltas._timedelta_unpickle(value, reso) */
static int wk_pd_timedelta(const jl_doc *doc, const jl_object *o, jl_wk *v) {
    int64_t value;
    unsigned k;
    if (nargs(doc, o) < 1 || nargs(doc, o) > 2 || !small_int(doc, arg(doc, o, 0), &value) ||
        !reso_of(doc, arg(doc, o, 1), &k))
        return 0;
    if (value == INT64_MIN) {
        v->type = JL_WK_NULL;
        return 1;
    }
    return seconds(v, value, RESOS[k].per);
}

static int wk_null(const jl_doc *doc, const jl_object *o, jl_wk *v) {
    (void)doc;
    (void)o;
    v->type = JL_WK_NULL;
    return 1;
}

/* decimal.Decimal('digits') */
static int wk_decimal(const jl_doc *doc, const jl_object *o, jl_wk *v) {
    uint32_t s = arg(doc, o, 0);
    if (nargs(doc, o) != 1 || kind_of(doc, s) != JL_STR) return 0;
    v->p = jl_ref_ptr(doc, jl_node_ref(doc, s));
    v->n = doc->nodes[s].len;
    /* NaN, -NaN, sNaN: missing */
    const uint8_t *q = v->p;
    uint64_t n = v->n;
    if (n && (*q == '-' || *q == '+')) q++, n--;
    if (n && (*q == 's' || *q == 'S')) q++, n--;
    v->type = n >= 3 && (q[0] | 32) == 'n' && (q[1] | 32) == 'a' && (q[2] | 32) == 'n' ? JL_WK_NULL : JL_WK_TEXT;
    return 1;
}

/* uuid.UUID with the state {'int': n} */
static int wk_uuid(const jl_doc *doc, const jl_object *o, jl_wk *v) {
    if (kind_of(doc, o->state) != JL_DICT) return 0;
    uint32_t i = jl_dict_get(doc, o->state, "int", 3);
    if (kind_of(doc, i) != JL_INT) return 0;
    uint8_t be[16] = { 0 };
    const jl_node *nd = &doc->nodes[i];
    if (nd->flags & JL_F_BIG) {
        const uint8_t *le = jl_ref_ptr(doc, jl_node_ref(doc, i));
        uint64_t n = nd->len;
        if (n == 17 && le[16] == 0) n = 16; /* the sign byte of a value with its top bit set */
        if (n > 16 || (n && (le[n - 1] & 0x80))) return 0;
        for (uint64_t k = 0; k < n; k++) be[15 - k] = le[k];
    } else {
        if (nd->u.i < 0) return 0;
        for (int k = 0; k < 8; k++) be[15 - k] = (uint8_t)((uint64_t)nd->u.i >> (8 * k));
    }
    static const char hex[] = "0123456789abcdef";
    int n = 0;
    for (int k = 0; k < 16; k++) {
        if (k == 4 || k == 6 || k == 8 || k == 10) v->text[n++] = '-';
        v->text[n++] = hex[be[k] >> 4];
        v->text[n++] = hex[be[k] & 15];
    }
    v->text[n] = 0;
    set_text(v, n);
    return 1;
}

static const struct {
    const char *module, *name;
    wk_fn fn;
} KNOWN[] = {
    { "pandas._libs.tslibs.timestamps", "_unpickle_timestamp", wk_timestamp },
    { "pandas._libs.tslibs.timedeltas", "_timedelta_unpickle", wk_pd_timedelta },
    { "pandas._libs.tslibs.nattype", "__nat_unpickle", wk_null },
    { "datetime", "datetime", wk_datetime },
    { "datetime", "date", wk_date },
    { "datetime", "time", wk_time },
    { "datetime", "timedelta", wk_timedelta },
    { "decimal", "Decimal", wk_decimal },
    { "uuid", "UUID", wk_uuid },
};

int jl_wellknown(const jl_doc *doc, uint32_t id, jl_wk *out) {
    int kind = kind_of(doc, id);
    memset(out, 0, sizeof *out);
    if (kind == JL_GLOBAL) {
        if (!is_class(doc, id, "pandas._libs.missing", "NA")) return 0;
        out->type = JL_WK_NULL;
        return 1;
    }
    if (kind != JL_OBJECT) return 0;
    const jl_object *o = jl_object_of(doc, id);
    if (kind_of(doc, o->cls) != JL_GLOBAL) return 0;
    const jl_global *g = jl_global_of(doc, o->cls);
    for (size_t k = 0; k < sizeof KNOWN / sizeof KNOWN[0]; k++)
        if (jl_ref_eq(doc, g->module, KNOWN[k].module) && jl_ref_eq(doc, g->name, KNOWN[k].name))
            return KNOWN[k].fn(doc, o, out);
    return 0;
}

int jl_wellknown_json(const jl_wk *v, jl_buf *b) {
    switch (v->type) {
    case JL_WK_TEXT: return jl_json_string(b, v->p, v->n);
    case JL_WK_INT: return jl_render_i64(b, v->i);
    case JL_WK_REAL: return jl_render_double(b, v->f);
    default: return jl_buf_puts(b, "null");
    }
}
