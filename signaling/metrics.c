/*
 * metrics.c - the Prometheus text exposition of GET /metrics. Pure apart
 * from cv_metrics_read_stats (which reads the process-wide atomics).
 */
#include "metrics.h"

#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(cv_metrics_out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(cv_metrics_out_t *o, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = o->cap - o->len;
        int n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (o->buf && (size_t)n < room) {
            o->len += (size_t)n;
            return;
        }
        o->cap = (o->cap + (size_t)n + 1) * 2;
        o->buf = cv_xrealloc(o->buf, o->cap);
    }
}

size_t cv_metrics_escape(char *out, size_t cap, const char *s, int label)
{
    size_t o = 0, w = 0; /* needed, written */
    for (; *s; s++) {
        const char *rep = NULL;
        if (*s == '\\')
            rep = "\\\\";
        else if (*s == '\n')
            rep = "\\n";
        else if (*s == '"' && label)
            rep = "\\\"";
        size_t n = rep ? 2 : 1;
        if (w == o && o + n < cap) { /* stop at the first that does not fit: no half escape */
            memcpy(out + o, rep ? rep : s, n);
            w += n;
        }
        o += n;
    }
    if (cap)
        out[w] = '\0';
    return o;
}

void cv_metrics_family(cv_metrics_out_t *o, const char *name, const char *type, const char *help)
{
    size_t n = cv_metrics_escape(NULL, 0, help, 0) + 1;
    char *h = cv_xmalloc(n);
    cv_metrics_escape(h, n, help, 0);
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, h, name, type);
    free(h);
}

/* name{label="value"} or name, then a space; suffix goes after the name. */
static void series(cv_metrics_out_t *o, const char *name, const char *suffix, const char *label,
                   const char *value, const char *extra)
{
    put(o, "%s%s", name, suffix);
    if (!label && !extra) {
        put(o, " ");
        return;
    }
    put(o, "{");
    if (label) {
        size_t n = cv_metrics_escape(NULL, 0, value, 1) + 1;
        char *v = cv_xmalloc(n);
        cv_metrics_escape(v, n, value, 1);
        put(o, "%s=\"%s\"%s", label, v, extra ? "," : "");
        free(v);
    }
    if (extra)
        put(o, "%s", extra);
    put(o, "} ");
}

void cv_metrics_sample(cv_metrics_out_t *o, const char *name, const char *label,
                       const char *label_value, uint64_t v)
{
    series(o, name, "", label, label_value, NULL);
    put(o, "%llu\n", (unsigned long long)v);
}

void cv_metrics_sample_us(cv_metrics_out_t *o, const char *name, const char *label,
                          const char *label_value, uint64_t us)
{
    series(o, name, "", label, label_value, NULL);
    put(o, "%llu.%06llu\n", (unsigned long long)(us / 1000000), (unsigned long long)(us % 1000000));
}

void cv_metrics_histogram(cv_metrics_out_t *o, const char *name, const char *label,
                          const char *label_value, const cv_stats_hist_t *h)
{
    uint64_t cum = 0;
    char le[48];
    for (int i = 0; i <= CV_HIST_BOUNDS; i++) {
        cum += h->bucket[i];
        if (i < CV_HIST_BOUNDS)
            snprintf(le, sizeof(le), "le=\"%g\"", (double)cv_stats_bounds_us[i] / 1e6);
        else
            snprintf(le, sizeof(le), "le=\"+Inf\"");
        series(o, name, "_bucket", label, label_value, le);
        put(o, "%llu\n", (unsigned long long)cum);
    }
    char full[128];
    snprintf(full, sizeof(full), "%s_sum", name);
    cv_metrics_sample_us(o, full, label, label_value, h->sum_us);
    snprintf(full, sizeof(full), "%s_count", name);
    cv_metrics_sample(o, full, label, label_value, cum); /* == the +Inf bucket, always */
}

void cv_metrics_read_stats(cv_metrics_t *m)
{
    for (int i = 0; i < CV_STAT_COUNT; i++)
        m->counters[i] = cv_stats_get((enum cv_stat)i);
    for (int i = 0; i < CV_HIST_COUNT; i++)
        cv_stats_hist_get((enum cv_stat_hist)i, &m->hist[i]);
}

static const char *const role_names[CV_METRICS_ROLES] = {"participant", "screen", "publisher",
                                                         "viewer"};

static void render_gauges(cv_metrics_out_t *o, const cv_metrics_t *m)
{
    cv_metrics_family(o, "conclave_sessions", "gauge",
                      "Open sessions (room members and echo checks).");
    cv_metrics_sample(o, "conclave_sessions", NULL, NULL, (uint64_t)m->sessions);
    cv_metrics_family(o, "conclave_rooms", "gauge", "Rooms being mixed (an echo check is a room).");
    cv_metrics_sample(o, "conclave_rooms", NULL, NULL, (uint64_t)m->rooms);
    cv_metrics_family(o, "conclave_participants", "gauge",
                      "Sessions by role (an echo check is a participant).");
    for (int i = 0; i < CV_METRICS_ROLES; i++)
        cv_metrics_sample(o, "conclave_participants", "role", role_names[i],
                          (uint64_t)m->participants[i]);
    cv_metrics_family(o, "conclave_receivers", "gauge",
                      "Receivers of the composite by output tier (0 is the best; -1 is "
                      "audio only).");
    cv_metrics_sample(o, "conclave_receivers", "tier", "-1", (uint64_t)m->audio_only);
    int tiers = m->tiers < 3 ? 3 : m->tiers > CV_METRICS_TIERS ? CV_METRICS_TIERS : m->tiers;
    for (int t = 0; t < tiers; t++) {
        char tier[16];
        snprintf(tier, sizeof(tier), "%d", t);
        cv_metrics_sample(o, "conclave_receivers", "tier", tier, (uint64_t)m->receivers[t]);
    }
    cv_metrics_family(o, "conclave_receivers_low_data", "gauge",
                      "Receivers that asked for no video (low data), also counted in tier -1.");
    cv_metrics_sample(o, "conclave_receivers_low_data", NULL, NULL, (uint64_t)m->low_data);
    cv_metrics_family(o, "conclave_receivers_portrait", "gauge",
                      "Receivers of the portrait composite (their window upright).");
    cv_metrics_sample(o, "conclave_receivers_portrait", NULL, NULL, (uint64_t)m->portrait);
    cv_metrics_family(o, "conclave_event_streams", "gauge",
                      "Open server-sent event streams of browser clients.");
    cv_metrics_sample(o, "conclave_event_streams", NULL, NULL, (uint64_t)m->event_streams);
    cv_metrics_family(o, "conclave_recordings", "gauge", "Recordings of rooms running now.");
    cv_metrics_sample(o, "conclave_recordings", NULL, NULL, (uint64_t)m->recordings);
    cv_metrics_family(o, "conclave_recording_bytes_total", "counter",
                      "Bytes written to recording files.");
    cv_metrics_sample(o, "conclave_recording_bytes_total", NULL, NULL, m->recording_bytes);
}

static void render_mixer(cv_metrics_out_t *o, const cv_metrics_t *m)
{
    const uint64_t *c = m->counters;
    cv_metrics_family(o, "conclave_mixer_tick_seconds", "histogram",
                      "Time one room's mixer tick took (video: decode, composite, encode; "
                      "audio: decode, mix, encode).");
    cv_metrics_histogram(o, "conclave_mixer_tick_seconds", "media", "video",
                         &m->hist[CV_HIST_VIDEO_TICK]);
    cv_metrics_histogram(o, "conclave_mixer_tick_seconds", "media", "audio",
                         &m->hist[CV_HIST_AUDIO_TICK]);
    cv_metrics_family(o, "conclave_mixer_late_ticks_total", "counter",
                      "Mixer ticks skipped because the previous one still ran.");
    cv_metrics_sample(o, "conclave_mixer_late_ticks_total", NULL, NULL,
                      c[CV_STAT_LATE_VIDEO_TICKS] + c[CV_STAT_LATE_AUDIO_TICKS]);
    cv_metrics_family(o, "conclave_overload_level", "gauge",
                      "What the mixer sheds to keep up: 0 nothing, 1 and 2 video frame rate, "
                      "3 and 4 the best output tiers too; audio is never shed.");
    cv_metrics_sample(o, "conclave_overload_level", NULL, NULL, (uint64_t)m->overload_level);
    cv_metrics_family(o, "conclave_overload_shed_total", "counter",
                      "Video ticks (composites) not made because the mixer was overloaded.");
    cv_metrics_sample(o, "conclave_overload_shed_total", NULL, NULL, m->overload_shed);
    /* counters kept per medium: one family each, a video and an audio sample */
    static const struct {
        const char *name, *help;
        enum cv_stat video, audio;
        int us; /* microseconds, shown in seconds */
    } per_media[] = {
        {"conclave_decode_seconds_total", "Time spent decoding participants' media.",
         CV_STAT_VIDEO_DECODE_US, CV_STAT_AUDIO_DECODE_US, 1},
        {"conclave_encode_seconds_total", "Time spent encoding the composites and the mixes.",
         CV_STAT_VIDEO_ENCODE_US, CV_STAT_AUDIO_ENCODE_US, 1},
        {"conclave_decoded_frames_total",
         "Frames decoded (audio: 20 ms frames, concealed ones included).", CV_STAT_VIDEO_DECODED,
         CV_STAT_AUDIO_DECODED, 0},
        {"conclave_encoded_frames_total",
         "Encoder calls (video: one per composite, audio: one per mix).", CV_STAT_VIDEO_ENCODED,
         CV_STAT_AUDIO_ENCODED, 0},
    };
    for (size_t i = 0; i < sizeof(per_media) / sizeof(per_media[0]); i++) {
        void (*sample)(cv_metrics_out_t *, const char *, const char *, const char *, uint64_t) =
            per_media[i].us ? cv_metrics_sample_us : cv_metrics_sample;
        cv_metrics_family(o, per_media[i].name, "counter", per_media[i].help);
        sample(o, per_media[i].name, "media", "video", c[per_media[i].video]);
        sample(o, per_media[i].name, "media", "audio", c[per_media[i].audio]);
    }
    cv_metrics_family(o, "conclave_video_decode_errors_total", "counter",
                      "Video frames the decoder refused.");
    cv_metrics_sample(o, "conclave_video_decode_errors_total", NULL, NULL,
                      c[CV_STAT_VIDEO_DECODE_ERRORS]);
}

static void render_traffic(cv_metrics_out_t *o, const cv_metrics_t *m)
{
    const uint64_t *c = m->counters;
    static const struct {
        const char *name, *help;
        enum cv_stat which;
    } flows[] = {
        {"conclave_media_received_packets_total", "UDP datagrams received by media transports.",
         CV_STAT_RX_PACKETS},
        {"conclave_media_received_bytes_total",
         "Bytes of UDP datagrams received by media "
         "transports.",
         CV_STAT_RX_BYTES},
        {"conclave_media_sent_packets_total", "UDP datagrams sent by media transports.",
         CV_STAT_TX_PACKETS},
        {"conclave_media_sent_bytes_total", "Bytes of UDP datagrams sent by media transports.",
         CV_STAT_TX_BYTES},
        {"conclave_media_send_calls_total",
         "System calls that sent media (one may send a batch of datagrams).", CV_STAT_SEND_CALLS},
        {"conclave_media_send_dropped_total", "Media datagrams lost to a full socket send buffer.",
         CV_STAT_SEND_DROPPED},
    };
    for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
        cv_metrics_family(o, flows[i].name, "counter", flows[i].help);
        cv_metrics_sample(o, flows[i].name, NULL, NULL, c[flows[i].which]);
    }
    cv_metrics_family(o, "conclave_packets_dropped_total", "counter",
                      "Received packets dropped, by reason.");
    for (int r = CV_STAT_DROP_FIRST; r < CV_STAT_DROP_REASONS_END; r++)
        cv_metrics_sample(o, "conclave_packets_dropped_total", "reason",
                          cv_stats_drop_reason((enum cv_stat)r), c[r]);
    cv_metrics_family(o, "conclave_http_requests_total", "counter",
                      "HTTP answers by status class.");
    static const char *const classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    for (int i = 0; i < 5; i++)
        cv_metrics_sample(o, "conclave_http_requests_total", "class", classes[i],
                          c[CV_STAT_HTTP_1XX + i]);
    cv_metrics_family(o, "conclave_ice_tcp_closed_total", "counter",
                      "ICE-TCP connections closed by the server: not used for media in time "
                      "(idle), or over the limit of pending ones from one address (excess).");
    cv_metrics_sample(o, "conclave_ice_tcp_closed_total", "reason", "idle",
                      c[CV_STAT_ICE_TCP_CLOSED_IDLE]);
    cv_metrics_sample(o, "conclave_ice_tcp_closed_total", "reason", "excess",
                      c[CV_STAT_ICE_TCP_CLOSED_EXCESS]);
    cv_metrics_family(o, "conclave_retransmitted_packets_total", "counter",
                      "Video packets sent again to receivers that asked (NACK).");
    cv_metrics_sample(o, "conclave_retransmitted_packets_total", NULL, NULL,
                      c[CV_STAT_RETRANSMITTED]);
    cv_metrics_family(o, "conclave_probe_padding_packets_total", "counter",
                      "Padding packets sent to probe receivers' links before a step up.");
    cv_metrics_sample(o, "conclave_probe_padding_packets_total", NULL, NULL,
                      c[CV_STAT_PROBE_PADDING]);
    cv_metrics_family(o, "conclave_loop_posts_total", "counter",
                      "Work handed to the network threads (output for a receiver's link).");
    cv_metrics_sample(o, "conclave_loop_posts_total", NULL, NULL, c[CV_STAT_LOOP_POSTS]);
    cv_metrics_family(o, "conclave_loop_wakeups_total", "counter",
                      "Times a network thread was woken for such work (one a batch).");
    cv_metrics_sample(o, "conclave_loop_wakeups_total", NULL, NULL, c[CV_STAT_LOOP_WAKEUPS]);
    cv_metrics_family(o, "conclave_compose_seconds_total", "counter",
                      "Time spent laying participants' pictures into the composites.");
    cv_metrics_sample_us(o, "conclave_compose_seconds_total", NULL, NULL,
                         c[CV_STAT_VIDEO_COMPOSE_US]);
    cv_metrics_family(o, "conclave_loop_polls_total", "counter",
                      "Times the network threads waited for their sockets and timers.");
    cv_metrics_sample(o, "conclave_loop_polls_total", NULL, NULL, c[CV_STAT_LOOP_POLLS]);
    cv_metrics_family(o, "conclave_poll_rearmed_total", "counter",
                      "Sockets the network threads' epoll had forgotten (a closed descriptor's "
                      "number reused) and were registered again.");
    cv_metrics_sample(o, "conclave_poll_rearmed_total", NULL, NULL, c[CV_STAT_POLL_REARMED]);
}

char *cv_metrics_render(const cv_metrics_t *m, size_t *len)
{
    cv_metrics_out_t o = {0};
    render_gauges(&o, m);
    render_mixer(&o, m);
    render_traffic(&o, m);
    if (!o.buf)
        put(&o, "%s", "");
    if (len)
        *len = o.len;
    return o.buf;
}
