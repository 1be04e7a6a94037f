/*
 * wellknown.h - the natural value of well-known Python objects that the VM
 * keeps as object (or global) nodes, so that SQL results and JSON show the
 * value while joblib_tree still shows the class:
 *
 *   pandas Timestamp (_unpickle_timestamp)  TEXT ISO-8601 in the value's unit
 *                                           ("2020-01-02T03:04:05.000000000"
 *                                           for ns), the UTC instant with "Z"
 *                                           when it has a tz
 *   datetime.datetime                       TEXT ISO-8601 as isoformat()
 *                                           without offset; aware (datetime.
 *                                           timezone, pytz UTC): the UTC
 *                                           instant with "Z"
 *   datetime.date / datetime.time (naive)   TEXT "YYYY-MM-DD" / "HH:MM:SS[.ffffff]"
 *   pandas Timedelta, datetime.timedelta    seconds: INTEGER when whole, else REAL
 *   decimal.Decimal                         TEXT, its digits as written (NULL for NaN)
 *   uuid.UUID                               TEXT canonical 8-4-4-4-12 lowercase hex
 *   pandas NaT, pandas.NA                   NULL
 *
 * Anything else, or one of these with parts that do not fit (an unknown
 * tzinfo, a short state), is not recognised and keeps its generic form.
 */
#ifndef JL_WELLKNOWN_H
#define JL_WELLKNOWN_H

#include "value.h"

typedef enum jl_wk_type { JL_WK_NULL = 1, JL_WK_TEXT, JL_WK_INT, JL_WK_REAL } jl_wk_type;

typedef struct jl_wk {
    uint8_t type;        /* jl_wk_type */
    int64_t i;           /* JL_WK_INT */
    double f;            /* JL_WK_REAL */
    const uint8_t *p;    /* JL_WK_TEXT: the text (into text[] or the doc), n bytes */
    uint64_t n;
    char text[96];
} jl_wk;

/* 1 and *out filled when node id is a well-known value, else 0. */
int jl_wellknown(const jl_doc *doc, uint32_t id, jl_wk *out);

/* Appends the JSON of v (a string, number or null). */
int jl_wellknown_json(const jl_wk *v, jl_buf *b);

#endif
