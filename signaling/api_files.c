/*
 * api_files.c - the static files of the browser client (www/): a path is
 * looked up only when every segment is plain, and only regular files under
 * the www root are served, never through a symbolic link at the end.
 * Validators (a strong ETag from the file's inode, size and modification
 * time; If-None-Match gets 304) and caching headers (index.html is
 * revalidated each time, the rest after FILE_MAX_AGE); text files go out
 * gzipped (RFC 9110 §8.4.1.3) to a client that accepts it, compressed once
 * and kept in a bounded cache keyed by path, size and modification time.
 * Runs on HTTP threads; the cache has its own lock, held for lookups and
 * insertions, never while compressing.
 */
#include "api_int.h"
#include "mem.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define FILE_MAX_AGE "max-age=600" /* names are not hashed: a short life, then revalidation */
#define GZ_MAX_FILE (4 << 20)      /* larger text files go out as they are */
#define GZ_CACHE_BYTES (16 << 20)  /* compressed bytes kept at most */
#define GZ_CACHE_FILES 256         /* files kept at most */

/* A compressed file in the cache; key: its full path. */
struct gz_entry {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    unsigned char *gz;
    size_t gz_len;
};

static void gz_entry_free(void *p)
{
    struct gz_entry *e = p;
    if (e)
        free(e->gz);
    free(e);
}

void cv_api_files_init(cv_api_t *api)
{
    pthread_mutex_init(&api->files_lock, NULL);
    api->files = g_hash_table_new_full(g_str_hash, g_str_equal, free, gz_entry_free);
    api->files_bytes = 0;
}

void cv_api_files_cleanup(cv_api_t *api)
{
    if (api->files)
        g_hash_table_destroy(api->files);
    api->files = NULL;
    pthread_mutex_destroy(&api->files_lock);
}

static const char *mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
    };
    const char *dot = strrchr(path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            if (strcmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

/* Types worth compressing. */
static int is_text(const char *type)
{
    return strncmp(type, "text/", 5) == 0 || strcmp(type, "application/json") == 0 ||
           strcmp(type, "image/svg+xml") == 0 || strcmp(type, "application/manifest+json") == 0;
}

/* The q-value of one Accept-Encoding member's parameters (";q=0.5"), 1 if
 * none; -1 when it is not a valid one. */
static double member_q(const char *p, const char *end)
{
    double q = 1;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
            p++;
        if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            char num[8];
            size_t n = 0;
            for (p += 2; p < end && *p != ';' && *p != ' ' && n < sizeof(num) - 1; p++)
                num[n++] = *p;
            num[n] = 0;
            char *stop;
            q = strtod(num, &stop);
            if (n == 0 || *stop || q < 0 || q > 1)
                return -1;
        }
        while (p < end && *p != ';')
            p++;
    }
    return q;
}

/* 1 when an Accept-Encoding value lets gzip through (RFC 9110 §12.5.3):
 * "gzip" or "x-gzip" with a q above 0, or "*" when gzip is not named. */
int cv_api_accepts_gzip(const char *ae)
{
    if (!ae)
        return 0;
    int named = 0, star = 0;
    double q_gzip = 0, q_star = 0;
    for (const char *p = ae; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *name_end = p;
        while (name_end < end && *name_end != ';' && *name_end != ' ' && *name_end != '\t')
            name_end++;
        size_t n = (size_t)(name_end - p);
        double q = member_q(name_end, end);
        if ((n == 4 && strncasecmp(p, "gzip", 4) == 0) ||
            (n == 6 && strncasecmp(p, "x-gzip", 6) == 0)) {
            named = 1;
            q_gzip = q;
        } else if (n == 1 && *p == '*') {
            star = 1;
            q_star = q;
        }
        p = end;
    }
    return named ? q_gzip > 0 : star && q_star > 0;
}

/* 1 when an If-None-Match value names etag ("*", or a list of entity tags
 * compared weakly, RFC 9110 §13.1.2). */
int cv_api_etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return 0;
    size_t el = strlen(etag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (*p != '"')
            return 0;
        const char *q = strchr(p + 1, '"');
        if (!q)
            return 0;
        if ((size_t)(q + 1 - p) == el && memcmp(p, etag, el) == 0)
            return 1;
        p = q + 1;
    }
    return 0;
}

/* The whole file in a heap buffer (len bytes); NULL on a short read. */
static unsigned char *read_all(int fd, size_t len)
{
    unsigned char *buf = cv_xmalloc(len ? len : 1);
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, buf + got, len - got, (off_t)got);
        if (r <= 0) {
            free(buf);
            return NULL;
        }
        got += (size_t)r;
    }
    return buf;
}

/* gzip of in (a gzip member, RFC 1952); NULL on a failure. */
static unsigned char *gzip_of(const unsigned char *in, size_t len, size_t *out_len)
{
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)len) + 32;
    unsigned char *out = cv_xmalloc(cap);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static int same_file(const struct gz_entry *e, const struct stat *st)
{
    return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
           e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* The gzip of the open file full (st), from the cache or made now, copied
 * into rs's body; 0 when it cannot be had (then the file goes as it is). */
static int gzip_body(cv_api_t *api, const char *full, int fd, const struct stat *st,
                     cv_api_resp_t *rs)
{
    if (st->st_size > GZ_MAX_FILE)
        return 0;
    pthread_mutex_lock(&api->files_lock);
    struct gz_entry *e = g_hash_table_lookup(api->files, full);
    if (e && same_file(e, st)) {
        rs->body = cv_xmalloc(e->gz_len ? e->gz_len : 1);
        memcpy(rs->body, e->gz, e->gz_len);
        rs->body_len = e->gz_len;
        pthread_mutex_unlock(&api->files_lock);
        return 1;
    }
    pthread_mutex_unlock(&api->files_lock);
    unsigned char *raw = read_all(fd, (size_t)st->st_size);
    if (!raw)
        return 0;
    size_t gz_len = 0;
    unsigned char *gz = gzip_of(raw, (size_t)st->st_size, &gz_len);
    free(raw);
    if (!gz)
        return 0;
    rs->body = cv_xmalloc(gz_len ? gz_len : 1);
    memcpy(rs->body, gz, gz_len);
    rs->body_len = gz_len;
    e = cv_xcalloc(1, sizeof(*e));
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->size = st->st_size;
    e->mtime = st->st_mtim;
    e->gz = gz;
    e->gz_len = gz_len;
    pthread_mutex_lock(&api->files_lock);
    struct gz_entry *old = g_hash_table_lookup(api->files, full);
    if (old)
        api->files_bytes -= old->gz_len;
    if (api->files_bytes + gz_len > GZ_CACHE_BYTES ||
        (!old && g_hash_table_size(api->files) >= GZ_CACHE_FILES)) {
        g_hash_table_remove_all(api->files); /* full: start again */
        api->files_bytes = 0;
    }
    g_hash_table_replace(api->files, cv_xstrdup(full), e);
    api->files_bytes += gz_len;
    pthread_mutex_unlock(&api->files_lock);
    return 1;
}

/* A path we are willing to look up: /, then segments of [A-Za-z0-9._-] that
 * are not "." or ".." and do not start with a dot. */
static int safe_path(const char *p)
{
    if (p[0] != '/')
        return 0;
    const char *seg = p + 1;
    for (const char *c = p + 1;; c++) {
        if (*c == '/' || *c == 0) {
            if (c == seg && *c == '/')
                return 0; /* empty segment */
            if (c > seg && seg[0] == '.')
                return 0; /* ".", "..", hidden files */
            if (*c == 0)
                return 1;
            seg = c + 1;
            continue;
        }
        char ch = *c;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
}

void cv_api_serve_file(cv_api_t *api, const cv_api_req_t *rq, cv_api_resp_t *rs)
{
    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
        cv_api_method_not_allowed(rs, "GET, HEAD");
        return;
    }
    const char *path = rq->path;
    if (!safe_path(path)) {
        cv_api_fail(rs, 400, "bad-path", "bad path");
        return;
    }
    char full[PATH_MAX * 2];
    size_t pl = strlen(path);
    int dir = path[pl - 1] == '/';
    int n = snprintf(full, sizeof(full), "%s%s%s", api->www, path, dir ? "index.html" : "");
    if (n < 0 || (size_t)n >= sizeof(full)) {
        cv_api_fail(rs, 404, "not-found", "not found");
        return;
    }
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        cv_api_fail(rs, 404, "not-found", "not found");
        return;
    }
    const char *type = mime_type(dir ? "index.html" : path);
    int text = is_text(type);
    int gz = text && cv_api_accepts_gzip(rq->accept_encoding);
    const char *base = strrchr(full, '/');
    int page = base && strcmp(base, "/index.html") == 0;
    snprintf(rs->etag, sizeof(rs->etag), "\"%llx-%llx-%llx.%09ld%s\"",
             (unsigned long long)st.st_ino, (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, gz ? "-gz" : "");
    rs->cache_control = page ? "no-cache" : FILE_MAX_AGE;
    rs->vary_encoding = text;
    rs->content_type = type;
    if (cv_api_etag_matches(rq->if_none_match, rs->etag)) {
        close(fd);
        rs->status = 304;
        return;
    }
    rs->status = 200;
    if (gz && gzip_body(api, full, fd, &st, rs)) {
        close(fd);
        rs->content_encoding = "gzip";
        return;
    }
    if (gz) { /* served as it is: its validator is that of the identity */
        char *t = strstr(rs->etag, "-gz\"");
        if (t)
            memcpy(t, "\"", 2);
    }
    rs->fd = fd;
    rs->fd_len = (size_t)st.st_size;
}
