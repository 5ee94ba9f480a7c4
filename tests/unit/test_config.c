/*
 * test_config.c - unit tests of signaling/config.c: defaults, a full file,
 * and the exact one-line message ("<file>:<line>: <reason>") of each error.
 */
#include "check.h"
#include "config.h"
#include "err.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[512];

/* Loads text on top of defaults and checks the error message exactly. */
static void expect_error(const char *text, const char *want)
{
    cv_config_t c, before;
    cv_config_defaults(&c);
    before = c;
    int rc = cv_config_load_string(&c, "conclave.ini", text, err, sizeof(err));
    CHECK_EQ(rc, CV_E_INVAL);
    CHECK_STR(err, want);
    if (strcmp(err, want) != 0)
        fprintf(stderr, "  got:  %s\n  want: %s\n", err, want);
    /* all or nothing: a bad file changes nothing */
    CHECK_MEM(&c, &before, sizeof(c));
}

static int load_ok(cv_config_t *c, const char *text)
{
    err[0] = 'x';
    int rc = cv_config_load_string(c, "conclave.ini", text, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "  unexpected error: %s\n", err);
    return rc;
}

static void test_defaults(void)
{
    cv_config_t c;
    char tmpl[] = "/tmp/test_config.XXXXXX", cwd[1024];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    CHECK(mkdtemp(tmpl) != NULL);
    CHECK_EQ(chdir(tmpl), 0);

    /* no ./www/index.html: the installed copy */
    memset(&c, 0x5a, sizeof(c));
    cv_config_defaults(&c);
    CHECK_STR(c.http_listen, "127.0.0.1");
    CHECK_EQ(c.http_port, 8080);
    CHECK_STR(c.www_root, CV_DATADIR "/www");
    CHECK_EQ(c.http_max_body, 65536);
    CHECK_EQ(c.ice_port_min, 40000);
    CHECK_EQ(c.ice_port_max, 40999);
    CHECK_STR(c.ice_addresses, "");
    CHECK_STR(c.ice_public_ip, "");
    CHECK_EQ(c.mixer_threads, 2);
    CHECK_EQ(c.log_level, CV_LOG_WARN);

    /* run from a source tree: ./www */
    CHECK_EQ(mkdir("www", 0700), 0);
    FILE *f = fopen("www/index.html", "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    cv_config_defaults(&c);
    CHECK_STR(c.www_root, "www");
    CHECK_EQ(unlink("www/index.html"), 0);
    CHECK_EQ(rmdir("www"), 0);

    CHECK_EQ(chdir(cwd), 0);
    CHECK_EQ(rmdir(tmpl), 0);
}

static void test_full_file(void)
{
    cv_config_t c;
    cv_config_defaults(&c);
    const char *text = "\xEF\xBB\xBF" /* UTF-8 BOM */
                       "; conclave.ini for the test\n"
                       "# another comment style\n"
                       "\n"
                       "[http]\n"
                       "listen = ::1\n"
                       "  port = 8443   ; indented key, inline comment\n"
                       "www=/srv/conclave/www\r\n"
                       "max_body = 1048576\n"
                       "[ice] ; media\n"
                       "port_min = 50000\n"
                       "port_max = 50010\n"
                       "addresses =  10.0.0.2 , ::1,127.0.0.1\n"
                       "public_ip = 203.0.113.7\n"
                       "\n"
                       "[mixer]\n"
                       "threads = 64\n"
                       "[log]\n"
                       "level = debug";
    CHECK_EQ(load_ok(&c, text), 0);
    CHECK_STR(err, "");
    CHECK_STR(c.http_listen, "::1");
    CHECK_EQ(c.http_port, 8443);
    CHECK_STR(c.www_root, "/srv/conclave/www");
    CHECK_EQ(c.http_max_body, 1048576);
    CHECK_EQ(c.ice_port_min, 50000);
    CHECK_EQ(c.ice_port_max, 50010);
    CHECK_STR(c.ice_addresses, "10.0.0.2,::1,127.0.0.1");
    CHECK_STR(c.ice_public_ip, "203.0.113.7");
    CHECK_EQ(c.mixer_threads, 64);
    CHECK_EQ(c.log_level, CV_LOG_DEBUG);

    /* a second file goes on top; the unnamed keys keep their values */
    CHECK_EQ(load_ok(&c, "[http]\nport = 1\n[ice]\naddresses =\npublic_ip =\n"), 0);
    CHECK_EQ(c.http_port, 1);
    CHECK_STR(c.http_listen, "::1");
    CHECK_STR(c.ice_addresses, "");
    CHECK_STR(c.ice_public_ip, "");

    /* an empty text and a text of comments change nothing */
    cv_config_t before = c;
    CHECK_EQ(load_ok(&c, ""), 0);
    CHECK_EQ(load_ok(&c, "; only\n\n# comments\n[log]\n"), 0);
    CHECK_MEM(&c, &before, sizeof(c));
}

static void test_values(void)
{
    cv_config_t c;
    cv_config_defaults(&c);
    /* duplicated key: the last wins */
    CHECK_EQ(load_ok(&c, "[mixer]\nthreads = 3\nthreads = 5\n[mixer]\nthreads = 7\n"), 0);
    CHECK_EQ(c.mixer_threads, 7);
    /* range edges */
    CHECK_EQ(load_ok(&c, "[http]\nport = 65535\nmax_body = 1024\n"), 0);
    CHECK_EQ(c.http_port, 65535);
    CHECK_EQ(c.http_max_body, 1024);
    CHECK_EQ(load_ok(&c, "[http]\nport = 08080\n"), 0); /* leading zeros are decimal */
    CHECK_EQ(c.http_port, 8080);
    CHECK_EQ(load_ok(&c, "[ice]\nport_min = 1024\nport_max = 1024\n"), 0);
    CHECK_EQ(c.ice_port_min, 1024);
    CHECK_EQ(c.ice_port_max, 1024);
    /* port_max first, then port_min: only the final pair matters */
    CHECK_EQ(load_ok(&c, "[ice]\nport_max = 60000\nport_min = 59000\n"), 0);
    CHECK_EQ(c.ice_port_min, 59000);
    CHECK_EQ(c.ice_port_max, 60000);
    CHECK_EQ(load_ok(&c, "[mixer]\nthreads = 1\n"), 0);
    CHECK_EQ(c.mixer_threads, 1);
    const char *levels[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        char text[64];
        snprintf(text, sizeof(text), "[log]\nlevel = %s\n", levels[i]);
        CHECK_EQ(load_ok(&c, text), 0);
        CHECK_EQ(c.log_level, i);
    }
    CHECK_EQ(load_ok(&c, "[http]\nlisten = 0.0.0.0\n"), 0);
    CHECK_STR(c.http_listen, "0.0.0.0");
    CHECK_EQ(load_ok(&c, "[http]\nlisten = ::\n"), 0);
    CHECK_STR(c.http_listen, "::");
    CHECK_EQ(load_ok(&c, "[ice]\naddresses = fe80::1\n"), 0);
    CHECK_STR(c.ice_addresses, "fe80::1");
    /* "name: value" is libinih's other spelling */
    CHECK_EQ(load_ok(&c, "[http]\nport: 9000\n"), 0);
    CHECK_EQ(c.http_port, 9000);
    /* no message buffer is fine */
    CHECK_EQ(cv_config_load_string(&c, "x", "[http]\nport = 1\n", NULL, 0), 0);
    CHECK_EQ(cv_config_load_string(&c, "x", "[http]\nport = 0\n", NULL, 0), CV_E_INVAL);
    CHECK_EQ(cv_config_load_string(&c, "x", NULL, err, sizeof(err)), CV_E_INVAL);
}

static void test_structure_errors(void)
{
    expect_error("[htp]\n", "conclave.ini:1: unknown section [htp]");
    /* line numbers count comments and blank lines */
    expect_error("; c\n\n# c\n\n[http]\nport = 8080\nprot = 8080\n",
                 "conclave.ini:7: unknown key 'prot' in [http]");
    expect_error("\n\n[HTTP]\nport = 1\n", "conclave.ini:3: unknown section [HTTP]");
    expect_error("[http]\nPort = 1\n", "conclave.ini:2: unknown key 'Port' in [http]");
    expect_error("[ice]\nport = 1\n", "conclave.ini:2: unknown key 'port' in [ice]");
    expect_error("[http]\n[]\n", "conclave.ini:2: unknown section []");
    expect_error("[http\nport = 1\n", "conclave.ini:1: section header without ']'");
    expect_error("[http] port = 1\n", "conclave.ini:1: unexpected text after [http]");
    expect_error("\nport = 1\n", "conclave.ini:2: key 'port' outside of any section");
    /* the first error stops loading: the later one is not reported */
    expect_error("[http]\nnope = 1\n[nope]\n", "conclave.ini:2: unknown key 'nope' in [http]");
    expect_error("[http]\nport = 1\n\njust words\nprot = 2\n",
                 "conclave.ini:4: expected 'key = value', '[section]' or a comment");
    /* the value of a wrapped line is not glued to the key above it */
    expect_error("[http]\nport = 80\n  81\n",
                 "conclave.ini:3: expected 'key = value', '[section]' or a comment");
    /* CRLF lines count once */
    expect_error("[http]\r\n\r\nport = x\r\n",
                 "conclave.ini:3: port: 'x' is not an integer in 1..65535");

    char big[400];
    memset(big, 'a', sizeof(big));
    memcpy(big, "[log]\n; ", 8);
    big[sizeof(big) - 1] = '\0';
    expect_error(big, "conclave.ini:2: line longer than 199 characters");
}

static void test_value_errors(void)
{
    expect_error("[http]\nport = 99999\n",
                 "conclave.ini:2: port: '99999' is not an integer in 1..65535");
    expect_error("[http]\n\n\nport = 99999\n",
                 "conclave.ini:4: port: '99999' is not an integer in 1..65535");
    const char *bad_ports[] = {"0",    "65536", "-1",  "+80",    "80a",
                               "0x50", "1e3",   "8 0", "8080.0", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad_ports) / sizeof(bad_ports[0]); i++) {
        char text[128], want[160];
        snprintf(text, sizeof(text), "[http]\nport = %s\n", bad_ports[i]);
        snprintf(want, sizeof(want), "conclave.ini:2: port: '%s' is not an integer in 1..65535",
                 bad_ports[i]);
        expect_error(text, want);
    }
    expect_error("[http]\nport =\n", "conclave.ini:2: port: empty value");
    expect_error("[http]\nmax_body = 1023\n",
                 "conclave.ini:2: max_body: '1023' is not an integer in 1024..1048576");
    expect_error("[http]\nmax_body = 1048577\n",
                 "conclave.ini:2: max_body: '1048577' is not an integer in 1024..1048576");
    expect_error("[mixer]\nthreads = 0\n",
                 "conclave.ini:2: threads: '0' is not an integer in 1..64");
    expect_error("[mixer]\nthreads = 65\n",
                 "conclave.ini:2: threads: '65' is not an integer in 1..64");
    expect_error("[ice]\nport_min = 1023\n",
                 "conclave.ini:2: port_min: '1023' is not an integer in 1024..65535");
    expect_error("[ice]\nport_max = 70000\n",
                 "conclave.ini:2: port_max: '70000' is not an integer in 1024..65535");
    expect_error("[log]\nlevel = loud\n",
                 "conclave.ini:2: level: 'loud' is not one of error, warn, info, debug");
    expect_error("[log]\nlevel = WARN\n",
                 "conclave.ini:2: level: 'WARN' is not one of error, warn, info, debug");
    expect_error("[http]\nwww =\n", "conclave.ini:2: www: empty value");

    /* a long bad value is cut in the message, a control byte shown as '?' */
    expect_error("[http]\nport = 123456789012345678901234567890123456789012345678901234567890\n",
                 "conclave.ini:2: port: '123456789012345678901234567890123456789012345678...' "
                 "is not an integer in 1..65535");
    expect_error("[http]\nport = 1\x01\n",
                 "conclave.ini:2: port: '1?' is not an integer in 1..65535");
}

static void test_ip_errors(void)
{
    expect_error("[http]\nlisten = localhost\n",
                 "conclave.ini:2: listen: 'localhost' is not an IPv4 or IPv6 address");
    expect_error("[http]\nlisten = 256.1.1.1\n",
                 "conclave.ini:2: listen: '256.1.1.1' is not an IPv4 or IPv6 address");
    expect_error("[http]\nlisten = 1.2.3\n",
                 "conclave.ini:2: listen: '1.2.3' is not an IPv4 or IPv6 address");
    expect_error("[http]\nlisten = ::1::2\n",
                 "conclave.ini:2: listen: '::1::2' is not an IPv4 or IPv6 address");
    expect_error("[http]\nlisten =\n", "conclave.ini:2: listen: empty value");
    expect_error("[ice]\npublic_ip = ::1\n",
                 "conclave.ini:2: public_ip: '::1' is not an IPv4 address");
    expect_error("[ice]\npublic_ip = 203.0.113\n",
                 "conclave.ini:2: public_ip: '203.0.113' is not an IPv4 address");
    expect_error("[ice]\naddresses = 10.0.0.1, eth0\n",
                 "conclave.ini:2: addresses: 'eth0' is not an IPv4 or IPv6 address");
    expect_error("[ice]\naddresses = 10.0.0.1,,10.0.0.2\n",
                 "conclave.ini:2: addresses: empty entry in the list");
    expect_error("[ice]\naddresses = 10.0.0.1,\n",
                 "conclave.ini:2: addresses: empty entry in the list");
    expect_error("[ice]\naddresses = ,10.0.0.1\n",
                 "conclave.ini:2: addresses: empty entry in the list");
    expect_error("[ice]\naddresses = 10.0.0.1 10.0.0.2\n",
                 "conclave.ini:2: addresses: '10.0.0.1 10.0.0.2' is not an IPv4 or IPv6 address");
}

static void test_port_range(void)
{
    /* the line of whichever of the two keys came last */
    expect_error("[ice]\nport_min = 41000\n",
                 "conclave.ini:2: port_min 41000 is greater than port_max 40999");
    expect_error("[ice]\nport_min = 50000\nport_max = 45000\n\n",
                 "conclave.ini:3: port_min 50000 is greater than port_max 45000");
    expect_error("[ice]\nport_max = 45000\n; c\nport_min = 50000\n[log]\nlevel = info\n",
                 "conclave.ini:4: port_min 50000 is greater than port_max 45000");
}

static void test_file(void)
{
    cv_config_t c, before;
    char path[] = "/tmp/test_config.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char good[] = "[http]\nport = 18080\n[log]\nlevel = error\n";
    CHECK_EQ(write(fd, good, sizeof(good) - 1), (long)sizeof(good) - 1);
    close(fd);
    cv_config_defaults(&c);
    CHECK_EQ(cv_config_load(&c, path, err, sizeof(err)), 0);
    CHECK_EQ(c.http_port, 18080);
    CHECK_EQ(c.log_level, CV_LOG_ERROR);

    /* errors name the path as given */
    char want[256];
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("# first\n[http]\n\nprot = 1\n", f);
        fclose(f);
    }
    before = c;
    CHECK_EQ(cv_config_load(&c, path, err, sizeof(err)), CV_E_INVAL);
    snprintf(want, sizeof(want), "%s:4: unknown key 'prot' in [http]", path);
    CHECK_STR(err, want);
    CHECK_MEM(&c, &before, sizeof(c));

    /* a NUL byte is reported at its line */
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fwrite("[http]\nport = 1\nwww = a\0b\n", 1, 26, f);
        fclose(f);
    }
    CHECK_EQ(cv_config_load(&c, path, err, sizeof(err)), CV_E_INVAL);
    snprintf(want, sizeof(want), "%s:3: NUL byte in the file", path);
    CHECK_STR(err, want);
    CHECK_EQ(unlink(path), 0);

    CHECK_EQ(cv_config_load(&c, "/nonexistent/conclave.ini", err, sizeof(err)), CV_E_IO);
    CHECK_STR(err, "/nonexistent/conclave.ini: cannot open: No such file or directory");
    CHECK_EQ(cv_config_load(&c, "/tmp", err, sizeof(err)), CV_E_IO);
    CHECK_STR(err, "/tmp: cannot read: Is a directory");
    CHECK_MEM(&c, &before, sizeof(c));

    /* a small message buffer is cut, not overrun */
    char small[8];
    memset(small, 'z', sizeof(small));
    CHECK_EQ(cv_config_load_string(&c, "conclave.ini", "[x]\n", small, 6), CV_E_INVAL);
    CHECK_STR(small, "concl");
    CHECK_EQ(small[6], 'z');
}

int main(void)
{
    test_defaults();
    test_full_file();
    test_values();
    test_structure_errors();
    test_value_errors();
    test_ip_errors();
    test_port_range();
    test_file();
    return CHECK_DONE("test_config");
}
