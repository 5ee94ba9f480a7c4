/*
 * test_metrics.c - unit tests of signaling/metrics.c: the exposition format
 * (HELP then TYPE before a family's samples, legal names, _total counters,
 * one line each), histograms (le ascending, counts cumulative, +Inf equal to
 * _count, _sum in seconds), escaping of label values and help text, and the
 * whole rendering of a snapshot read back line by line.
 */
#include "check.h"
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

static int legal_name(const char *s, size_t n)
{
    if (n == 0 || !(s[0] == '_' || s[0] == ':' || (s[0] >= 'a' && s[0] <= 'z') ||
                    (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(s[i] == '_' || s[i] == ':' || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

/* Finds the line of `sample` (exact text before the value) and returns its value, or -1. */
static long long value_of(const char *text, const char *sample)
{
    size_t n = strlen(sample);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, sample, n) == 0 && p[n] == ' ')
            return atoll(p + n + 1);
    return -1;
}

static void test_escape(void)
{
    char out[64];
    CHECK_EQ(cv_metrics_escape(out, sizeof(out), "plain", 1), 5);
    CHECK_STR(out, "plain");
    CHECK_EQ(cv_metrics_escape(out, sizeof(out), "a\\b\"c\nd", 1), 10);
    CHECK_STR(out, "a\\\\b\\\"c\\nd");
    /* help text keeps double quotes */
    cv_metrics_escape(out, sizeof(out), "say \"hi\"\\\n", 0);
    CHECK_STR(out, "say \"hi\"\\\\\\n");
    /* too small: cut before an escape, never in the middle of one */
    CHECK_EQ(cv_metrics_escape(out, 3, "a\"b", 1), 4);
    CHECK_STR(out, "a");
    CHECK_EQ(cv_metrics_escape(NULL, 0, "\n\n", 1), 4);
}

static void test_family_and_samples(void)
{
    cv_metrics_out_t o = {0};
    cv_metrics_family(&o, "x_total", "counter", "Line one\nline two \\ end.");
    cv_metrics_sample(&o, "x_total", NULL, NULL, 18446744073709551615ull);
    cv_metrics_sample(&o, "x_total", "reason", "a\"b", 7);
    cv_metrics_sample_us(&o, "y_seconds_total", "media", "video", 2500001);
    cv_metrics_sample_us(&o, "y_seconds_total", NULL, NULL, 42);
    CHECK_STR(o.buf, "# HELP x_total Line one\\nline two \\\\ end.\n"
                     "# TYPE x_total counter\n"
                     "x_total 18446744073709551615\n"
                     "x_total{reason=\"a\\\"b\"} 7\n"
                     "y_seconds_total{media=\"video\"} 2.500001\n"
                     "y_seconds_total 0.000042\n");
    CHECK_EQ(o.len, strlen(o.buf));
    free(o.buf);
}

static void test_histogram(void)
{
    cv_stats_hist_t h = {0};
    h.bucket[0] = 3;
    h.bucket[2] = 5;
    h.bucket[CV_HIST_BOUNDS] = 2; /* above the last bound */
    h.sum_us = 1234567;
    cv_metrics_out_t o = {0};
    cv_metrics_histogram(&o, "t_seconds", "media", "audio", &h);
    CHECK(value_of(o.buf, "t_seconds_bucket{media=\"audio\",le=\"0.0005\"}") == 3);
    CHECK(value_of(o.buf, "t_seconds_bucket{media=\"audio\",le=\"0.001\"}") == 3);
    CHECK(value_of(o.buf, "t_seconds_bucket{media=\"audio\",le=\"0.002\"}") == 8);
    CHECK(value_of(o.buf, "t_seconds_bucket{media=\"audio\",le=\"0.1\"}") == 8);
    CHECK(value_of(o.buf, "t_seconds_bucket{media=\"audio\",le=\"+Inf\"}") == 10);
    CHECK(value_of(o.buf, "t_seconds_count{media=\"audio\"}") == 10);
    CHECK(strstr(o.buf, "t_seconds_sum{media=\"audio\"} 1.234567\n") != NULL);
    /* le strictly ascending, counts never falling, +Inf last */
    double last_le = -1;
    long long last_count = -1;
    int buckets = 0;
    for (const char *p = o.buf; (p = strstr(p, "le=\"")); p++) {
        p += 4;
        double le = strncmp(p, "+Inf", 4) == 0 ? 1e300 : strtod(p, NULL);
        CHECK(le > last_le);
        last_le = le;
        long long c = atoll(strchr(p, ' ') + 1);
        CHECK(c >= last_count);
        last_count = c;
        buckets++;
    }
    CHECK_EQ(buckets, CV_HIST_BOUNDS + 1);
    CHECK(last_le == 1e300);
    free(o.buf);
    /* no label */
    o = (cv_metrics_out_t){0};
    cv_metrics_histogram(&o, "u_seconds", NULL, NULL, &h);
    CHECK(value_of(o.buf, "u_seconds_bucket{le=\"+Inf\"}") == 10);
    CHECK(value_of(o.buf, "u_seconds_count") == 10);
    free(o.buf);
}

/* Reads the whole rendering back: every sample belongs to the family declared
 * last (by HELP and TYPE, each once), names are legal, counters end in _total,
 * histogram samples are _bucket/_sum/_count of theirs. Returns the families. */
static int check_exposition(const char *text)
{
    char family[128] = "", type[16] = "", seen[64][128];
    int n_seen = 0, lines = 0;
    CHECK(text[strlen(text) - 1] == '\n');
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        if (!end) {
            CHECK(0);
            break;
        }
        size_t n = (size_t)(end - p);
        char line[512];
        CHECK(n < sizeof(line));
        snprintf(line, sizeof(line), "%.*s", (int)n, p);
        lines++;
        if (strncmp(line, "# HELP ", 7) == 0) {
            const char *name = line + 7;
            size_t nl = strcspn(name, " ");
            CHECK(legal_name(name, nl));
            snprintf(family, sizeof(family), "%.*s", (int)nl, name);
            for (int i = 0; i < n_seen; i++)
                CHECK(strcmp(seen[i], family) != 0); /* declared once */
            if (n_seen < 64)
                snprintf(seen[n_seen++], sizeof(seen[0]), "%s", family);
            type[0] = 0;
        } else if (strncmp(line, "# TYPE ", 7) == 0) {
            char name[128];
            CHECK(sscanf(line + 7, "%127s %15s", name, type) == 2);
            CHECK_STR(name, family);
            CHECK(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
                  strcmp(type, "histogram") == 0);
            if (strcmp(type, "counter") == 0) {
                size_t fl = strlen(family);
                CHECK(fl > 6 && strcmp(family + fl - 6, "_total") == 0);
            }
        } else {
            CHECK(line[0] != '#');
            CHECK(type[0] != 0); /* a sample after its TYPE */
            size_t nl = strcspn(line, "{ ");
            CHECK(legal_name(line, nl));
            size_t fl = strlen(family);
            CHECK(nl >= fl && strncmp(line, family, fl) == 0);
            const char *suffix = line + fl;
            size_t sl = nl - fl;
            if (strcmp(type, "histogram") == 0)
                CHECK((sl == 7 && strncmp(suffix, "_bucket", 7) == 0) ||
                      (sl == 4 && strncmp(suffix, "_sum", 4) == 0) ||
                      (sl == 6 && strncmp(suffix, "_count", 6) == 0));
            else
                CHECK_EQ(sl, 0);
            const char *v = strrchr(line, ' ');
            CHECK(v && v[1]);
            char *e;
            strtod(v + 1, &e);
            CHECK(*e == 0);
        }
        p = end + 1;
    }
    CHECK(lines > 0);
    return n_seen;
}

static void test_render(void)
{
    cv_metrics_t m = {0};
    m.sessions = 5;
    m.rooms = 2;
    m.participants[0] = 3;
    m.participants[3] = 1;
    m.receivers[0] = 2;
    m.receivers[4] = 1;
    m.tiers = 5;
    m.audio_only = 1;
    m.event_streams = 2;
    m.recordings = 1;
    m.recording_bytes = 123456789012ULL;
    m.overload_level = 3;
    m.overload_shed = 4242;
    m.counters[CV_STAT_DROP_SRTP_AUTH] = 17;
    m.counters[CV_STAT_LATE_VIDEO_TICKS] = 2;
    m.counters[CV_STAT_LATE_AUDIO_TICKS] = 3;
    m.counters[CV_STAT_VIDEO_ENCODE_US] = 1500000;
    m.counters[CV_STAT_HTTP_4XX] = 9;
    m.counters[CV_STAT_RX_BYTES] = 123456;
    m.hist[CV_HIST_VIDEO_TICK].bucket[3] = 4;
    m.hist[CV_HIST_VIDEO_TICK].sum_us = 12000;
    size_t len = 0;
    char *t = cv_metrics_render(&m, &len);
    CHECK_EQ(len, strlen(t));
    CHECK(check_exposition(t) >= 15);
    CHECK(value_of(t, "conclave_sessions") == 5);
    CHECK(value_of(t, "conclave_rooms") == 2);
    CHECK(value_of(t, "conclave_participants{role=\"participant\"}") == 3);
    CHECK(value_of(t, "conclave_participants{role=\"screen\"}") == 0);
    CHECK(value_of(t, "conclave_participants{role=\"publisher\"}") == 0);
    CHECK(value_of(t, "conclave_participants{role=\"viewer\"}") == 1);
    CHECK(value_of(t, "conclave_receivers{tier=\"-1\"}") == 1);
    CHECK(value_of(t, "conclave_receivers{tier=\"0\"}") == 2);
    CHECK(value_of(t, "conclave_receivers{tier=\"4\"}") == 1);
    CHECK(value_of(t, "conclave_receivers{tier=\"5\"}") == -1); /* only the tiers in use */
    CHECK(value_of(t, "conclave_event_streams") == 2);
    CHECK(value_of(t, "conclave_recordings") == 1);
    CHECK(strstr(t, "\nconclave_recording_bytes_total 123456789012\n") != NULL);
    CHECK(strstr(t, "# TYPE conclave_recording_bytes_total counter\n") != NULL);
    CHECK(value_of(t, "conclave_packets_dropped_total{reason=\"srtp_auth\"}") == 17);
    CHECK(value_of(t, "conclave_packets_dropped_total{reason=\"queue_full\"}") == 0);
    CHECK(value_of(t, "conclave_mixer_late_ticks_total") == 5);
    CHECK(value_of(t, "conclave_overload_level") == 3);
    CHECK(strstr(t, "# TYPE conclave_overload_level gauge\n") != NULL);
    CHECK(value_of(t, "conclave_overload_shed_total") == 4242);
    CHECK(strstr(t, "# TYPE conclave_overload_shed_total counter\n") != NULL);
    CHECK(strstr(t, "\nconclave_encode_seconds_total{media=\"video\"} 1.500000\n") != NULL);
    CHECK(value_of(t, "conclave_http_requests_total{class=\"4xx\"}") == 9);
    CHECK(value_of(t, "conclave_media_received_bytes_total") == 123456);
    CHECK(value_of(t, "conclave_mixer_tick_seconds_bucket{media=\"video\",le=\"0.002\"}") == 0);
    CHECK(value_of(t, "conclave_mixer_tick_seconds_bucket{media=\"video\",le=\"0.005\"}") == 4);
    CHECK(value_of(t, "conclave_mixer_tick_seconds_count{media=\"video\"}") == 4);
    CHECK(value_of(t, "conclave_mixer_tick_seconds_count{media=\"audio\"}") == 0);
    free(t);

    /* fewer than three tiers in use: 0..2 are shown all the same */
    m = (cv_metrics_t){0};
    t = cv_metrics_render(&m, NULL);
    CHECK(value_of(t, "conclave_receivers{tier=\"2\"}") == 0);
    CHECK(value_of(t, "conclave_receivers{tier=\"3\"}") == -1);
    check_exposition(t);
    free(t);
}

int main(void)
{
    test_escape();
    test_family_and_samples();
    test_histogram();
    test_render();
    return CHECK_DONE("metrics");
}
