/*
 * pdscalar.c - Period and Interval texts (pdscalar.h): pandas' period
 * frequencies as a table, ordinals to calendar dates, interval bounds.
 */
#include "pdscalar.h"

#include <stdio.h>
#include <string.h>

#include "atomtext.h"

/* One period frequency: pandas 1.x offset class, the codes of its name
 * (1.x, then 2.x), its unit and how its anchor is named. */
enum { ANCHOR_NONE = 0, ANCHOR_MONTH, ANCHOR_WEEKDAY };

typedef struct freq_row {
    const char *cls;
    const char *code;  /* pandas 1.x: str(dtype) uses it */
    const char *code2; /* pandas 2.x's spelling, or NULL */
    int unit;
    int anchor;
} freq_row;

static const freq_row freqs[] = {
    { "YearEnd", "A", "Y", JL_PER_YEAR, ANCHOR_MONTH },
    { "QuarterEnd", "Q", NULL, JL_PER_QUARTER, ANCHOR_MONTH },
    { "MonthEnd", "M", NULL, JL_PER_MONTH, ANCHOR_NONE },
    { "Week", "W", NULL, JL_PER_WEEK, ANCHOR_WEEKDAY },
    { "BusinessDay", "B", NULL, JL_PER_BDAY, ANCHOR_NONE },
    { "Day", "D", NULL, JL_PER_DAY, ANCHOR_NONE },
    { "Hour", "H", "h", JL_PER_HOUR, ANCHOR_NONE },
    { "Minute", "T", "min", JL_PER_MINUTE, ANCHOR_NONE },
    { "Second", "S", "s", JL_PER_SECOND, ANCHOR_NONE },
    { "Milli", "L", "ms", JL_PER_MILLI, ANCHOR_NONE },
    { "Micro", "U", "us", JL_PER_MICRO, ANCHOR_NONE },
    { "Nano", "N", "ns", JL_PER_NANO, ANCHOR_NONE },
};

static const char *const months[12] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                        "JUL", "AUG", "SEP", "OCT", "NOV", "DEC" };
static const char *const weekdays[7] = { "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN" };

/* Week anchored on weekday wd (0 = Monday): pandas' day adjustment of its
 * ordinals (W-SUN 0, W-MON 1, ..., W-SAT 6). */
static int week_adjust(int64_t wd) { return (int)((wd + 1) % 7); }

int jl_period_from_offset(const char *cls, size_t clen, int64_t n, int64_t arg, int *unit, int *week_adj,
                          char *name, size_t cap) {
    for (size_t i = 0; i < sizeof freqs / sizeof freqs[0]; i++) {
        const freq_row *f = &freqs[i];
        if (strlen(f->cls) != clen || memcmp(f->cls, cls, clen) != 0) continue;
        char mult[24] = "";
        if (n < 1) return 0;
        if (n > 1) snprintf(mult, sizeof mult, "%lld", (long long)n);
        const char *suffix = "";
        if (f->anchor == ANCHOR_MONTH) {
            if (arg < 1 || arg > 12) return 0;
            suffix = months[arg - 1];
        } else if (f->anchor == ANCHOR_WEEKDAY) {
            if (arg < 0 || arg > 6) return 0;
            suffix = weekdays[arg];
        }
        *unit = f->unit;
        *week_adj = f->anchor == ANCHOR_WEEKDAY ? week_adjust(arg) : 0;
        snprintf(name, cap, "period[%s%s%s%s]", mult, f->code, *suffix ? "-" : "", suffix);
        return 1;
    }
    return 0;
}

int jl_period_from_name(const char *s, size_t len, int *unit, int *week_adj, char *name, size_t cap) {
    char full[64];
    if (len >= sizeof full - 9) return 0;
    if (len > 8 && memcmp(s, "period[", 7) == 0 && s[len - 1] == ']') {
        snprintf(full, sizeof full, "%.*s", (int)len, s);
        s += 7;
        len -= 8;
    } else {
        snprintf(full, sizeof full, "period[%.*s]", (int)len, s);
    }
    size_t i = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') i++;
    size_t code_end = i;
    while (code_end < len && s[code_end] != '-') code_end++;
    const char *code = s + i, *suffix = code_end < len ? s + code_end + 1 : NULL;
    size_t clen = code_end - i, slen = suffix ? len - code_end - 1 : 0;
    for (size_t r = 0; r < sizeof freqs / sizeof freqs[0]; r++) {
        const freq_row *f = &freqs[r];
        int hit = (strlen(f->code) == clen && memcmp(f->code, code, clen) == 0) ||
                  (f->code2 && strlen(f->code2) == clen && memcmp(f->code2, code, clen) == 0);
        if (!hit) continue;
        if (suffix && f->anchor == ANCHOR_NONE) return 0;
        *week_adj = 0;
        if (f->anchor == ANCHOR_WEEKDAY) {
            int wd = 6; /* W alone is W-SUN */
            if (suffix) {
                for (wd = 0; wd < 7; wd++)
                    if (slen == 3 && memcmp(suffix, weekdays[wd], 3) == 0) break;
                if (wd == 7) return 0;
            }
            *week_adj = week_adjust(wd);
        }
        *unit = f->unit;
        snprintf(name, cap, "%s", full);
        return 1;
    }
    return 0;
}

/* ---- calendar ----------------------------------------------------------------------- */

static int64_t floordiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }
static int64_t floormod(int64_t a, int64_t b) { return a - floordiv(a, b) * b; }

/* The proleptic Gregorian date of day z counted from 1970-01-01. */
static void civil(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = floordiv(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static void put_date(jl_buf *b, int64_t days) {
    int64_t y;
    int m, d;
    civil(days, &y, &m, &d);
    jl_buf_printf(b, "%04lld-%02d-%02d", (long long)y, m, d);
}

/* Sub-daily units: periods per day and the digits of the fraction. */
static const struct {
    int unit;
    int64_t per_day;
    int frac;
} clock_units[] = {
    { JL_PER_HOUR, 24, -2 },   /* HH:00 */
    { JL_PER_MINUTE, 1440, -1 }, /* HH:MM */
    { JL_PER_SECOND, 86400, 0 },
    { JL_PER_MILLI, 86400000LL, 3 },
    { JL_PER_MICRO, 86400000000LL, 6 },
    { JL_PER_NANO, 86400000000000LL, 9 },
};

int jl_period_text(jl_buf *b, int64_t ord, int unit, int week_adj) {
    /* day-sized units past +-2^40 periods have no calendar date here */
    const int64_t far = (int64_t)1 << 40;
    if (unit <= JL_PER_DAY && (ord > far || ord < -far)) return jl_render_i64(b, ord);
    switch (unit) {
    case JL_PER_YEAR: jl_buf_printf(b, "%04lld", (long long)(1970 + ord)); break;
    case JL_PER_QUARTER:
        jl_buf_printf(b, "%04lldQ%lld", (long long)(1970 + floordiv(ord, 4)), (long long)(floormod(ord, 4) + 1));
        break;
    case JL_PER_MONTH:
        jl_buf_printf(b, "%04lld-%02lld", (long long)(1970 + floordiv(ord, 12)), (long long)(floormod(ord, 12) + 1));
        break;
    case JL_PER_WEEK: {
        int64_t end = 7 * (ord - 1) + 3 + week_adj;
        put_date(b, end - 6);
        jl_buf_putc(b, '/');
        put_date(b, end);
        break;
    }
    case JL_PER_BDAY: {
        int64_t weeks = floordiv(ord + 3, 5), delta = floormod(ord + 3, 5) + 1;
        put_date(b, 7 * weeks + delta - 4);
        break;
    }
    case JL_PER_DAY: put_date(b, ord); break;
    default:
        for (size_t i = 0; i < sizeof clock_units / sizeof clock_units[0]; i++) {
            if (clock_units[i].unit != unit) continue;
            int64_t per = clock_units[i].per_day, sub = per / 86400;
            int64_t day = floordiv(ord, per), t = floormod(ord, per);
            int64_t secs = clock_units[i].frac >= 0 ? t / sub : t * (86400 / per);
            put_date(b, day);
            jl_buf_printf(b, " %02lld:%02lld", (long long)(secs / 3600), (long long)(secs / 60 % 60));
            if (clock_units[i].frac >= 0) jl_buf_printf(b, ":%02lld", (long long)(secs % 60));
            if (clock_units[i].frac > 0) jl_buf_printf(b, ".%0*lld", clock_units[i].frac, (long long)(t % sub));
            return b->failed;
        }
        return jl_render_i64(b, ord);
    }
    return b->failed;
}

/* ---- intervals ------------------------------------------------------------------------ */

int jl_interval_bound_text(jl_buf *b, const uint8_t *p, char kind, uint64_t size) {
    if (kind == 'f') {
        double v;
        if (size == 4) {
            float f;
            memcpy(&f, p, 4);
            v = f;
        } else {
            memcpy(&v, p, 8);
        }
        if (v != v) return jl_buf_puts(b, "nan");
        if (v > 1.7976931348623157e308) return jl_buf_puts(b, "inf");
        if (v < -1.7976931348623157e308) return jl_buf_puts(b, "-inf");
        return jl_render_float(b, v, (int)size);
    }
    uint64_t u = 0;
    memcpy(&u, p, (size_t)size); /* little-endian: zero-extended */
    if (kind == 'u' || size == 8) return kind == 'u' ? jl_render_u64(b, u, 0) : jl_render_i64(b, (int64_t)u);
    int64_t v = size == 1 ? (int8_t)u : size == 2 ? (int16_t)u : (int32_t)u;
    return jl_render_i64(b, v);
}

int jl_interval_bracket(jl_buf *b, int closed, int side) {
    int shut = side == 0 ? (closed == JL_CLOSED_LEFT || closed == JL_CLOSED_BOTH)
                         : (closed == JL_CLOSED_RIGHT || closed == JL_CLOSED_BOTH);
    return jl_buf_putc(b, side == 0 ? (shut ? '[' : '(') : (shut ? ']' : ')'));
}

int jl_interval_closed(const char *s, size_t len) {
    static const char *const names[] = { "right", "left", "both", "neither" };
    for (int i = 0; i < 4; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) return i;
    return -1;
}
