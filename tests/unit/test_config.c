/*
 * test_config.c - unit tests of signaling/config.c: defaults, a full file,
 * the exact one-line message ("<file>:<line>: <reason>") of each error, and
 * conclave.ini.example, which must name every key and, uncommented, give back
 * exactly the defaults.
 */
#include "candfilter.h"
#include "check.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "room.h"

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
    CHECK_EQ(c.ice_timeout, 30);
    CHECK_EQ(c.ice_threads, 0);
    CHECK_EQ(c.mixer_threads, 2);
    CHECK_EQ(c.mixer_fps, 30);
    CHECK_EQ(c.mixer_width, 1280);
    CHECK_EQ(c.mixer_height, 720);
    CHECK_EQ(c.mixer_video_kbps, 1500);
    CHECK_EQ(c.mixer_audio_kbps, 32);
    CHECK_EQ(c.mixer_max_speakers, 3);
    CHECK_EQ(c.mixer_hidden_kbps, 50);
    CHECK_EQ(c.rooms_open, 1);
    CHECK_STR(c.rooms_names, "");
    CHECK_EQ(c.rooms_max_participants, 16);
    CHECK_EQ(c.rooms_max, 32);
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
                       "fps = 15\n"
                       "width = 640\n"
                       "height = 360\n"
                       "video_kbps = 400\n"
                       "audio_kbps = 24\n"
                       "max_speakers = 5\n"
                       "hidden_bitrate = 80\n"
                       "[rooms]\n"
                       "open = no\n"
                       "names = board, staff-meeting ,Room_3\n"
                       "max_participants = 50\n"
                       "max_rooms = 4\n"
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
    CHECK_EQ(c.mixer_fps, 15);
    CHECK_EQ(c.mixer_width, 640);
    CHECK_EQ(c.mixer_height, 360);
    CHECK_EQ(c.mixer_video_kbps, 400);
    CHECK_EQ(c.mixer_audio_kbps, 24);
    CHECK_EQ(c.mixer_max_speakers, 5);
    CHECK_EQ(c.mixer_hidden_kbps, 80);
    CHECK_EQ(c.rooms_open, 0);
    CHECK_STR(c.rooms_names, "board,staff-meeting,Room_3");
    CHECK_EQ(c.rooms_max_participants, 50);
    CHECK_EQ(c.rooms_max, 4);
    CHECK_EQ(c.log_level, CV_LOG_DEBUG);

    /* a second file goes on top; the unnamed keys keep their values */
    CHECK_EQ(load_ok(&c, "[http]\nport = 1\n[ice]\naddresses =\npublic_ip =\n"), 0);
    CHECK_EQ(c.http_port, 1);
    CHECK_STR(c.http_listen, "::1");
    CHECK_STR(c.ice_addresses, "");
    CHECK_STR(c.ice_public_ip, "");
    CHECK_EQ(c.rooms_open, 0);
    CHECK_STR(c.rooms_names, "board,staff-meeting,Room_3");
    CHECK_EQ(c.mixer_width, 640);

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
    CHECK_EQ(load_ok(&c, "[ice]\nthreads = 16\n"), 0);
    CHECK_EQ(c.ice_threads, 16);
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
    expect_error("[ice]\nthreads = 17\n",
                 "conclave.ini:2: threads: '17' is not an integer in 0..16");
    expect_error("[ice]\nthreads = -1\n",
                 "conclave.ini:2: threads: '-1' is not an integer in 0..16");
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
    expect_error("[ice]\ntimeout = 0\n",
                 "conclave.ini:2: timeout: '0' is not an integer in 1..120");
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

/* [mixer] fps, width, height, video_kbps, audio_kbps: accepted values. */
static void test_mixer_values(void)
{
    cv_config_t c;
    cv_config_defaults(&c);
    /* the range edges */
    CHECK_EQ(load_ok(&c, "[mixer]\nfps = 1\nwidth = 160\nheight = 90\n"
                         "video_kbps = 50\naudio_kbps = 8\n"),
             0);
    CHECK_EQ(c.mixer_fps, 1);
    CHECK_EQ(c.mixer_width, 160);
    CHECK_EQ(c.mixer_height, 90);
    CHECK_EQ(c.mixer_video_kbps, 50);
    CHECK_EQ(c.mixer_audio_kbps, 8);
    CHECK_EQ(load_ok(&c, "[mixer]\nfps = 60\nwidth = 1920\nheight = 1080\n"
                         "video_kbps = 8000\naudio_kbps = 128\n"),
             0);
    CHECK_EQ(c.mixer_fps, 60);
    CHECK_EQ(c.mixer_width, 1920);
    CHECK_EQ(c.mixer_height, 1080);
    CHECK_EQ(c.mixer_video_kbps, 8000);
    CHECK_EQ(c.mixer_audio_kbps, 128);
    /* even values inside the range; width and height need not keep 16:9 */
    CHECK_EQ(load_ok(&c, "[mixer]\nwidth = 162\nheight = 1078\n"), 0);
    CHECK_EQ(c.mixer_width, 162);
    CHECK_EQ(c.mixer_height, 1078);
    /* keys of [mixer] not named keep their values */
    CHECK_EQ(load_ok(&c, "[mixer]\nthreads = 3\n"), 0);
    CHECK_EQ(c.mixer_fps, 60);
    CHECK_EQ(c.mixer_width, 162);
    CHECK_EQ(c.mixer_audio_kbps, 128);
}

/* [mixer] tiers: the default list, a custom one, and refusals with the line. */
static void test_mixer_tiers(void)
{
    cv_config_t c;
    cv_config_defaults(&c);
    CHECK_EQ(c.mixer_tiers.n, 3);
    CHECK_EQ(c.mixer_tiers.t[0].kbps, 1500);
    CHECK_EQ(c.mixer_tiers.t[1].width, 640);
    CHECK_EQ(c.mixer_tiers.t[2].fps, 15);
    /* the default is the string of tier.h, and follows the composite keys */
    cv_tiers_t want;
    CHECK_EQ(cv_tiers_parse(CV_TIERS_DEFAULT, &want, NULL, 0), 0);
    CHECK_MEM(&c.mixer_tiers, &want, sizeof(want));
    CHECK_EQ(load_ok(&c, "[mixer]\nwidth = 640\nheight = 360\nvideo_kbps = 600\nfps = 24\n"), 0);
    CHECK_EQ(c.mixer_tiers.n, 3);
    CHECK(c.mixer_tiers.t[0].width == 640 && c.mixer_tiers.t[0].height == 360);
    CHECK(c.mixer_tiers.t[0].fps == 24 && c.mixer_tiers.t[0].kbps == 600);
    CHECK(c.mixer_tiers.t[1].width == 320 && c.mixer_tiers.t[1].kbps == 200);
    CHECK(c.mixer_tiers.t[2].width == 160 && c.mixer_tiers.t[2].fps == 12);
    CHECK_EQ(c.mixer_tiers.t[2].kbps, 60);
    /* a low rate leaves no room for smaller tiers */
    CHECK_EQ(load_ok(&c, "[mixer]\nvideo_kbps = 80\n"), 0);
    CHECK_EQ(c.mixer_tiers.n, 1);
    CHECK_EQ(load_ok(&c, "[mixer]\ntiers = 960x540@25:900, 480x270@12:200\n"), 0);
    CHECK_EQ(c.mixer_tiers.n, 2);
    CHECK_EQ(c.mixer_tiers.t[0].width, 960);
    CHECK_EQ(c.mixer_tiers.t[0].fps, 25);
    CHECK_EQ(c.mixer_tiers.t[1].kbps, 200);
    cv_config_t before = c;
    char err[256];
    CHECK_EQ(cv_config_load_string(&c, "conclave.ini",
                                   "[mixer]\ntiers = 320x180@15:150,640x360@30:500\n", err,
                                   sizeof(err)),
             CV_E_INVAL);
    CHECK(strstr(err, "conclave.ini:2: tiers:") != NULL);
    CHECK_EQ(c.mixer_tiers.n, before.mixer_tiers.n);
    CHECK_EQ(
        cv_config_load_string(&c, "conclave.ini", "[mixer]\ntiers = 640x360\n", err, sizeof(err)),
        CV_E_INVAL);
    CHECK(strstr(err, "conclave.ini:2: tiers:") != NULL);
}

/* [rooms] open, names, max_participants, max_rooms: accepted values. */
static void test_rooms_values(void)
{
    cv_config_t c;
    cv_config_defaults(&c);
    const struct {
        const char *word;
        int open;
    } words[] = {{"no", 0}, {"yes", 1}, {"false", 0}, {"true", 1}, {"off", 0}, {"on", 1}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        char text[64];
        snprintf(text, sizeof(text), "[rooms]\nopen = %s\n", words[i].word);
        CHECK_EQ(load_ok(&c, text), 0);
        CHECK_EQ(c.rooms_open, words[i].open);
    }

    /* blanks around the commas are dropped: "a , b" is stored as "a,b" */
    CHECK_EQ(load_ok(&c, "[rooms]\nnames = a , b\n"), 0);
    CHECK_STR(c.rooms_names, "a,b");
    CHECK_EQ(load_ok(&c, "[rooms]\nnames = a,\tb  ,c\n"), 0);
    CHECK_STR(c.rooms_names, "a,b,c");
    CHECK_EQ(load_ok(&c, "[rooms]\nnames = solo\n"), 0);
    CHECK_STR(c.rooms_names, "solo");
    /* every allowed character; case is kept */
    CHECK_EQ(load_ok(&c, "[rooms]\nnames = AZaz09_-,x\n"), 0);
    CHECK_STR(c.rooms_names, "AZaz09_-,x");
    /* a name of 64 characters is the longest */
    const char *n64 = "0123456789012345678901234567890123456789012345678901234567890123";
    char text[160];
    snprintf(text, sizeof(text), "[rooms]\nnames = %s, b\n", n64);
    CHECK_EQ(load_ok(&c, text), 0);
    char want[80];
    snprintf(want, sizeof(want), "%s,b", n64);
    CHECK_STR(c.rooms_names, want);
    /* an inline comment ends the list */
    CHECK_EQ(load_ok(&c, "[rooms]\nnames = a, b ; c\n"), 0);
    CHECK_STR(c.rooms_names, "a,b");
    /* the last names line wins; lists are not joined */
    CHECK_EQ(load_ok(&c, "[rooms]\nnames = a\n[rooms]\nnames = b\n"), 0);
    CHECK_STR(c.rooms_names, "b");

    CHECK_EQ(load_ok(&c, "[rooms]\nmax_participants = 1\nmax_rooms = 1\n"), 0);
    CHECK_EQ(c.rooms_max_participants, 1);
    CHECK_EQ(c.rooms_max, 1);
    CHECK_EQ(load_ok(&c, "[rooms]\nmax_participants = 1000\nmax_rooms = 1000\n"), 0);
    CHECK_EQ(c.rooms_max_participants, 1000);
    CHECK_EQ(load_ok(&c, "[rooms]\nmax_participants = 500\n"), 0); /* a lecture hall */
    CHECK_EQ(c.rooms_max_participants, 500);
    CHECK_EQ(c.rooms_max, 1000);
}

static void test_mixer_errors(void)
{
    expect_error("[mixer]\nwidth = 1281\n",
                 "conclave.ini:2: width: '1281' is not an even integer in 160..1920");
    expect_error("[mixer]\nwidth = 158\n",
                 "conclave.ini:2: width: '158' is not an even integer in 160..1920");
    expect_error("[mixer]\nwidth = 1922\n",
                 "conclave.ini:2: width: '1922' is not an even integer in 160..1920");
    expect_error("[mixer]\nheight = 719\n",
                 "conclave.ini:2: height: '719' is not an even integer in 90..1080");
    expect_error("[mixer]\nheight = 88\n",
                 "conclave.ini:2: height: '88' is not an even integer in 90..1080");
    expect_error("[mixer]\nheight = 1082\n",
                 "conclave.ini:2: height: '1082' is not an even integer in 90..1080");
    expect_error("[mixer]\nwidth = 1280px\n",
                 "conclave.ini:2: width: '1280px' is not an even integer in 160..1920");
    expect_error("[mixer]\nwidth =\n", "conclave.ini:2: width: empty value");
    expect_error("[mixer]\nfps = 0\n", "conclave.ini:2: fps: '0' is not an integer in 1..60");
    expect_error("[mixer]\nfps = 61\n", "conclave.ini:2: fps: '61' is not an integer in 1..60");
    expect_error("[mixer]\nfps = 29.97\n",
                 "conclave.ini:2: fps: '29.97' is not an integer in 1..60");
    expect_error("[mixer]\nvideo_kbps = 49\n",
                 "conclave.ini:2: video_kbps: '49' is not an integer in 50..8000");
    expect_error("[mixer]\nvideo_kbps = 8001\n",
                 "conclave.ini:2: video_kbps: '8001' is not an integer in 50..8000");
    expect_error("[mixer]\nmax_speakers = 0\n",
                 "conclave.ini:2: max_speakers: '0' is not an integer in 1..16");
    expect_error("[mixer]\nhidden_bitrate = 1001\n",
                 "conclave.ini:2: hidden_bitrate: '1001' is not an integer in 10..1000");
    expect_error("[mixer]\naudio_kbps = 7\n",
                 "conclave.ini:2: audio_kbps: '7' is not an integer in 8..128");
    expect_error("[mixer]\naudio_kbps = 129\n",
                 "conclave.ini:2: audio_kbps: '129' is not an integer in 8..128");
    /* a good line before the bad one changes nothing either (all or nothing) */
    expect_error("[mixer]\nfps = 10\nwidth = 641\n",
                 "conclave.ini:3: width: '641' is not an even integer in 160..1920");
    expect_error("[mixer]\nbitrate = 1000\n", "conclave.ini:2: unknown key 'bitrate' in [mixer]");
}

static void test_rooms_errors(void)
{
    const char *bools = "is not one of yes, no, true, false, on, off";
    const char *bad_open[] = {"maybe", "Yes", "YES", "1", "0", "y", "enabled"};
    for (size_t i = 0; i < sizeof(bad_open) / sizeof(bad_open[0]); i++) {
        char text[64], want[160];
        snprintf(text, sizeof(text), "[rooms]\nopen = %s\n", bad_open[i]);
        snprintf(want, sizeof(want), "conclave.ini:2: open: '%s' %s", bad_open[i], bools);
        expect_error(text, want);
    }
    expect_error("[rooms]\nopen =\n", "conclave.ini:2: open: empty value");

    /* a character outside A-Z a-z 0-9 _ - */
    const char *chars = "conclave.ini:2: names: room names are 1 to 64 of A-Z a-z 0-9 _ -";
    expect_error("[rooms]\nnames = board, st.aff\n", chars);
    expect_error("[rooms]\nnames = a/b\n", chars);
    expect_error("[rooms]\nnames = caf\xC3\xA9\n", chars); /* UTF-8 e-acute */
    /* an empty entry, a blank inside a name, a name of 65 characters */
    const char *list = "conclave.ini:2: names: room names are 1 to 64 of A-Z a-z 0-9 _ -, "
                       "comma-separated";
    expect_error("[rooms]\nnames = a,,b\n", list);
    expect_error("[rooms]\nnames = ,a\n", list);
    expect_error("[rooms]\nnames = a , , b\n", list);
    expect_error("[rooms]\nnames = board staff\n", list);
    expect_error("[rooms]\nnames = "
                 "01234567890123456789012345678901234567890123456789012345678901234\n",
                 list);
    /* no empty value: leave the key out to list no room (conclave.ini(5)) */
    expect_error("[rooms]\nnames =\n", "conclave.ini:2: names: empty value");
    expect_error("[rooms]\nnames = a,\n",
                 "conclave.ini:2: names: empty room name after the last comma");

    expect_error("[rooms]\nmax_participants = 0\n",
                 "conclave.ini:2: max_participants: '0' is not an integer in 1..1000");
    expect_error("[rooms]\nmax_participants = 1001\n",
                 "conclave.ini:2: max_participants: '1001' is not an integer in 1..1000");
    expect_error("[rooms]\nmax_rooms = 0\n",
                 "conclave.ini:2: max_rooms: '0' is not an integer in 1..1000");
    expect_error("[rooms]\nmax_rooms = 1001\n",
                 "conclave.ini:2: max_rooms: '1001' is not an integer in 1..1000");
    expect_error("[rooms]\nmax_room = 5\n", "conclave.ini:2: unknown key 'max_room' in [rooms]");
    expect_error("[room]\n", "conclave.ini:1: unknown section [room]");
    /* a key of [rooms] in another section */
    expect_error("[mixer]\nmax_rooms = 5\n", "conclave.ini:2: unknown key 'max_rooms' in [mixer]");
}

/* Every field of a and b is equal (a message names the first that is not). */
static void check_same_config(const cv_config_t *a, const cv_config_t *b)
{
    CHECK_STR(a->http_listen, b->http_listen);
    CHECK_EQ(a->http_port, b->http_port);
    CHECK_STR(a->www_root, b->www_root);
    CHECK_EQ(a->http_max_body, b->http_max_body);
    CHECK_EQ(a->ice_port_min, b->ice_port_min);
    CHECK_EQ(a->ice_port_max, b->ice_port_max);
    CHECK_STR(a->ice_addresses, b->ice_addresses);
    CHECK_STR(a->ice_public_ip, b->ice_public_ip);
    CHECK_EQ(a->ice_tcp, b->ice_tcp);
    CHECK_STR(a->turn_urls, b->turn_urls);
    CHECK_STR(a->turn_secret, b->turn_secret);
    CHECK_STR(a->turn_secret_file, b->turn_secret_file);
    CHECK_EQ(a->turn_ttl, b->turn_ttl);
    CHECK_EQ(a->mixer_threads, b->mixer_threads);
    CHECK_EQ(a->mixer_fps, b->mixer_fps);
    CHECK_EQ(a->mixer_width, b->mixer_width);
    CHECK_EQ(a->mixer_height, b->mixer_height);
    CHECK_EQ(a->mixer_video_kbps, b->mixer_video_kbps);
    CHECK_EQ(a->mixer_audio_kbps, b->mixer_audio_kbps);
    CHECK_EQ(a->mixer_max_speakers, b->mixer_max_speakers);
    CHECK_EQ(a->mixer_hidden_kbps, b->mixer_hidden_kbps);
    CHECK_MEM(&a->mixer_tiers, &b->mixer_tiers, sizeof(a->mixer_tiers));
    CHECK_EQ(a->rooms_open, b->rooms_open);
    CHECK_STR(a->rooms_names, b->rooms_names);
    CHECK_EQ(a->rooms_max_participants, b->rooms_max_participants);
    CHECK_EQ(a->rooms_max, b->rooms_max);
    CHECK_EQ(a->log_level, b->log_level);
    CHECK_EQ(a->n_rooms, b->n_rooms);
}

/* Reads the whole of a small text file; NULL if it cannot. Caller frees. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(65536);
    size_t n = buf ? fread(buf, 1, 65535, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/*
 * conclave.ini.example, read from the top of the source tree (where
 * `make check` runs the tests): a key line is ";key = default", explanations
 * are "; text". Uncommenting every key line but those of www (its default
 * depends on the working directory) and [rooms] names (its default, none,
 * cannot be written because the key takes no empty value: the line is an
 * example) must load without error and give exactly the defaults, and every
 * key of conclave.ini(5) must have its line in its section.
 */
/* [http] TLS files, proxy trust and the limits of connections, joins and sessions. */
static void test_http_limits(void)
{
    cv_config_t c;
    cv_config_defaults(&c);
    CHECK_STR(c.http_cert, "");
    CHECK_STR(c.http_key, "");
    CHECK_EQ(c.http_trust_proxy, 0);
    CHECK_EQ(c.http_max_conns, 512);
    CHECK_EQ(c.http_conns_per_ip, 64);
    CHECK_EQ(c.http_joins_per_minute, 30);
    CHECK_EQ(c.rooms_max_sessions, 256);
    CHECK_EQ(load_ok(&c, "[http]\ncert = /etc/c.pem\nkey = /etc/k.pem\ntrust_proxy = yes\n"
                         "max_connections = 100\nmax_connections_per_ip = 0\n"
                         "joins_per_minute = 0\n[rooms]\nmax_sessions = 10000\n"),
             0);
    CHECK_STR(c.http_cert, "/etc/c.pem");
    CHECK_STR(c.http_key, "/etc/k.pem");
    CHECK_EQ(c.http_trust_proxy, 1);
    CHECK_EQ(c.http_max_conns, 100);
    CHECK_EQ(c.http_conns_per_ip, 0);
    CHECK_EQ(c.http_joins_per_minute, 0);
    CHECK_EQ(c.rooms_max_sessions, 10000);
    /* empty cert and key: back to plain HTTP */
    CHECK_EQ(load_ok(&c, "[http]\ncert =\nkey =\n"), 0);
    CHECK_STR(c.http_cert, "");

    expect_error("[http]\ncert = /etc/c.pem\n",
                 "conclave.ini: [http] cert and key go together: give both or neither");
    expect_error("[http]\nkey = /etc/k.pem\n",
                 "conclave.ini: [http] cert and key go together: give both or neither");
    expect_error("[http]\nmax_connections = 3\n",
                 "conclave.ini:2: max_connections: '3' is not an integer in 4..100000");
    expect_error("[http]\njoins_per_minute = -1\n",
                 "conclave.ini:2: joins_per_minute: '-1' is not an integer in 0..100000");
    expect_error("[http]\ntrust_proxy = maybe\n", "conclave.ini:2: trust_proxy: 'maybe' is not "
                                                  "one of yes, no, true, false, on, off");
    expect_error("[rooms]\nmax_sessions = 0\n",
                 "conclave.ini:2: max_sessions: '0' is not an integer in 1..10000");
}

/* The deadlines and per-client caps against floods: request_timeout,
 * check_timeout, max_pending_per_address, max_rooms_per_address. */
static void test_flood_limits(void)
{
    cv_config_t c;
    cv_config_defaults(&c);
    CHECK_EQ(c.http_request_timeout, 10);
    CHECK_EQ(c.ice_check_timeout, 10);
    CHECK_EQ(c.rooms_max_pending_per_addr, 8);
    CHECK_EQ(c.rooms_max_rooms_per_addr, 4);
    CHECK_EQ(load_ok(&c, "[http]\nrequest_timeout = 300\n[ice]\ncheck_timeout = 1\n"
                         "[rooms]\nmax_pending_per_address = 0\nmax_rooms_per_address = 1000\n"),
             0);
    CHECK_EQ(c.http_request_timeout, 300);
    CHECK_EQ(c.ice_check_timeout, 1);
    CHECK_EQ(c.rooms_max_pending_per_addr, 0);
    CHECK_EQ(c.rooms_max_rooms_per_addr, 1000);
    expect_error("[http]\nrequest_timeout = 0\n",
                 "conclave.ini:2: request_timeout: '0' is not an integer in 1..300");
    expect_error("[ice]\ncheck_timeout = 121\n",
                 "conclave.ini:2: check_timeout: '121' is not an integer in 1..120");
    expect_error("[rooms]\nmax_pending_per_address = -1\n",
                 "conclave.ini:2: max_pending_per_address: '-1' is not an integer in 0..10000");
    expect_error("[rooms]\nmax_rooms_per_address = 1001\n",
                 "conclave.ini:2: max_rooms_per_address: '1001' is not an integer in 0..1000");
    /* the caps change on a reload, the deadlines need a restart */
    cv_config_t old, next;
    cv_config_defaults(&old);
    cv_config_defaults(&next);
    CHECK_EQ(load_ok(&next, "[http]\nrequest_timeout = 20\n[ice]\ncheck_timeout = 5\n"
                            "[rooms]\nmax_pending_per_address = 2\nmax_rooms_per_address = 1\n"),
             0);
    CHECK_EQ(cv_config_reload_merge(&old, &next, NULL, NULL), 2);
    CHECK_EQ(next.http_request_timeout, 10);
    CHECK_EQ(next.ice_check_timeout, 10);
    CHECK_EQ(next.rooms_max_pending_per_addr, 2);
    CHECK_EQ(next.rooms_max_rooms_per_addr, 1);
}

static void test_proxy_and_candidates(void)
{
    cv_config_t c;
    cv_config_defaults(&c);
    CHECK_STR(c.http_proxy_networks, "");
    CHECK_EQ(c.ice_private_candidates, CV_CAND_PRIVATE_AUTO);
    CHECK_EQ(load_ok(&c, "[http]\nproxy_networks = 10.0.0.0/24, 2001:db8::5\n[ice]\n"
                         "allow_private_candidates = yes\n"),
             0);
    CHECK_STR(c.http_proxy_networks, "10.0.0.0/24, 2001:db8::5");
    CHECK_EQ(c.ice_private_candidates, CV_CAND_PRIVATE_YES);
    CHECK_EQ(load_ok(&c, "[http]\nproxy_networks =\n[ice]\nallow_private_candidates = no\n"), 0);
    CHECK_STR(c.http_proxy_networks, "");
    CHECK_EQ(c.ice_private_candidates, CV_CAND_PRIVATE_NO);
    CHECK_EQ(load_ok(&c, "[ice]\nallow_private_candidates = auto\n"), 0);
    CHECK_EQ(c.ice_private_candidates, CV_CAND_PRIVATE_AUTO);
    expect_error("[http]\nproxy_networks = 10.0.0.1/24\n",
                 "conclave.ini:2: proxy_networks: '10.0.0.1/24' is not an address or a network "
                 "(address/prefix, host bits zero)");
    expect_error("[http]\nproxy_networks = proxy.example.org\n",
                 "conclave.ini:2: proxy_networks: 'proxy.example.org' is not an address or a "
                 "network (address/prefix, host bits zero)");
    expect_error("[ice]\nallow_private_candidates = sometimes\n",
                 "conclave.ini:2: allow_private_candidates: 'sometimes' is not one of auto, yes, "
                 "no");
}

static void test_example(void)
{
    static const char *const want_keys[] = {
        "http/listen",
        "http/port",
        "http/www",
        "http/max_body",
        "http/cert",
        "http/key",
        "http/trust_proxy",
        "http/max_connections",
        "http/max_connections_per_ip",
        "http/joins_per_minute",
        "http/metrics_token",
        "http/request_timeout",
        "http/proxy_networks",
        "ice/port_min",
        "ice/port_max",
        "ice/addresses",
        "ice/public_ip",
        "ice/timeout",
        "ice/tcp",
        "ice/check_timeout",
        "ice/allow_private_candidates",
        "ice/threads",
        "mixer/threads",
        "mixer/fps",
        "mixer/width",
        "mixer/height",
        "mixer/video_kbps",
        "mixer/audio_kbps",
        "mixer/max_speakers",
        "mixer/hidden_bitrate",
        "mixer/tiers",
        "rooms/open",
        "rooms/max_participants",
        "rooms/names",
        "rooms/max_rooms",
        "rooms/max_sessions",
        "rooms/max_pending_per_address",
        "rooms/max_rooms_per_address",
        "rooms/lobby_max",
        "rooms/lobby_timeout",
        "log/level",
        "turn/urls",
        "turn/secret",
        "turn/secret_file",
        "turn/ttl",
        "recording/enabled",
        "recording/dir",
        "recording/max_bytes",
        "recording/max_seconds",
    };
    enum { N_KEYS = sizeof(want_keys) / sizeof(want_keys[0]) };
    int seen[N_KEYS] = {0};

    char *text = read_text("conclave.ini.example");
    CHECK(text != NULL);
    if (!text) {
        fprintf(stderr, "  conclave.ini.example not found: run from the top of the tree\n");
        return;
    }
    char *out = malloc(strlen(text) + 2); /* a newline may be added at the end */
    CHECK(out != NULL);
    if (!out) {
        free(text);
        return;
    }
    char section[32] = "";
    size_t o = 0;
    int key_lines = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (line[0] == '[') {
            size_t k = 0;
            for (const char *p = line + 1; *p && *p != ']' && k + 1 < sizeof(section); p++)
                section[k++] = *p;
            section[k] = '\0';
        }
        int is_key = len > 1 && line[0] == ';' && line[1] >= 'a' && line[1] <= 'z';
        size_t from = 0;
        if (is_key) {
            char name[64];
            size_t k = 0;
            for (const char *p = line + 1; (*p >= 'a' && *p <= 'z') || *p == '_'; p++)
                if (k + 1 < sizeof(name))
                    name[k++] = *p;
            name[k] = '\0';
            char full[128];
            snprintf(full, sizeof(full), "%s/%s", section, name);
            int known = 0;
            for (int i = 0; i < N_KEYS; i++)
                if (strcmp(full, want_keys[i]) == 0) {
                    seen[i]++;
                    known = 1;
                }
            CHECK(known);
            if (!known)
                fprintf(stderr, "  example: key line of no known key: %s\n", full);
            /* [http] www and [rooms] names stay commented: their example values
             * are not the defaults */
            if (strcmp(full, "http/www") != 0 && strcmp(full, "rooms/names") != 0) {
                from = 1; /* uncomment it */
                key_lines++;
            }
        }
        memcpy(out + o, line + from, len - from);
        o += len - from;
        out[o++] = '\n';
        line += len + (nl ? 1 : 0);
    }
    out[o] = '\0';
    for (int i = 0; i < N_KEYS; i++) {
        CHECK_EQ(seen[i], 1);
        if (seen[i] != 1)
            fprintf(stderr, "  example: %s has %d key lines, want 1\n", want_keys[i], seen[i]);
    }
    CHECK_EQ(key_lines, N_KEYS - 2);

    cv_config_t c, defaults;
    cv_config_defaults(&defaults);
    memset(&c, 0x5a, sizeof(c));
    cv_config_defaults(&c);
    /* start from values unlike any default, so that each key must set its own */
    cv_config_t odd = c;
    CHECK_EQ(load_ok(&odd, "[http]\nport = 1\nmax_body = 2048\nlisten = ::1\n"
                           "[ice]\nport_min = 2000\nport_max = 2001\naddresses = 10.0.0.9\n"
                           "public_ip = 192.0.2.1\ntcp = no\n"
                           "[turn]\nsecret = odd\nttl = 61\n"
                           "[mixer]\nthreads = 9\nfps = 9\nwidth = 170\nheight = 98\n"
                           "video_kbps = 99\naudio_kbps = 9\ntiers = 200x100@9:99\n"
                           "[rooms]\nopen = no\nmax_participants = 9\nmax_rooms = 9\n"
                           "[log]\nlevel = debug\n"),
             0);
    CHECK_EQ(cv_config_load_string(&odd, "conclave.ini.example", out, err, sizeof(err)), 0);
    if (err[0])
        fprintf(stderr, "  example: %s\n", err);
    odd.rooms_names[0] = '\0'; /* names stays commented: it keeps what it had, "" here */
    check_same_config(&odd, &defaults);

    /* as shipped (all commented out), it changes nothing */
    CHECK_EQ(cv_config_load_string(&c, "conclave.ini.example", text, err, sizeof(err)), 0);
    check_same_config(&c, &defaults);
    free(out);
    free(text);
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

struct changes {
    char seen[16][48];
    int reloadable[16];
    int n;
};

static void note_change(void *ud, const char *section, const char *key, int reloadable)
{
    struct changes *ch = ud;
    if (ch->n < 16) {
        snprintf(ch->seen[ch->n], sizeof(ch->seen[0]), "[%s] %s", section, key);
        ch->reloadable[ch->n++] = reloadable;
    }
}

/* A reload: limits, names and the log level change at once; listen, ports,
 * [ice] and [mixer] keys are reported and keep their running values. */
static void test_reload_merge(void)
{
    cv_config_t old, next, want;
    struct changes ch = {0};
    cv_config_defaults(&old);
    CHECK_EQ(load_ok(&old, "[rooms]\nnames = a,b\nopen = no\n"), 0);
    next = old;
    CHECK_EQ(cv_config_reload_merge(&old, &next, note_change, &ch), 0);
    CHECK_EQ(ch.n, 0); /* the same file: nothing changed */

    CHECK_EQ(load_ok(&next, "[http]\nport = 9090\nmax_body = 2048\n"
                            "[rooms]\nmax_participants = 2\nnames = a\nmax_rooms = 3\n"
                            "[mixer]\nthreads = 4\n[ice]\nport_min = 40500\n"
                            "[log]\nlevel = debug\n"),
             0);
    want = next;
    want.http_port = old.http_port;
    want.mixer_threads = old.mixer_threads;
    want.ice_port_min = old.ice_port_min;
    CHECK_EQ(cv_config_reload_merge(&old, &next, note_change, &ch), 3);
    CHECK_MEM(&next, &want, sizeof(next));
    CHECK_EQ(next.http_port, 8080);
    CHECK_EQ(next.http_max_body, 2048);
    CHECK_EQ(next.rooms_max_participants, 2);
    CHECK_STR(next.rooms_names, "a");
    CHECK_EQ(next.log_level, CV_LOG_DEBUG);
    CHECK_EQ(ch.n, 8); /* in the order of the key table */
    const char *order[] = {"[http] port",       "[http] max_body", "[ice] port_min",
                           "[mixer] threads",   "[rooms] names",   "[rooms] max_participants",
                           "[rooms] max_rooms", "[log] level"};
    const int reloadable[] = {0, 1, 0, 0, 1, 1, 1, 1};
    for (int i = 0; i < 8 && i < ch.n; i++) {
        CHECK_STR(ch.seen[i], order[i]);
        CHECK_EQ(ch.reloadable[i], reloadable[i]);
    }

    /* a shorter text value than before is a change, the bytes after it are not */
    cv_config_t a, b;
    cv_config_defaults(&a);
    CHECK_EQ(load_ok(&a, "[rooms]\nnames = abcdef\n"), 0);
    b = a;
    CHECK_EQ(load_ok(&b, "[rooms]\nnames = abc\n"), 0);
    ch.n = 0;
    CHECK_EQ(cv_config_reload_merge(&a, &b, note_change, &ch), 0);
    CHECK_EQ(ch.n, 1);
    cv_config_defaults(&a);
    CHECK_EQ(load_ok(&a, "[rooms]\nnames = abc\n"), 0);
    ch.n = 0;
    cv_config_reload_merge(&a, &b, note_change, &ch); /* same text, other history */
    CHECK_EQ(ch.n, 0);
    CHECK_EQ(cv_config_reload_merge(&a, &b, NULL, NULL), 0);
}

static void test_room_sections(void)
{
    cv_config_t c;
    cv_config_defaults(&c);
    CHECK_EQ(c.n_rooms, 0);
    CHECK(cv_config_room(&c, "board") == NULL);
    /* a name of 64 characters: longer than libinih keeps of a section name */
    const char *long_name = "L123456789012345678901234567890123456789012345678901234567890123";
    char text[1024];
    snprintf(text, sizeof(text),
             "[http]\nport = 9000\n"
             "[room board]\npassword = open sesame\nmoderator_password = chair-2!\n"
             "[rooms]\nmax_rooms = 5\n"
             "[room  lecture-1]   ; a comment\nlayout = lecture\n"
             "[room %s]\nlayout = speaker\npassword = x\n"
             "[room empty]\n",
             long_name);
    CHECK_EQ(load_ok(&c, text), 0);
    CHECK_EQ(c.http_port, 9000);
    CHECK_EQ(c.rooms_max, 5);
    CHECK_EQ(c.n_rooms, 4);
    const cv_config_room_t *r = cv_config_room(&c, "board");
    CHECK(r != NULL);
    if (r) {
        CHECK_STR(r->password, "open sesame");
        CHECK_STR(r->moderator_password, "chair-2!");
        CHECK_EQ(r->layout, CV_LAYOUT_MODE_GRID);
    }
    CHECK(cv_config_room(&c, "BOARD") == r); /* any case */
    r = cv_config_room(&c, "lecture-1");
    CHECK(r != NULL && r->layout == CV_LAYOUT_MODE_LECTURE && r->password[0] == 0);
    r = cv_config_room(&c, long_name);
    CHECK(r != NULL && r->layout == CV_LAYOUT_MODE_SPEAKER && strcmp(r->password, "x") == 0);
    r = cv_config_room(&c, "empty");
    CHECK(r != NULL && r->layout == CV_LAYOUT_MODE_GRID && r->moderator_password[0] == 0);
    CHECK(cv_config_room(&c, "lecture") == NULL);

    /* a reload: the rooms are those of the new text, the others are gone */
    CHECK_EQ(load_ok(&c, "[room staff]\npassword = s\n"), 0);
    CHECK_EQ(c.n_rooms, 1);
    CHECK(cv_config_room(&c, "board") == NULL);
    CHECK(cv_config_room(&c, "staff") != NULL);
    CHECK_EQ(load_ok(&c, "[http]\nport = 9001\n"), 0);
    CHECK_EQ(c.n_rooms, 0);

    /* as many sections as there is room for, and one more */
    char *many = malloc(CV_CONFIG_ROOMS_MAX * 24 + 64);
    CHECK(many != NULL);
    if (!many)
        return;
    size_t o = 0;
    for (int i = 0; i < CV_CONFIG_ROOMS_MAX; i++)
        o += (size_t)sprintf(many + o, "[room r%d]\n", i);
    CHECK_EQ(load_ok(&c, many), 0);
    CHECK_EQ(c.n_rooms, CV_CONFIG_ROOMS_MAX);
    sprintf(many + o, "[room one-more]\n");
    char want[96];
    snprintf(want, sizeof(want), "conclave.ini:%d: more than %d [room] sections",
             CV_CONFIG_ROOMS_MAX + 1, CV_CONFIG_ROOMS_MAX);
    expect_error(many, want);
    free(many);
}

static void test_room_errors(void)
{
    expect_error("[room]\n", "conclave.ini:1: unknown section [room]");
    expect_error("[rooms board]\n", "conclave.ini:1: unknown section [rooms board]");
    expect_error("[room a.b]\n",
                 "conclave.ini:1: [room a.b]: room names are 1 to 64 of A-Z a-z 0-9 _ -");
    expect_error("[room a b]\n",
                 "conclave.ini:1: [room a b]: room names are 1 to 64 of A-Z a-z 0-9 _ -");
    expect_error("[room "
                 "L1234567890123456789012345678901234567890123456789012345678901234]\n",
                 "conclave.ini:1: [room L12345678901234567890123456789012345678901234567..."
                 "]: room names are 1 to 64 of A-Z a-z 0-9 _ -");
    expect_error("[room a]\n[room b]\n[room a]\n", "conclave.ini:3: [room a] given twice");
    /* [http] metrics_token: nothing, or 16..128 printable ASCII without spaces */
    const char *tok = "metrics_token: 16 to 128 printable ASCII characters, no spaces";
    char twant[160];
    snprintf(twant, sizeof(twant), "conclave.ini:2: %s", tok);
    expect_error("[http]\nmetrics_token = short\n", twant);
    expect_error("[http]\nmetrics_token = sixteen chars ok\n", twant);
    expect_error("[http]\nmetrics_token = 0123456789abcdef\xc3\xa9\n", twant);
    cv_config_t tc;
    CHECK_EQ(load_ok(&tc, "[http]\nmetrics_token = 0123456789abcdef\n"), 0);
    CHECK_STR(tc.http_metrics_token, "0123456789abcdef");
    CHECK_EQ(load_ok(&tc, "[http]\nmetrics_token =\n"), 0);
    CHECK_STR(tc.http_metrics_token, "");
    /* room names are matched without regard to case: Secret is secret */
    expect_error("[room Secret]\n[room secret]\n", "conclave.ini:2: [room secret] given twice");
    expect_error("[room a]\nport = 1\n", "conclave.ini:2: unknown key 'port' in [room a]");
    expect_error("[room a]\nlayout = Lecture\n",
                 "conclave.ini:2: layout: 'Lecture' is not one of grid, speaker, lecture");
    expect_error("[room a]\nlobby = maybe\n",
                 "conclave.ini:2: lobby: 'maybe' is not one of no, yes, all");
    expect_error("[rooms]\nlobby_max = 0\n",
                 "conclave.ini:2: lobby_max: '0' is not an integer in 1..1000");
    expect_error("[rooms]\nlobby_timeout = 9\n",
                 "conclave.ini:2: lobby_timeout: '9' is not an integer in 10..86400");
    cv_config_t lc;
    CHECK_EQ(load_ok(&lc, "[room a]\nlobby = yes\n[room b]\nlobby = all\n[room c]\n"
                          "[rooms]\nlobby_max = 5\nlobby_timeout = 60\n"),
             0);
    CHECK_EQ(cv_config_room(&lc, "a")->lobby, CV_LOBBY_YES);
    CHECK_EQ(cv_config_room(&lc, "b")->lobby, CV_LOBBY_ALL);
    CHECK_EQ(cv_config_room(&lc, "c")->lobby, CV_LOBBY_NO);
    CHECK_EQ(lc.rooms_lobby_max, 5);
    CHECK_EQ(lc.rooms_lobby_timeout, 60);
    cv_config_defaults(&lc);
    CHECK_EQ(lc.rooms_lobby_max, 32);
    CHECK_EQ(lc.rooms_lobby_timeout, 600);
    const char *pw = "password: 1 to 128 printable ASCII characters";
    char want[128];
    snprintf(want, sizeof(want), "conclave.ini:2: %s", pw);
    expect_error("[room a]\npassword =\n", want);
    expect_error("[room a]\npassword = caf\xC3\xA9\n", want);
    expect_error("[room a]\npassword = a\tb\n", want);
    char text[300];
    int n = snprintf(text, sizeof(text), "[room a]\npassword = ");
    memset(text + n, 'p', 129);
    strcpy(text + n + 129, "\n");
    expect_error(text, want);
    memset(text + n, 'p', 128);
    strcpy(text + n + 128, "\n");
    cv_config_t c;
    cv_config_defaults(&c);
    CHECK_EQ(load_ok(&c, text), 0);
    CHECK_EQ(strlen(c.rooms[0].password), 128);
    expect_error("[room a]\nmoderator_password =\n",
                 "conclave.ini:2: moderator_password: 1 to 128 printable ASCII characters");
    /* the keys of [room NAME] do not belong in other sections */
    expect_error("[rooms]\npassword = x\n", "conclave.ini:2: unknown key 'password' in [rooms]");
}

/* [ice] tcp and the [turn] section. */
static void test_tcp_and_turn(void)
{
    cv_config_t c;
    cv_config_defaults(&c);
    CHECK_EQ(c.ice_tcp, 1);
    CHECK_STR(c.turn_urls, "");
    CHECK_STR(c.turn_secret, "");
    CHECK_STR(c.turn_secret_file, "");
    CHECK_EQ(c.turn_ttl, 86400);
    CHECK_EQ(load_ok(&c, "[ice]\ntcp = no\n"), 0);
    CHECK_EQ(c.ice_tcp, 0);
    CHECK_EQ(load_ok(&c, "[ice]\ntcp = yes\n"), 0);
    CHECK_EQ(c.ice_tcp, 1);
    CHECK_EQ(load_ok(&c, "[turn]\n"
                         "urls = turn:turn.example.org:3478?transport=udp , "
                         "turns:turn.example.org:443?transport=tcp,turn:[2001:db8::1]:3478\n"
                         "secret = correct horse\nttl = 600\n"),
             0);
    CHECK_STR(c.turn_urls, "turn:turn.example.org:3478?transport=udp,"
                           "turns:turn.example.org:443?transport=tcp,turn:[2001:db8::1]:3478");
    CHECK_STR(c.turn_secret, "correct horse");
    CHECK_EQ(c.turn_ttl, 600);
    cv_config_defaults(&c);
    CHECK_EQ(load_ok(&c, "[turn]\nurls = turn:192.0.2.7\nsecret_file = /etc/conclave/turn\n"), 0);
    CHECK_STR(c.turn_urls, "turn:192.0.2.7");
    CHECK_STR(c.turn_secret_file, "/etc/conclave/turn");
    /* a secret alone (no urls yet) is allowed: nothing is handed out */
    cv_config_defaults(&c);
    CHECK_EQ(load_ok(&c, "[turn]\nsecret = x\n"), 0);

    expect_error("[ice]\ntcp = maybe\n",
                 "conclave.ini:2: tcp: 'maybe' is not one of yes, no, true, false, on, off");
    expect_error("[turn]\nurls = stun:192.0.2.1\nsecret = x\n",
                 "conclave.ini:2: urls: 'stun:192.0.2.1' is not a turn: or turns: URI "
                 "(host[:port][?transport=udp|tcp])");
    expect_error("[turn]\nurls = turn:h?transport=sctp\nsecret = x\n",
                 "conclave.ini:2: urls: 'turn:h?transport=sctp' is not a turn: or turns: URI "
                 "(host[:port][?transport=udp|tcp])");
    expect_error("[turn]\nurls = turn:a\"b\nsecret = x\n",
                 "conclave.ini:2: urls: 'turn:a\"b' is not a turn: or turns: URI "
                 "(host[:port][?transport=udp|tcp])");
    expect_error("[turn]\nurls = turn:a,\nsecret = x\n",
                 "conclave.ini:2: urls: empty entry in the list");
    expect_error("[turn]\nurls = turn:\nsecret = x\n",
                 "conclave.ini:2: urls: 'turn:' is not a turn: or turns: URI "
                 "(host[:port][?transport=udp|tcp])");
    expect_error("[turn]\nurls = turn:a\n",
                 "conclave.ini: [turn] urls needs the shared secret: secret or secret_file");
    expect_error("[turn]\nurls = turn:a\nsecret = x\nsecret_file = /f\n",
                 "conclave.ini: [turn] secret and secret_file: give one, not both");
    expect_error("[turn]\nsecret = a\x01b\n",
                 "conclave.ini:2: secret: 1 to 128 printable ASCII characters");
    expect_error("[turn]\nttl = 59\n", "conclave.ini:2: ttl: '59' is not an integer in 60..604800");
    expect_error("[turn]\nrealm = x\n", "conclave.ini:2: unknown key 'realm' in [turn]");

    /* which rooms may be opened */
    cv_config_defaults(&c);
    CHECK(cv_config_room_allowed(&c, "any"));
    CHECK_EQ(load_ok(&c, "[rooms]\nopen = no\nnames = board, team-2\n"), 0);
    CHECK(cv_config_room_allowed(&c, "board"));
    CHECK(cv_config_room_allowed(&c, "team-2"));
    CHECK(!cv_config_room_allowed(&c, "team"));
    CHECK(!cv_config_room_allowed(&c, "boar"));
    CHECK(!cv_config_room_allowed(&c, "board,"));

    /* none of them is reloadable */
    cv_config_t old, next;
    cv_config_defaults(&old);
    cv_config_defaults(&next);
    CHECK_EQ(load_ok(&next, "[ice]\ntcp = no\n[turn]\nurls = turn:a\nsecret = b\nttl = 60\n"), 0);
    CHECK_EQ(cv_config_reload_merge(&old, &next, NULL, NULL), 4);
    CHECK_EQ(next.ice_tcp, 1);
    CHECK_STR(next.turn_urls, "");
    CHECK_STR(next.turn_secret, "");
    CHECK_EQ(next.turn_ttl, 86400);
}

/* [recording] and [room NAME] recording: defaults, values, errors, reload. */
static void test_recording(void)
{
    cv_config_t c, next;
    cv_config_defaults(&c);
    CHECK_EQ(c.rec_enabled, 0);
    CHECK_STR(c.rec_dir, "/var/lib/conclave/recordings");
    CHECK_EQ(c.rec_max_bytes, 0);
    CHECK_EQ(c.rec_max_seconds, 14400);
    CHECK_EQ(load_ok(&c, "[recording]\nenabled = yes\ndir = /srv/rec\nmax_bytes = 1099511627776\n"
                         "max_seconds = 0\n[room board]\nrecording = no\n[room open]\n"),
             0);
    CHECK_EQ(c.rec_enabled, 1);
    CHECK_STR(c.rec_dir, "/srv/rec");
    CHECK_EQ(c.rec_max_bytes, 1099511627776L);
    CHECK_EQ(c.rec_max_seconds, 0);
    CHECK_EQ(c.n_rooms, 2);
    CHECK_EQ(cv_config_room(&c, "Board")->recording, 0);
    CHECK_EQ(cv_config_room(&c, "open")->recording, 1); /* allowed unless the room says no */
    expect_error("[recording]\nenabled = maybe\n",
                 "conclave.ini:2: enabled: 'maybe' is not one of yes, no, true, false, on, off");
    expect_error("[recording]\nmax_bytes = -1\n",
                 "conclave.ini:2: max_bytes: '-1' is not an integer in 0..1099511627776");
    expect_error("[recording]\nmax_seconds = 604801\n",
                 "conclave.ini:2: max_seconds: '604801' is not an integer in 0..604800");
    expect_error("[recording]\ndir =\n", "conclave.ini:2: dir: empty value");
    expect_error("[recording]\nformat = mp4\n",
                 "conclave.ini:2: unknown key 'format' in [recording]");
    expect_error("[room a]\nrecording = sometimes\n",
                 "conclave.ini:2: recording: 'sometimes' is not one of yes, no, true, false, on, "
                 "off");
    /* every [recording] key is applied by a reload (SIGHUP) */
    cv_config_defaults(&c);
    next = c;
    CHECK_EQ(
        load_ok(&next, "[recording]\nenabled = on\ndir = /x\nmax_bytes = 5\nmax_seconds = 9\n"), 0);
    CHECK_EQ(cv_config_reload_merge(&c, &next, NULL, NULL), 0);
    CHECK_EQ(next.rec_enabled, 1);
    CHECK_STR(next.rec_dir, "/x");
    CHECK_EQ(next.rec_max_bytes, 5);
    CHECK_EQ(next.rec_max_seconds, 9);
}

int main(void)
{
    test_recording();
    test_reload_merge();
    test_room_sections();
    test_room_errors();
    test_defaults();
    test_full_file();
    test_values();
    test_structure_errors();
    test_value_errors();
    test_ip_errors();
    test_port_range();
    test_mixer_values();
    test_mixer_tiers();
    test_rooms_values();
    test_mixer_errors();
    test_rooms_errors();
    test_http_limits();
    test_flood_limits();
    test_proxy_and_candidates();
    test_example();
    test_file();
    test_tcp_and_turn();
    return CHECK_DONE("test_config");
}
