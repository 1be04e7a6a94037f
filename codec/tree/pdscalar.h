/*
 * pdscalar.h - the text pandas prints for a Period and an Interval, from
 * what a pickled PeriodArray / IntervalArray holds (an int64 ordinal and
 * a frequency; two bounds and a side), so that a column of them reads as
 * `str(cell)` does in pandas: '2024-01' (freq M), '2024Q1', '2024-02-26/
 * 2024-03-03' (W-SUN), '2024-02-28 13:45' (T); '(0.0, 1.0]'.
 *
 * Frequencies (pandas' period frequencies; the fiscal-year month of A-JUN
 * or Q-NOV changes no text: the ordinal counts fiscal years/quarters):
 *   A / Y (years from 1970), Q, M, W-<day> (weeks ending on that day),
 *   B (business days), D, H / h, T / min, S / s, L / ms, U / us, N / ns.
 * They come from the pickled PeriodDtype: an offset object (pandas 1.x:
 * MonthEnd(n, normalize), YearEnd(n, normalize, month), Week(n,
 * normalize, weekday) ...) or the dtype's name (pandas 2.x:
 * 'period[M]').
 */
#ifndef JL_PDSCALAR_H
#define JL_PDSCALAR_H

#include "value.h"

enum {
    JL_PER_NONE = 0,
    JL_PER_YEAR,
    JL_PER_QUARTER,
    JL_PER_MONTH,
    JL_PER_WEEK,
    JL_PER_BDAY,
    JL_PER_DAY,
    JL_PER_HOUR,
    JL_PER_MINUTE,
    JL_PER_SECOND,
    JL_PER_MILLI,
    JL_PER_MICRO,
    JL_PER_NANO
};

/* Interval sides, as pandas' `closed`. */
enum { JL_CLOSED_RIGHT = 0, JL_CLOSED_LEFT, JL_CLOSED_BOTH, JL_CLOSED_NEITHER };

/* The unit of pandas 1.x offset class `cls` (its short name, "MonthEnd")
 * with its multiple n and its anchor arg (YearEnd's month, QuarterEnd's
 * startingMonth, Week's weekday 0 = Monday; -1 when none); *unit and
 * *week_adj set, the dtype's name ("period[2M]", "period[W-SUN]") into
 * name. 0 when the class is no period frequency. */
int jl_period_from_offset(const char *cls, size_t clen, int64_t n, int64_t arg, int *unit, int *week_adj,
                          char *name, size_t cap);
/* The same from a frequency or dtype name ("period[M]", "2D", "W-WED",
 * "min"). */
int jl_period_from_name(const char *s, size_t len, int *unit, int *week_adj, char *name, size_t cap);

/* Appends str(Period) of ordinal `ord` at that unit. */
int jl_period_text(jl_buf *b, int64_t ord, int unit, int week_adj);

/* Appends a bound of an interval as pandas prints it: ints in decimal,
 * floats as Python's repr ("1.0", "inf", "nan"). */
int jl_interval_bound_text(jl_buf *b, const uint8_t *p, char kind, uint64_t size);
/* Appends the bracket before (side 0) or after (side 1) the bounds. */
int jl_interval_bracket(jl_buf *b, int closed, int side);
/* The closed code of a side name ("right", "left", "both", "neither"),
 * -1 when none. */
int jl_interval_closed(const char *s, size_t len);

#endif
