/*
 * ice.c - libnice shell for ICE (RFC 8445).
 * Owned by one network thread (the GMainContext given at creation).
 */
#include "ice.h"

#include "candfilter.h"
#include "err.h"
#include "log.h"
#include "mem.h"

#include "stats.h"

#include <agent.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

struct cv_ice {
    NiceAgent *agent;
    guint stream;
    cv_ice_cb_t cb;
    void *ud;
    char ufrag[64], pwd[64];
    cv_ice_cand_t local[CV_ICE_MAX_LOCAL];
    int n_local;
    int state;
    gulong sig_state;
    /* the TCP-passive listeners' own addresses (not public_ip), for the guard */
    struct sockaddr_storage listen[CV_ICE_MAX_LOCAL];
    int n_listen;
    gulong sig_check;
    int checked; /* the peer's first check arrived */
    gulong sig_pair;
    /* the selected pair, when it is UDP and not relayed: its socket and the
     * peer's address, for batched sends (pair_known 0: to be looked up) */
    int pair_known;
    GSocket *direct;
    struct sockaddr_storage to;
    socklen_t to_len;
};

/* ---- batched sends ----
 * One batch per thread (the network thread sends every session's packets):
 * datagrams of one agent at a time, copied in; another agent's datagram, a
 * full batch or the end of the outermost batch sends what is there. */
#define BATCH_MAX 64     /* datagrams */
#define BATCH_DGRAM 1500 /* bytes each at most (larger ones go at once) */
#define GSO_MAX 64       /* segments in one GSO message (the kernel's limit) */
#define GSO_BYTES 65000  /* bytes in one (a UDP datagram's limit, headers aside) */

struct batch {
    int depth;
    cv_ice_t *ice;
    int n;
    size_t used;
    uint16_t len[BATCH_MAX];
    uint8_t buf[BATCH_MAX * BATCH_DGRAM];
};
static _Thread_local struct batch batch;
static atomic_int gso_off; /* the kernel refused UDP GSO: plain datagrams from then on */

/* ICE-TCP and libnice 0.1.21: the three TCP fixes of 0.1.23 do not reach this
 * use. Its sends are not serialised per TCP socket, but every nice_agent_send
 * here comes from the one thread that owns the agent (as do libnice's own
 * checks, on the same context). Its fix for unreliable sends over TCP is for
 * reliable agents; this one is not: a message that finds the socket's queue
 * non-empty is dropped whole (like a lost datagram) and a partly written one
 * is queued, so the RFC 4571 framing stays intact. Its parser of remote TCP
 * candidates without tcptype is never called: remote candidates come from
 * sdp.c, which keeps UDP ones only (a browser's TCP connection becomes a
 * peer-reflexive candidate).
 *
 * ---- ICE-TCP guard ----
 * libnice 0.1.21 accepts every connection to a TCP-passive listener and keeps
 * it as long as the agent lives, whatever arrives on it (its RFC 4571 framing
 * reads any bytes as frames): a client could hold any number of silent or
 * garbage connections, and the daemon's descriptors, for a session's whole
 * life. Once a second the guard looks at the process's TCP sockets accepted
 * on the listeners of live agents and ends, with shutdown(2), those that are
 * not the agent's selected pair and are older than TCP_PENDING_US, or that
 * come from an address that already has CV_ICE_TCP_PER_ADDR older pending
 * connections on that listener. shutdown() leaves the descriptor to libnice,
 * which reads the end of the stream and closes and frees its socket itself.
 * A browser's checks over TCP select a pair within a second or two. */
#define TCP_PENDING_US (5 * G_USEC_PER_SEC)
#define GUARD_INTERVAL_MS 1000

struct tracked {
    ino_t ino; /* the socket's inode: who holds this descriptor number now */
    gint64 first_us;
    int ended; /* shut down already: libnice has yet to close it */
};

static GMutex guard_lock;
static GPtrArray *guarded; /* cv_ice_t with TCP listeners */
static GSource *guard_timer;
static struct tracked *seen; /* by descriptor number */
static size_t n_seen;

static int same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
    return 0;
}

static int port_of(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)a)->sin_port);
    if (a->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
    return -1;
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    return same_ip(a, b) && port_of(a) == port_of(b);
}

/* One accepted connection found by a sweep. */
struct conn {
    int fd;
    cv_ice_t *ice;
    struct sockaddr_storage peer;
    gint64 first_us;
    int keep; /* the selected pair's */
    int ended;
};

/* The agent whose listener has this local address, or NULL. */
static cv_ice_t *owner_of(const struct sockaddr_storage *local)
{
    for (guint i = 0; i < guarded->len; i++) {
        cv_ice_t *ice = g_ptr_array_index(guarded, i);
        for (int l = 0; l < ice->n_listen; l++)
            if (same_addr(local, &ice->listen[l]))
                return ice;
    }
    return NULL;
}

/* What is known of descriptor fd (socket inode ino): when it was first seen. */
static struct tracked *track(int fd, ino_t ino, gint64 now)
{
    if ((size_t)fd >= n_seen) {
        size_t n = (size_t)fd * 2 + 64;
        seen = cv_xrealloc(seen, n * sizeof(*seen));
        memset(seen + n_seen, 0, (n - n_seen) * sizeof(*seen));
        n_seen = n;
    }
    if (seen[fd].ino != ino) {
        seen[fd].ino = ino;
        seen[fd].first_us = now;
        seen[fd].ended = 0;
    }
    return &seen[fd];
}

/* Whether peer is the remote side of ice's selected pair (over TCP). */
static int selected(cv_ice_t *ice, const struct sockaddr_storage *peer)
{
    NiceCandidate *l = NULL, *r = NULL;
    if (!nice_agent_get_selected_pair(ice->agent, ice->stream, 1, &l, &r) || !r ||
        r->transport == NICE_CANDIDATE_TRANSPORT_UDP)
        return 0;
    struct sockaddr_storage ra;
    memset(&ra, 0, sizeof(ra));
    nice_address_copy_to_sockaddr(&r->addr, (struct sockaddr *)&ra);
    return same_addr(&ra, peer);
}

/* The accepted TCP connections on guarded listeners, at most cap. */
static int find_conns(struct conn *out, int cap, gint64 now)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < cap) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d))
            continue;
        int type = 0;
        socklen_t tl = sizeof(type);
        struct sockaddr_storage local, peer;
        socklen_t ll = sizeof(local), pl = sizeof(peer);
        struct stat st;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_STREAM ||
            getsockname(fd, (struct sockaddr *)&local, &ll) != 0 ||
            getpeername(fd, (struct sockaddr *)&peer, &pl) != 0 || fstat(fd, &st) != 0)
            continue; /* not a socket, not TCP, or a listener */
        cv_ice_t *ice = owner_of(&local);
        if (!ice)
            continue;
        struct tracked *t = track(fd, st.st_ino, now);
        if (t->ended)
            continue; /* ended and counted once */
        out[n] = (struct conn){.fd = fd, .ice = ice, .peer = peer, .first_us = t->first_us};
        out[n].keep = selected(ice, &peer);
        n++;
    }
    closedir(d);
    return n;
}

static void end_conn(struct conn *c, enum cv_stat why)
{
    shutdown(c->fd, SHUT_RDWR);
    c->ended = 1;
    seen[c->fd].ended = 1;
    cv_stats_add(why, 1);
}

/* The rules of the guard over the connections of one sweep. Returns how many
 * it ended. */
static int judge(struct conn *c, int n, gint64 now)
{
    int ended = 0;
    for (int i = 0; i < n; i++) {
        if (c[i].keep)
            continue;
        if (now - c[i].first_us >= TCP_PENDING_US) {
            end_conn(&c[i], CV_STAT_ICE_TCP_CLOSED_IDLE);
            ended++;
            continue;
        }
        int older = 0; /* pending ones from the same address on the same agent, kept */
        for (int j = 0; j < n; j++)
            if (j != i && !c[j].keep && !c[j].ended && c[j].ice == c[i].ice &&
                same_ip(&c[j].peer, &c[i].peer) &&
                (c[j].first_us < c[i].first_us || (c[j].first_us == c[i].first_us && j < i)))
                older++;
        if (older >= CV_ICE_TCP_PER_ADDR) {
            end_conn(&c[i], CV_STAT_ICE_TCP_CLOSED_EXCESS);
            ended++;
        }
    }
    return ended;
}

static gboolean guard_tick(gpointer ud)
{
    enum { MAX_CONNS = 4096 };
    static struct conn conns[MAX_CONNS];
    gint64 now = g_get_monotonic_time();
    g_mutex_lock(&guard_lock);
    if (guarded && guarded->len) {
        int n = find_conns(conns, MAX_CONNS, now);
        int ended = judge(conns, n, now);
        if (ended)
            CV_DEBUG("ice: ended %d of %d pending ICE-TCP connections", ended, n);
    }
    g_mutex_unlock(&guard_lock);
    return G_SOURCE_CONTINUE;
}

static void guard_add(cv_ice_t *ice, GMainContext *ctx)
{
    g_mutex_lock(&guard_lock);
    if (!guarded)
        guarded = g_ptr_array_new();
    g_ptr_array_add(guarded, ice);
    if (!guard_timer) {
        guard_timer = g_timeout_source_new(GUARD_INTERVAL_MS);
        g_source_set_callback(guard_timer, guard_tick, NULL, NULL);
        g_source_attach(guard_timer, ctx);
    }
    g_mutex_unlock(&guard_lock);
}

static void guard_remove(cv_ice_t *ice)
{
    g_mutex_lock(&guard_lock);
    if (guarded && g_ptr_array_remove_fast(guarded, ice) && guarded->len == 0) {
        g_source_destroy(guard_timer);
        g_source_unref(guard_timer);
        guard_timer = NULL;
        g_ptr_array_free(guarded, TRUE);
        guarded = NULL;
        free(seen);
        seen = NULL;
        n_seen = 0;
    }
    g_mutex_unlock(&guard_lock);
}

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf, gpointer ud)
{
    cv_ice_t *ice = ud;
    if (ice->cb.on_recv)
        ice->cb.on_recv(ice->ud, (uint8_t *)buf, len);
}

static void on_state(NiceAgent *agent, guint stream, guint comp, guint state, gpointer ud)
{
    cv_ice_t *ice = ud;
    int s = ice->state;
    if (state == NICE_COMPONENT_STATE_READY || state == NICE_COMPONENT_STATE_CONNECTED)
        s = CV_ICE_CONNECTED;
    else if (state == NICE_COMPONENT_STATE_FAILED)
        s = CV_ICE_FAILED;
    if (s == ice->state)
        return;
    ice->state = s;
    if (ice->cb.on_state)
        ice->cb.on_state(ice->ud, s);
}

static void on_first_check(NiceAgent *agent, guint stream, gpointer ud)
{
    ((cv_ice_t *)ud)->checked = 1;
}

/* A new selected pair: batched sends look it up again. */
static void on_pair(NiceAgent *agent, guint stream, guint comp, NiceCandidate *l, NiceCandidate *r,
                    gpointer ud)
{
    ((cv_ice_t *)ud)->pair_known = 0;
}

/* ---- socket sources that do not block ----
 * GLib blocks a source while it dispatches, unless it may recurse: it takes
 * the source's descriptors out of the context's poll set and puts them back
 * after, and each of those two changes writes the context's eventfd (GLib
 * 2.74), even on the context's own thread. libnice's socket sources, one a
 * datagram received, cost two system calls more each and a loop iteration
 * that polls every socket again. Nothing here runs a nested main loop, so
 * they may as well recurse: the sources that libnice attached while an agent
 * was made (ids from a mark taken before; a context gives ids in order) and
 * that are GSocket sources are set so. */
static guint id_mark(GMainContext *ctx)
{
    GSource *s = g_idle_source_new();
    guint id = g_source_attach(s, ctx);
    g_source_destroy(s);
    g_source_unref(s);
    return id;
}

static void sockets_recurse(GMainContext *ctx, guint from, guint to)
{
    static const GSourceFuncs *socket_funcs;
    static GMutex funcs_lock;
    g_mutex_lock(&funcs_lock);
    if (!socket_funcs) {
        GSocket *probe =
            g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
        if (probe) {
            GSource *src = g_socket_create_source(probe, G_IO_IN, NULL);
            socket_funcs = src->source_funcs;
            g_source_unref(src);
            g_object_unref(probe);
        }
    }
    g_mutex_unlock(&funcs_lock);
    if (!socket_funcs)
        return;
    for (guint id = from + 1; id < to; id++) {
        GSource *src = g_main_context_find_source_by_id(ctx, id);
        if (src && src->source_funcs == socket_funcs)
            g_source_set_can_recurse(src, TRUE);
    }
}

static int add_local(cv_ice_t *ice, const char *ip)
{
    NiceAddress a;
    nice_address_init(&a);
    if (!nice_address_set_from_string(&a, ip)) {
        CV_WARN("ice: bad local address %s", ip);
        return CV_E_INVAL;
    }
    return nice_agent_add_local_address(ice->agent, &a) ? 0 : CV_E_INVAL;
}

static void collect_local(cv_ice_t *ice, const char *public_ip)
{
    GSList *list = nice_agent_get_local_candidates(ice->agent, ice->stream, 1);
    for (GSList *i = list; i; i = i->next) {
        NiceCandidate *c = i->data;
        /* TCP-active ones are not announced: the server never opens a connection,
         * the client's active side connects to the passive listener */
        int tcp = c->transport == NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE;
        if ((c->transport != NICE_CANDIDATE_TRANSPORT_UDP && !tcp) ||
            ice->n_local == CV_ICE_MAX_LOCAL)
            continue;
        cv_ice_cand_t *l = &ice->local[ice->n_local];
        char ip[NICE_ADDRESS_STRING_LEN];
        nice_address_to_string(&c->addr, ip);
        int loopback = strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0;
        /* 1:1 NAT: announce the public address in place of the private one */
        snprintf(l->addr, sizeof(l->addr), "%s",
                 public_ip && *public_ip && !loopback ? public_ip : ip);
        l->port = (int)nice_address_get_port(&c->addr);
        l->priority = c->priority;
        snprintf(l->foundation, sizeof(l->foundation), "%s", c->foundation);
        l->tcp = tcp;
        ice->n_local++;
        if (tcp) {
            memset(&ice->listen[ice->n_listen], 0, sizeof(ice->listen[0]));
            nice_address_copy_to_sockaddr(&c->addr, (struct sockaddr *)&ice->listen[ice->n_listen]);
            ice->n_listen++;
        }
    }
    g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
}

cv_ice_t *cv_ice_create(GMainContext *ctx, const cv_ice_cfg_t *cfg, const cv_ice_cb_t *cb, void *ud)
{
    cv_ice_t *ice = cv_xcalloc(1, sizeof(*ice));
    ice->cb = *cb;
    ice->ud = ud;
    ice->state = CV_ICE_CHECKING;
    /* No libnice consent freshness and no keepalive checks that can time out:
     * libnice 0.1.21 sends one unrepeated check every ~5 s and drops consent
     * for good 10 s after the last answer, so one lost check or answer on a
     * lossy link, or a 3 s outage, ended about half the calls it hit. The
     * session ends a connection instead after 10 s without an authenticated
     * packet from the peer (peer.c, session.c); keepalives are indications. */
    ice->agent = nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_NONE);
    if (!ice->agent)
        goto fail;
    /* ice-tcp: libnice gathers UDP, TCP-active and TCP-passive host candidates;
     * collect_local keeps the UDP and passive ones */
    g_object_set(ice->agent, "controlling-mode", cfg->controlling ? TRUE : FALSE, "ice-tcp",
                 cfg->tcp ? TRUE : FALSE, "upnp", FALSE, "keepalive-conncheck", FALSE, NULL);
    for (int i = 0; i < cfg->n_addresses; i++)
        if (add_local(ice, cfg->addresses[i]) < 0)
            goto fail;
    ice->stream = nice_agent_add_stream(ice->agent, 1);
    if (!ice->stream)
        goto fail;
    if (cfg->port_min > 0)
        nice_agent_set_port_range(ice->agent, ice->stream, 1, (guint)cfg->port_min,
                                  (guint)cfg->port_max);
    ice->sig_state =
        g_signal_connect(ice->agent, "component-state-changed", G_CALLBACK(on_state), ice);
    ice->sig_check = g_signal_connect(ice->agent, "initial-binding-request-received",
                                      G_CALLBACK(on_first_check), ice);
    ice->sig_pair =
        g_signal_connect(ice->agent, "new-selected-pair-full", G_CALLBACK(on_pair), ice);
    guint mark = id_mark(ctx);
    nice_agent_attach_recv(ice->agent, ice->stream, 1, ctx, on_recv, ice);
    if (!nice_agent_gather_candidates(ice->agent, ice->stream)) {
        CV_WARN("ice: could not gather candidates (port range %d-%d exhausted?)", cfg->port_min,
                cfg->port_max);
        goto fail;
    }
    sockets_recurse(ctx, mark, id_mark(ctx));
    gchar *uf = NULL, *pw = NULL;
    if (!nice_agent_get_local_credentials(ice->agent, ice->stream, &uf, &pw))
        goto fail;
    snprintf(ice->ufrag, sizeof(ice->ufrag), "%s", uf);
    snprintf(ice->pwd, sizeof(ice->pwd), "%s", pw);
    g_free(uf);
    g_free(pw);
    collect_local(ice, cfg->public_ip);
    if (ice->n_local == 0)
        goto fail;
    if (ice->n_listen)
        guard_add(ice, ctx);
    return ice;
fail:
    cv_ice_destroy(ice);
    return NULL;
}

void cv_ice_destroy(cv_ice_t *ice)
{
    if (!ice)
        return;
    if (batch.ice == ice) { /* what it queued goes with it */
        batch.n = 0;
        batch.used = 0;
        batch.ice = NULL;
    }
    if (ice->direct)
        g_object_unref(ice->direct);
    if (ice->n_listen)
        guard_remove(ice);
    if (ice->agent) {
        if (ice->stream) {
            nice_agent_attach_recv(ice->agent, ice->stream, 1, NULL, NULL, NULL);
            nice_agent_remove_stream(ice->agent, ice->stream);
        }
        if (ice->sig_state)
            g_signal_handler_disconnect(ice->agent, ice->sig_state);
        if (ice->sig_check)
            g_signal_handler_disconnect(ice->agent, ice->sig_check);
        if (ice->sig_pair)
            g_signal_handler_disconnect(ice->agent, ice->sig_pair);
        g_object_unref(ice->agent);
    }
    free(ice);
}

const char *cv_ice_ufrag(const cv_ice_t *ice)
{
    return ice->ufrag;
}

const char *cv_ice_pwd(const cv_ice_t *ice)
{
    return ice->pwd;
}

int cv_ice_local_candidates(const cv_ice_t *ice, const cv_ice_cand_t **out)
{
    *out = ice->local;
    return ice->n_local;
}

int cv_ice_set_remote(cv_ice_t *ice, const char *ufrag, const char *pwd)
{
    if (!nice_agent_set_remote_credentials(ice->agent, ice->stream, ufrag, pwd))
        return CV_E_INVAL;
    return 0;
}

int cv_ice_add_remote_candidate(cv_ice_t *ice, const char *addr, int port, uint32_t priority,
                                const char *foundation)
{
    NiceCandidate *c = nice_candidate_new(NICE_CANDIDATE_TYPE_HOST);
    c->stream_id = ice->stream;
    c->component_id = 1;
    c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
    c->priority = priority;
    snprintf(c->foundation, sizeof(c->foundation), "%s", foundation);
    int rc = CV_E_INVAL;
    if (nice_address_set_from_string(&c->addr, addr) && port > 0 && port < 65536) {
        nice_address_set_port(&c->addr, (guint)port);
        GSList l = {.data = c, .next = NULL};
        rc = nice_agent_set_remote_candidates(ice->agent, ice->stream, 1, &l) >= 0 ? 0 : CV_E_INVAL;
    }
    nice_candidate_free(c);
    return rc;
}

/* Looks the selected pair up again after it changed. */
static void find_direct(cv_ice_t *ice)
{
    ice->pair_known = 1;
    if (ice->direct)
        g_object_unref(ice->direct);
    ice->direct = NULL;
    NiceCandidate *l = NULL, *r = NULL;
    if (!nice_agent_get_selected_pair(ice->agent, ice->stream, 1, &l, &r) || !l || !r ||
        l->transport != NICE_CANDIDATE_TRANSPORT_UDP || l->type == NICE_CANDIDATE_TYPE_RELAYED)
        return;
    GSocket *s = nice_agent_get_selected_socket(ice->agent, ice->stream, 1);
    if (!s)
        return;
    memset(&ice->to, 0, sizeof(ice->to));
    nice_address_copy_to_sockaddr(&r->addr, (struct sockaddr *)&ice->to);
    ice->to_len =
        ice->to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (ice->to.ss_family != AF_INET && ice->to.ss_family != AF_INET6) {
        g_object_unref(s);
        return;
    }
    ice->direct = s;
}

/* One GSO message of the batch sent as plain datagrams. */
static void batch_plain(int fd, const struct mmsghdr *mm)
{
    const struct msghdr *h = &mm->msg_hdr;
    uint16_t seg;
    memcpy(&seg, CMSG_DATA(CMSG_FIRSTHDR((struct msghdr *)h)), sizeof(seg));
    const uint8_t *p = h->msg_iov->iov_base;
    size_t left = h->msg_iov->iov_len;
    while (left) {
        size_t l = left < seg ? left : seg;
        if (sendto(fd, p, l, MSG_DONTWAIT, h->msg_name, h->msg_namelen) < 0)
            cv_stats_add(CV_STAT_SEND_DROPPED, 1);
        cv_stats_add(CV_STAT_SEND_CALLS, 1);
        p += l;
        left -= l;
    }
}

/* Sends the batch: a message per datagram, or per run of equal sizes (the
 * last may be shorter) as one UDP GSO message. */
static void batch_send(void)
{
    cv_ice_t *ice = batch.ice;
    struct mmsghdr msg[BATCH_MAX];
    struct iovec iov[BATCH_MAX];
    union {
        char buf[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } ctl[BATCH_MAX];
    int fd = g_socket_get_fd(ice->direct), gso = !atomic_load(&gso_off);
    int m = 0;
    size_t off = 0;
    memset(msg, 0, sizeof(msg[0]) * (size_t)batch.n);
    for (int i = 0; i < batch.n;) {
        uint16_t seg = batch.len[i];
        int k = 1;
        size_t bytes = seg;
        while (gso && i + k < batch.n && k < GSO_MAX && bytes + batch.len[i + k] <= GSO_BYTES &&
               batch.len[i + k] <= seg) {
            bytes += batch.len[i + k];
            if (batch.len[i + k++] < seg)
                break; /* a shorter one ends the run */
        }
        iov[m] = (struct iovec){.iov_base = batch.buf + off, .iov_len = bytes};
        struct msghdr *h = &msg[m].msg_hdr;
        h->msg_name = &ice->to;
        h->msg_namelen = ice->to_len;
        h->msg_iov = &iov[m];
        h->msg_iovlen = 1;
        if (k > 1) {
            memset(&ctl[m], 0, sizeof(ctl[m]));
            h->msg_control = ctl[m].buf;
            h->msg_controllen = sizeof(ctl[m].buf);
            struct cmsghdr *c = CMSG_FIRSTHDR(h);
            c->cmsg_level = SOL_UDP;
            c->cmsg_type = UDP_SEGMENT;
            c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            memcpy(CMSG_DATA(c), &seg, sizeof(seg));
        }
        off += bytes;
        i += k;
        m++;
    }
    int sent = 0, calls = 0;
    while (sent < m) {
        int r = sendmmsg(fd, msg + sent, (unsigned)(m - sent), MSG_DONTWAIT);
        calls++;
        if (r > 0) {
            sent += r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r < 0 && msg[sent].msg_hdr.msg_controllen && errno != EAGAIN &&
                   errno != EWOULDBLOCK && !atomic_exchange(&gso_off, 1)) {
            /* this kernel or device does no UDP GSO: plain datagrams from now on */
            CV_WARN("ice: UDP segmentation offload refused (%s): one datagram a packet",
                    strerror(errno));
            batch_plain(fd, &msg[sent]);
            sent++;
        } else if (r < 0 && msg[sent].msg_hdr.msg_controllen && atomic_load(&gso_off)) {
            batch_plain(fd, &msg[sent]);
            sent++;
        } else {
            break; /* the socket's buffer is full: the rest is lost, as on the wire */
        }
    }
    if (sent < m)
        cv_stats_add(CV_STAT_SEND_DROPPED, (uint64_t)(m - sent));
    cv_stats_add(CV_STAT_SEND_CALLS, (uint64_t)calls);
    batch.n = 0;
    batch.used = 0;
    batch.ice = NULL;
}

void cv_ice_batch_begin(void)
{
    batch.depth++;
}

void cv_ice_batch_end(void)
{
    if (batch.depth > 0 && --batch.depth == 0 && batch.n)
        batch_send();
}

int cv_ice_send(cv_ice_t *ice, const uint8_t *data, size_t len)
{
    if (ice->state != CV_ICE_CONNECTED)
        return CV_E_STATE;
    if (batch.depth && len <= BATCH_DGRAM) {
        if (!ice->pair_known)
            find_direct(ice);
        if (ice->direct) {
            if (batch.n && (batch.ice != ice || batch.n == BATCH_MAX))
                batch_send();
            batch.ice = ice;
            memcpy(batch.buf + batch.used, data, len);
            batch.len[batch.n++] = (uint16_t)len;
            batch.used += len;
            return (int)len;
        }
    }
    if (batch.n && batch.ice == ice)
        batch_send(); /* in order */
    gint n = nice_agent_send(ice->agent, ice->stream, 1, (guint)len, (const gchar *)data);
    cv_stats_add(CV_STAT_SEND_CALLS, 1);
    return n < 0 ? CV_E_IO : n;
}

int cv_ice_state(const cv_ice_t *ice)
{
    return ice->state;
}

int cv_ice_checked(const cv_ice_t *ice)
{
    return ice->checked;
}

/* The text of a small /proc file into a new buffer, or NULL. */
static char *read_proc(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 64 * 1024, n = 0;
    char *buf = cv_xmalloc(cap);
    size_t got;
    while (n + 1 < cap && (got = fread(buf + n, 1, cap - 1 - n, f)) > 0)
        n += got;
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* names NULL: every interface */
static int listed(char (*names)[CV_IFNAME_MAX], int n, const char *name)
{
    if (!names)
        return 1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* Appends the addresses of family af of the interfaces in names; with v6
 * only global ones (no link-local). */
static size_t append_addrs(struct ifaddrs *ifs, int af, char (*names)[CV_IFNAME_MAX], int n,
                           char *out, size_t cap, size_t used)
{
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != af || !(i->ifa_flags & IFF_UP) ||
            (i->ifa_flags & IFF_LOOPBACK) || !listed(names, n, i->ifa_name))
            continue;
        char ip[INET6_ADDRSTRLEN];
        const void *a = af == AF_INET
                            ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
                            : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
        inet_ntop(af, a, ip, sizeof(ip));
        if (cv_addr_kind(ip) == CV_ADDR_NEVER)
            continue;
        if (used + strlen(ip) + 2 < cap)
            used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? "," : "", ip);
    }
    return used;
}

int cv_ice_default_addresses(char *out, size_t cap)
{
    char names[8][CV_IFNAME_MAX];
    char *r4 = read_proc("/proc/net/route"), *r6 = read_proc("/proc/net/ipv6_route");
    int n = cv_default_route_ifaces(r4, r6, names, 8);
    /* no route table to read (a sandbox hiding /proc/net): every interface */
    char(*which)[CV_IFNAME_MAX] = r4 || r6 ? names : NULL;
    if (!which)
        CV_WARN("ice: cannot read the route table: announcing every interface; set [ice] "
                "addresses");
    free(r4);
    free(r6);
    struct ifaddrs *ifs = NULL;
    size_t used = 0;
    out[0] = 0;
    if ((n > 0 || !which) && getifaddrs(&ifs) == 0) {
        /* IPv4 first; IPv6 only on a host without any IPv4 one */
        used = append_addrs(ifs, AF_INET, which, n, out, cap, 0);
        if (!used)
            used = append_addrs(ifs, AF_INET6, which, n, out, cap, 0);
        freeifaddrs(ifs);
    }
    if (!used)
        snprintf(out, cap, "127.0.0.1");
    return 0;
}
