/*
 * test_turn.c - unit tests of signaling/turn.c: TURN REST credentials against
 * values computed apart (openssl dgst -sha1 -hmac SECRET -binary | base64 over
 * the username), the expiry arithmetic, the Link header and JSON forms, and
 * reading the secret from a file.
 */
#include "check.h"
#include "config.h"
#include "err.h"
#include "turn.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_known_answers(void)
{
    cv_turn_cred_t c;
    /* 1700000000 + 3600 = 1700003600 */
    CHECK_EQ(cv_turn_sign("north-wind-secret", 1700000000, 3600, "abc123", &c), 0);
    CHECK_STR(c.username, "1700003600:abc123");
    CHECK_STR(c.password, "kn6hhUdoUe47srsm4cjckGuxuDo=");
    CHECK_EQ(c.expires, 1700003600);
    /* the same username under another secret */
    CHECK_EQ(cv_turn_sign("other-secret", 1700000000, 3600, "abc123", &c), 0);
    CHECK_STR(c.password, "qZtxVWmUUWmNxOqc/G1YytkJPbc=");
    /* one day after the epoch plus a minute */
    CHECK_EQ(cv_turn_sign("s", 60, 86400, "Z9", &c), 0);
    CHECK_STR(c.username, "86460:Z9");
    CHECK_STR(c.password, "SrVmC/LYTOfVb/loqEuVz5A9S0I=");
}

static void test_bad_input(void)
{
    cv_turn_cred_t c;
    CHECK_EQ(cv_turn_sign("", 1, 60, "a", &c), CV_E_INVAL);
    CHECK_EQ(cv_turn_sign(NULL, 1, 60, "a", &c), CV_E_INVAL);
    CHECK_EQ(cv_turn_sign("s", 1, 0, "a", &c), CV_E_INVAL);
    CHECK_EQ(cv_turn_sign("s", -1, 60, "a", &c), CV_E_INVAL);
    CHECK_EQ(cv_turn_sign("s", 1, 60, "", &c), CV_E_INVAL);
    CHECK_EQ(cv_turn_sign("s", 1, 60, "a:b", &c), CV_E_INVAL);
    CHECK_EQ(cv_turn_sign("s", 1, 60, "a\"b", &c), CV_E_INVAL);
    CHECK_EQ(cv_turn_sign("s", 1, 60, "012345678901234567890123456789012", &c), CV_E_INVAL);
    CHECK_EQ(cv_turn_sign("s", 1, 60, "01234567890123456789012345678901", &c), 0);
}

static void test_random(void)
{
    cv_turn_cred_t a, b, check;
    CHECK_EQ(cv_turn_credential("secret", 1000, 600, &a), 0);
    CHECK_EQ(cv_turn_credential("secret", 1000, 600, &b), 0);
    CHECK_EQ(a.expires, 1600);
    CHECK(strncmp(a.username, "1600:", 5) == 0);
    CHECK_EQ(strlen(a.username), 5 + 16);
    CHECK(strcmp(a.username, b.username) != 0); /* random parts differ */
    /* the password is the one of its username */
    CHECK_EQ(cv_turn_sign("secret", 1000, 600, a.username + 5, &check), 0);
    CHECK_STR(check.password, a.password);
    CHECK(strcmp(a.password, b.password) != 0);
}

static void test_link_and_json(void)
{
    cv_turn_cred_t c;
    CHECK_EQ(cv_turn_sign("north-wind-secret", 1700000000, 3600, "abc123", &c), 0);
    char *link = cv_turn_link_header(
        "turn:turn.example.org:3478?transport=udp,turns:turn.example.org:443?transport=tcp", &c);
    CHECK(link != NULL);
    if (link)
        CHECK_STR(link, "<turn:turn.example.org:3478?transport=udp>; rel=\"ice-server\"; "
                        "username=\"1700003600:abc123\"; "
                        "credential=\"kn6hhUdoUe47srsm4cjckGuxuDo=\"; "
                        "credential-type=\"password\", "
                        "<turns:turn.example.org:443?transport=tcp>; rel=\"ice-server\"; "
                        "username=\"1700003600:abc123\"; "
                        "credential=\"kn6hhUdoUe47srsm4cjckGuxuDo=\"; "
                        "credential-type=\"password\"");
    free(link);
    CHECK(cv_turn_link_header("", &c) == NULL);

    char *j = cv_turn_ice_servers_json("turn:192.0.2.1:3478?transport=tcp", &c);
    CHECK_STR(j, "{\"iceServers\":[{\"urls\":[\"turn:192.0.2.1:3478?transport=tcp\"],"
                 "\"username\":\"1700003600:abc123\","
                 "\"credential\":\"kn6hhUdoUe47srsm4cjckGuxuDo=\"}],\"expires\":1700003600}");
    free(j);
    j = cv_turn_ice_servers_json("", NULL);
    CHECK_STR(j, "{\"iceServers\":[]}");
    free(j);
}

static void test_secret_file(void)
{
    cv_config_t c;
    char err[256];
    cv_config_defaults(&c);
    CHECK_EQ(cv_turn_read_secret(&c, err, sizeof err), 0); /* no file: nothing to do */
    CHECK_STR(c.turn_secret, "");
    char path[] = "/tmp/test_turn.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("s3cr3t-from-file\nsecond line\n", f);
    fclose(f);
    snprintf(c.turn_secret_file, sizeof c.turn_secret_file, "%s", path);
    CHECK_EQ(cv_turn_read_secret(&c, err, sizeof err), 0);
    CHECK_STR(c.turn_secret, "s3cr3t-from-file");
    f = fopen(path, "w");
    fputs("\n", f);
    fclose(f);
    c.turn_secret[0] = '\0';
    CHECK_EQ(cv_turn_read_secret(&c, err, sizeof err), CV_E_INVAL);
    CHECK(strstr(err, "first line must be the TURN secret") != NULL);
    CHECK_STR(c.turn_secret, "");
    unlink(path);
    CHECK_EQ(cv_turn_read_secret(&c, err, sizeof err), CV_E_IO);
    CHECK(strstr(err, "cannot open") != NULL);
}

static void test_offer(void)
{
    cv_config_t c;
    cv_turn_cred_t cred;
    char urls[64];
    cv_config_defaults(&c);
    CHECK_EQ(cv_turn_offer(&c, 1000, urls, sizeof urls, &cred), 0); /* none by default */
    CHECK_STR(urls, "");
    snprintf(c.turn_urls, sizeof c.turn_urls, "turn:192.0.2.1:3478");
    CHECK_EQ(cv_turn_offer(&c, 1000, urls, sizeof urls, &cred), 0); /* no secret yet */
    snprintf(c.turn_secret, sizeof c.turn_secret, "s");
    c.turn_ttl = 60;
    CHECK_EQ(cv_turn_offer(&c, 1000, urls, sizeof urls, &cred), 1);
    CHECK_STR(urls, "turn:192.0.2.1:3478");
    CHECK_EQ(cred.expires, 1060);
    CHECK_EQ(cv_turn_offer(&c, 1000, urls, 10, &cred), 0); /* does not fit */
}

int main(void)
{
    test_known_answers();
    test_bad_input();
    test_random();
    test_link_and_json();
    test_secret_file();
    test_offer();
    return CHECK_DONE("test_turn");
}
