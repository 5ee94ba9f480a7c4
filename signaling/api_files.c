/*
 * api_files.c - the static files of the browser client (www/): a path is
 * looked up only when every segment is plain, and only regular files under
 * the www root are served, never through a symbolic link at the end.
 * Runs on HTTP threads.
 */
#include "api_int.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    rs->status = 200;
    rs->fd = fd;
    rs->fd_len = (size_t)st.st_size;
    rs->content_type = mime_type(dir ? "index.html" : path);
}
