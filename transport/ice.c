/*
 * ice.c - libnice shell for ICE (RFC 8445).
 * Owned by one network thread (the GMainContext given at creation).
 */
#include "ice.h"

#include "candfilter.h"
#include "err.h"
#include "log.h"
#include "mem.h"

#include <agent.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};

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
        if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP || ice->n_local == CV_ICE_MAX_LOCAL)
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
        ice->n_local++;
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
    g_object_set(ice->agent, "controlling-mode", cfg->controlling ? TRUE : FALSE, "ice-tcp", FALSE,
                 "upnp", FALSE, "keepalive-conncheck", FALSE, NULL);
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
    nice_agent_attach_recv(ice->agent, ice->stream, 1, ctx, on_recv, ice);
    if (!nice_agent_gather_candidates(ice->agent, ice->stream)) {
        CV_WARN("ice: could not gather candidates (port range %d-%d exhausted?)", cfg->port_min,
                cfg->port_max);
        goto fail;
    }
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
    return ice;
fail:
    cv_ice_destroy(ice);
    return NULL;
}

void cv_ice_destroy(cv_ice_t *ice)
{
    if (!ice)
        return;
    if (ice->agent) {
        if (ice->stream) {
            nice_agent_attach_recv(ice->agent, ice->stream, 1, NULL, NULL, NULL);
            nice_agent_remove_stream(ice->agent, ice->stream);
        }
        if (ice->sig_state)
            g_signal_handler_disconnect(ice->agent, ice->sig_state);
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

int cv_ice_send(cv_ice_t *ice, const uint8_t *data, size_t len)
{
    if (ice->state != CV_ICE_CONNECTED)
        return CV_E_STATE;
    gint n = nice_agent_send(ice->agent, ice->stream, 1, (guint)len, (const gchar *)data);
    return n < 0 ? CV_E_IO : n;
}

int cv_ice_state(const cv_ice_t *ice)
{
    return ice->state;
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
