/*
 * http.h - the libmicrohttpd shell: listens, reads requests whole (bounded
 * by max_body), hands them to the API and writes its answers with the
 * security headers every page carries. Owns the HTTP threads.
 */
#ifndef CV_HTTP_H
#define CV_HTTP_H

#include "api.h"

typedef struct cv_http cv_http_t;

/* Listens on listen:port (IPv4 or IPv6 literal). NULL with a logged reason
 * on failure (address in use, bad address). */
cv_http_t *cv_http_start(cv_api_t *api, const char *listen, int port, long max_body);
void cv_http_stop(cv_http_t *h); /* NULL ok */

#endif
