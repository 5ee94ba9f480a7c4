/*
 * turn.c - TURN REST credentials (turn.h): HMAC-SHA1 with OpenSSL, the Link
 * header of a WHIP answer and the browser client's JSON.
 */
#include "turn.h"

#include "err.h"
#include "mem.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tag_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n < 1 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'z') ||
              (t[i] >= 'A' && t[i] <= 'Z')))
            return 0;
    return 1;
}

int cv_turn_sign(const char *secret, int64_t now_s, int ttl_s, const char *tag, cv_turn_cred_t *out)
{
    if (!secret || !*secret || ttl_s < 1 || !tag_ok(tag) || now_s < 0)
        return CV_E_INVAL;
    memset(out, 0, sizeof(*out));
    out->expires = now_s + ttl_s;
    snprintf(out->username, sizeof(out->username), "%lld:%s", (long long)out->expires, tag);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)out->username,
              strlen(out->username), mac, &mac_len) ||
        mac_len != 20)
        return CV_E_CRYPTO;
    /* 20 bytes: 28 characters of base64 and a NUL */
    EVP_EncodeBlock((unsigned char *)out->password, mac, (int)mac_len);
    return 0;
}

int cv_turn_credential(const char *secret, int64_t now_s, int ttl_s, cv_turn_cred_t *out)
{
    unsigned char b[8];
    char tag[17];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return CV_E_CRYPTO;
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(tag + 2 * i, 3, "%02x", b[i]);
    return cv_turn_sign(secret, now_s, ttl_s, tag, out);
}

int cv_turn_offer(const cv_config_t *c, int64_t now_s, char *urls, size_t cap, cv_turn_cred_t *out)
{
    if (cap)
        urls[0] = '\0';
    if (!c->turn_urls[0] || !c->turn_secret[0] || strlen(c->turn_urls) >= cap ||
        cv_turn_credential(c->turn_secret, now_s, c->turn_ttl, out) != 0)
        return 0;
    memcpy(urls, c->turn_urls, strlen(c->turn_urls) + 1);
    return 1;
}

/* Calls fn for each entry of the comma-separated list. */
static void each_url(const char *urls, void (*fn)(void *ud, const char *url, size_t n), void *ud)
{
    const char *p = urls;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n)
            fn(ud, p, n);
        p = end ? end + 1 : NULL;
    }
}

struct link {
    char *buf;
    size_t len, cap;
    const cv_turn_cred_t *cred;
};

static void add_link(void *ud, const char *url, size_t n)
{
    struct link *l = ud;
    size_t need = n + strlen(l->cred->username) + strlen(l->cred->password) + 128;
    if (l->len + need > l->cap) {
        l->cap = (l->len + need) * 2;
        l->buf = cv_xrealloc(l->buf, l->cap);
    }
    /* the URI and the credential hold no quote, comma or '>' (config.c, base64) */
    l->len +=
        (size_t)snprintf(l->buf + l->len, l->cap - l->len,
                         "%s<%.*s>; rel=\"ice-server\"; username=\"%s\"; credential=\"%s\"; "
                         "credential-type=\"password\"",
                         l->len ? ", " : "", (int)n, url, l->cred->username, l->cred->password);
}

char *cv_turn_link_header(const char *urls, const cv_turn_cred_t *cred)
{
    if (!urls || !*urls || !cred)
        return NULL;
    struct link l = {.buf = NULL, .len = 0, .cap = 0, .cred = cred};
    each_url(urls, add_link, &l);
    return l.buf;
}

static void add_json_url(void *ud, const char *url, size_t n)
{
    json_array_append_new(ud, json_stringn(url, n));
}

char *cv_turn_ice_servers_json(const char *urls, const cv_turn_cred_t *cred)
{
    json_t *servers = json_array();
    json_t *o = json_pack("{s:o}", "iceServers", servers);
    if (urls && *urls && cred) {
        json_t *list = json_array();
        each_url(urls, add_json_url, list);
        json_array_append_new(servers, json_pack("{s:o,s:s,s:s}", "urls", list, "username",
                                                 cred->username, "credential", cred->password));
        json_object_set_new(o, "expires", json_integer(cred->expires));
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        abort();
    return text;
}

int cv_turn_read_secret(cv_config_t *c, char *err, size_t errcap)
{
    if (!c->turn_secret_file[0])
        return 0;
    FILE *f = fopen(c->turn_secret_file, "rb");
    if (!f) {
        snprintf(err, errcap, "%s: cannot open: %s", c->turn_secret_file, strerror(errno));
        return CV_E_IO;
    }
    char line[CV_CONFIG_SECRET_MAX + 3];
    int got = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    size_t n = got ? strcspn(line, "\r\n") : 0;
    if (got)
        line[n] = '\0';
    if (!got || !cv_config_secret_ok(line)) {
        snprintf(err, errcap, "%s: the first line must be the TURN secret, 1 to %d printable ASCII",
                 c->turn_secret_file, CV_CONFIG_SECRET_MAX);
        return CV_E_INVAL;
    }
    memcpy(c->turn_secret, line, n + 1); /* n <= CV_CONFIG_SECRET_MAX */
    return 0;
}
