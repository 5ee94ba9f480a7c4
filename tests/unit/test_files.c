/*
 * test_files.c - the pure parts of the static files and error answers of
 * the API: which Accept-Encoding values let gzip through (RFC 9110
 * §12.5.3), which If-None-Match values name an entity tag (§13.1.2), and
 * that an error answer keeps its code beside its one line.
 */
#include "check.h"

#include "api_int.h"

#include <stdlib.h>
#include <string.h>

static void test_accepts_gzip(void)
{
    CHECK_EQ(cv_api_accepts_gzip(NULL), 0);
    CHECK_EQ(cv_api_accepts_gzip(""), 0);
    CHECK_EQ(cv_api_accepts_gzip("gzip"), 1);
    CHECK_EQ(cv_api_accepts_gzip("GZip"), 1);
    CHECK_EQ(cv_api_accepts_gzip("x-gzip"), 1);
    CHECK_EQ(cv_api_accepts_gzip("gzip, deflate, br, zstd"), 1);
    CHECK_EQ(cv_api_accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"), 1);
    CHECK_EQ(cv_api_accepts_gzip(" deflate ,gzip ; q=0.5"), 1);
    CHECK_EQ(cv_api_accepts_gzip("*"), 1);
    CHECK_EQ(cv_api_accepts_gzip("identity"), 0);
    CHECK_EQ(cv_api_accepts_gzip("br, deflate"), 0);
    CHECK_EQ(cv_api_accepts_gzip("gzip;q=0"), 0);
    CHECK_EQ(cv_api_accepts_gzip("gzip;q=0.000"), 0);
    CHECK_EQ(cv_api_accepts_gzip("gzip;q=0, *"), 0); /* named: the star does not count */
    CHECK_EQ(cv_api_accepts_gzip("*;q=0"), 0);
    CHECK_EQ(cv_api_accepts_gzip("gzip;q=2"), 0);    /* not a q-value */
    CHECK_EQ(cv_api_accepts_gzip("gzip;q=abc"), 0);  /* not a q-value */
    CHECK_EQ(cv_api_accepts_gzip("gzipped"), 0);     /* another coding */
    CHECK_EQ(cv_api_accepts_gzip("notgzip, br"), 0); /* another coding */
    char big[5000];
    memset(big, ',', sizeof(big) - 6);
    strcpy(big + sizeof(big) - 6, "gzip");
    CHECK_EQ(cv_api_accepts_gzip(big), 1); /* a long list is read to its end */
}

static void test_etag_matches(void)
{
    const char *e = "\"1a-2b-3c.000000001\"";
    CHECK_EQ(cv_api_etag_matches(NULL, e), 0);
    CHECK_EQ(cv_api_etag_matches("", e), 0);
    CHECK_EQ(cv_api_etag_matches("\"1a-2b-3c.000000001\"", e), 1);
    CHECK_EQ(cv_api_etag_matches("W/\"1a-2b-3c.000000001\"", e), 1); /* weak comparison */
    CHECK_EQ(cv_api_etag_matches("\"x\", \"1a-2b-3c.000000001\"", e), 1);
    CHECK_EQ(cv_api_etag_matches("\"x\",W/\"y\" ,\"1a-2b-3c.000000001\"", e), 1);
    CHECK_EQ(cv_api_etag_matches("*", e), 1);
    CHECK_EQ(cv_api_etag_matches("\"1a-2b-3c.000000001-gz\"", e), 0);
    CHECK_EQ(cv_api_etag_matches("\"1a-2b-3c\"", e), 0);
    CHECK_EQ(cv_api_etag_matches("1a-2b-3c.000000001", e), 0);   /* unquoted */
    CHECK_EQ(cv_api_etag_matches("\"1a-2b-3c.000000001", e), 0); /* unterminated */
    CHECK_EQ(cv_api_etag_matches("\"x\", junk, \"1a-2b-3c.000000001\"", e), 0);
}

static void test_fail(void)
{
    cv_api_resp_t rs;
    memset(&rs, 0, sizeof(rs));
    cv_api_fail(&rs, 403, "room-locked", "room is %s", "locked");
    CHECK_EQ(rs.status, 403);
    CHECK_STR(rs.error_code, "room-locked");
    CHECK(rs.body_len == strlen("room is locked\n") &&
          memcmp(rs.body, "room is locked\n", rs.body_len) == 0);
    CHECK_EQ(rs.no_store, 1);
    cv_api_reply(&rs, 200, "ok"); /* an answer that is no error has no code */
    CHECK(rs.error_code == NULL);
    cv_api_fail_status(&rs, 409, "busy");
    CHECK_STR(rs.error_code, "conflict");
    cv_api_fail_status(&rs, 418, "odd");
    CHECK_EQ(rs.status, 418);
    CHECK_STR(rs.error_code, "bad-request");
    cv_api_fail_status(&rs, 502, "odd");
    CHECK_STR(rs.error_code, "internal");
    free(rs.body);
}

int main(void)
{
    test_accepts_gzip();
    test_etag_matches();
    test_fail();
    return CHECK_DONE("test_files");
}
