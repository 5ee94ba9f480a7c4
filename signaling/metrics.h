/*
 * metrics.h - GET /metrics in the Prometheus text exposition format (0.0.4):
 * "# HELP" and "# TYPE" lines before each family's samples, base units in
 * the names (seconds, bytes), "_total" on counters, cumulative histogram
 * buckets ending at le="+Inf" equal to _count.
 *
 * Aggregates only: nothing rendered names a room, a participant, an address
 * or a session; the only label values are the fixed words of this file.
 *
 * cv_metrics_render is pure (a snapshot in, text out). The API fills the
 * snapshot (api_routes.c: gauges from the session table and the mixer,
 * cv_metrics_read_stats for the counters of stats.h) on an HTTP thread.
 */
#ifndef CV_METRICS_H
#define CV_METRICS_H

#include "stats.h"

#include <stddef.h>
#include <stdint.h>

#define CV_METRICS_ROLES 4 /* CV_ROLE_* of room.h */
#define CV_METRICS_TIERS 8 /* output tiers 0..7 counted; higher ones count as the last */

typedef struct {
    int sessions;                       /* open sessions, echo checks included */
    int rooms;                          /* rooms being mixed, echo checks included */
    int participants[CV_METRICS_ROLES]; /* sessions by CV_ROLE_* */
    int audio_only;                     /* receivers on CV_TIER_AUDIO_ONLY, or on low data */
    int low_data;                       /* receivers that asked for no video (low data) */
    int portrait;                       /* receivers of the portrait composite */
    int receivers[CV_METRICS_TIERS];    /* receivers by output tier */
    int tiers;                          /* tiers shown (at least 3) */
    int event_streams;                  /* open server-sent event streams */
    int recordings;                     /* recordings running */
    uint64_t recording_bytes;           /* bytes written by every recording so far */
    int overload_level;                 /* what the mixer sheds now (mixer/overload.h) */
    uint64_t overload_shed;             /* video ticks shed so far */
    uint64_t counters[CV_STAT_COUNT];
    cv_stats_hist_t hist[CV_HIST_COUNT];
} cv_metrics_t;

/* Copies the counters and histograms of stats.h into m. Any thread. */
void cv_metrics_read_stats(cv_metrics_t *m);

/* The exposition text of m: heap, NUL-terminated, the caller frees it;
 * *len (if not NULL) gets its length. */
char *cv_metrics_render(const cv_metrics_t *m, size_t *len);

/* ---- building blocks, exported for the unit tests ---- */

typedef struct {
    char *buf; /* heap, NUL-terminated */
    size_t len, cap;
} cv_metrics_out_t;

/* The "# HELP" and "# TYPE" lines of a family; type is counter, gauge or histogram. */
void cv_metrics_family(cv_metrics_out_t *o, const char *name, const char *type, const char *help);
/* One sample line: name, an optional label (label NULL: none) and an integer value. */
void cv_metrics_sample(cv_metrics_out_t *o, const char *name, const char *label,
                       const char *label_value, uint64_t v);
/* The same with a value in seconds given in microseconds. */
void cv_metrics_sample_us(cv_metrics_out_t *o, const char *name, const char *label,
                          const char *label_value, uint64_t us);
/* The _bucket (cumulative, le ascending, then +Inf), _sum (seconds) and _count lines of
 * a histogram of durations from its per-bucket counts. */
void cv_metrics_histogram(cv_metrics_out_t *o, const char *name, const char *label,
                          const char *label_value, const cv_stats_hist_t *h);
/* Escapes s into out (cap bytes, always NUL-terminated when cap > 0) as the format
 * wants: in a label value backslash, double quote and newline; in help text (label
 * 0) backslash and newline. Returns the length it needed (like snprintf). */
size_t cv_metrics_escape(char *out, size_t cap, const char *s, int label);

#endif
