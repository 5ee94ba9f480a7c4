/*
 * test_command.c - participant commands: accepted forms and every refusal.
 */
#include "check.h"
#include "command.h"
#include "config.h"
#include "err.h"
#include "room.h"

static int parse(const char *json, cv_command_t *c, const char **why)
{
    return cv_command_parse(json, strlen(json), c, why);
}

static void expect_bad(const char *json, const char *reason)
{
    cv_command_t c;
    const char *why = NULL;
    CHECK_EQ(parse(json, &c, &why), CV_E_INVAL);
    CHECK(why != NULL && strcmp(why, reason) == 0);
    if (why && strcmp(why, reason) != 0)
        fprintf(stderr, "  %s -> '%s', want '%s'\n", json, why, reason);
}

static void test_accepted(void)
{
    cv_command_t c;
    const char *why;
    CHECK_EQ(parse("{\"type\":\"mute\",\"audio\":true}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_MUTE);
    CHECK_EQ(c.flag, 1);
    CHECK(why == NULL);
    CHECK_EQ(parse("{\"audio\":false,\"type\":\"mute\",\"extra\":[1]}", &c, &why), 0);
    CHECK_EQ(c.flag, 0);
    CHECK_EQ(parse(" {\"type\":\"camera\",\"on\":false} ", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_CAMERA);
    CHECK_EQ(c.flag, 0);
    CHECK_EQ(parse("{\"type\":\"hand\",\"raised\":true}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_HAND);
    CHECK_EQ(c.flag, 1);
    CHECK_EQ(parse("{\"type\":\"chat\",\"text\":\"h\\u00e9llo <b>\"}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_CHAT);
    CHECK_STR(c.text, "h\xc3\xa9llo <b>");
}

/* Low data and the portrait view: booleans only. */
static void test_receive_and_view(void)
{
    cv_command_t c;
    const char *why;
    CHECK_EQ(parse("{\"type\":\"receive\",\"video\":false}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_RECEIVE);
    CHECK_EQ(c.flag, 0);
    CHECK_EQ(parse("{\"type\":\"receive\",\"video\":true}", &c, &why), 0);
    CHECK_EQ(c.flag, 1);
    CHECK_EQ(parse("{\"type\":\"view\",\"portrait\":true}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_VIEW);
    CHECK_EQ(c.flag, 1);
    CHECK_EQ(parse("{\"type\":\"view\",\"portrait\":false}", &c, &why), 0);
    CHECK_EQ(c.flag, 0);
    /* both are a participant's own, under the self commands' pace */
    CHECK(CV_CMD_RECEIVE < CV_CMD_CHAT && CV_CMD_VIEW < CV_CMD_CHAT);
    const char *rv = "receive needs \"video\": true or false";
    expect_bad("{\"type\":\"receive\"}", rv);
    expect_bad("{\"type\":\"receive\",\"video\":0}", rv);
    expect_bad("{\"type\":\"receive\",\"video\":\"false\"}", rv);
    expect_bad("{\"type\":\"receive\",\"video\":null}", rv);
    expect_bad("{\"type\":\"receive\",\"audio\":false}", rv);
    const char *vw = "view needs \"portrait\": true or false";
    expect_bad("{\"type\":\"view\"}", vw);
    expect_bad("{\"type\":\"view\",\"portrait\":1}", vw);
    expect_bad("{\"type\":\"view\",\"portrait\":[true]}", vw);
}

static void test_chat_limits(void)
{
    char json[CV_COMMAND_MAX + 64];
    cv_command_t c;
    const char *why;
    /* exactly 1000 bytes: fine; 1001: refused */
    int n = snprintf(json, sizeof(json), "{\"type\":\"chat\",\"text\":\"");
    memset(json + n, 'x', CV_CHAT_MAX);
    strcpy(json + n + CV_CHAT_MAX, "\"}");
    CHECK_EQ(parse(json, &c, &why), 0);
    CHECK_EQ(strlen(c.text), CV_CHAT_MAX);
    memset(json + n, 'x', CV_CHAT_MAX + 1);
    strcpy(json + n + CV_CHAT_MAX + 1, "\"}");
    expect_bad(json, "chat needs \"text\" of 1 to 1000 bytes");
    expect_bad("{\"type\":\"chat\",\"text\":\"\"}", "chat needs \"text\" of 1 to 1000 bytes");
    /* a NUL inside the text: refused by the JSON parser already */
    expect_bad("{\"type\":\"chat\",\"text\":\"a\\u0000b\"}", "malformed JSON");
    expect_bad("{\"type\":\"chat\",\"text\":5}", "chat needs \"text\" of 1 to 1000 bytes");
    /* invalid UTF-8 is refused by the JSON parser */
    expect_bad("{\"type\":\"chat\",\"text\":\"\xff\xfe\"}", "malformed JSON");
}

static void test_refused(void)
{
    expect_bad("", "malformed JSON");
    expect_bad("{", "malformed JSON");
    expect_bad("{\"type\":\"mute\",\"audio\":true", "malformed JSON");
    expect_bad("[1,2]", "not a JSON object");
    expect_bad("\"mute\"", "malformed JSON"); /* jansson wants an array or object on top */
    expect_bad("{}", "\"type\" must be a string");
    expect_bad("{\"type\":7}", "\"type\" must be a string");
    expect_bad("{\"type\":\"dance\"}", "unknown command type");
    expect_bad("{\"type\":\"mute\"}", "mute needs \"audio\": true or false");
    expect_bad("{\"type\":\"mute\",\"audio\":1}", "mute needs \"audio\": true or false");
    expect_bad("{\"type\":\"camera\",\"on\":\"yes\"}", "camera needs \"on\": true or false");
    expect_bad("{\"type\":\"hand\"}", "hand needs \"raised\": true or false");
    expect_bad("{\"type\":\"hand\",\"type\":\"mute\",\"raised\":true}", "malformed JSON");
    cv_command_t c;
    const char *why;
    char big[CV_COMMAND_MAX + 2];
    memset(big, ' ', sizeof(big));
    CHECK_EQ(cv_command_parse(big, sizeof(big), &c, &why), CV_E_NOSPACE);
    CHECK(why != NULL);
    /* not NUL-terminated input is read by its length only */
    const char raw[] = {'{', '}', 'x'};
    CHECK_EQ(cv_command_parse(raw, 2, &c, &why), CV_E_INVAL);
}

static void test_moderator_commands(void)
{
    cv_command_t c;
    const char *why;
    CHECK_EQ(parse("{\"type\":\"layout\",\"layout\":\"lecture\"}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_LAYOUT);
    CHECK_EQ(c.layout, CV_LAYOUT_MODE_LECTURE);
    CHECK(why == NULL);
    CHECK_EQ(parse("{\"type\":\"layout\",\"layout\":\"speaker\"}", &c, &why), 0);
    CHECK_EQ(c.layout, CV_LAYOUT_MODE_SPEAKER);
    CHECK_EQ(parse("{\"type\":\"layout\",\"layout\":\"grid\"}", &c, &why), 0);
    CHECK_EQ(c.layout, CV_LAYOUT_MODE_GRID);
    CHECK_EQ(
        parse("{\"type\":\"floor\",\"participant\":\"0123456789abcdef\",\"on\":true}", &c, &why),
        0);
    CHECK_EQ(c.type, CV_CMD_FLOOR);
    CHECK_EQ(c.flag, 1);
    CHECK_STR(c.participant, "0123456789abcdef");
    CHECK_EQ(
        parse("{\"type\":\"floor\",\"participant\":\"fedcba9876543210\",\"on\":false}", &c, &why),
        0);
    CHECK_EQ(c.flag, 0);
    CHECK_STR(c.participant, "fedcba9876543210");
    CHECK_EQ(
        parse("{\"type\":\"mute_participant\",\"participant\":\"00000000000000ff\"}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_MUTE_PARTICIPANT);
    CHECK_STR(c.participant, "00000000000000ff");
    CHECK_EQ(parse("{\"type\":\"remove\",\"participant\":\"a0a0a0a0a0a0a0a0\"}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_REMOVE);
    CHECK_STR(c.participant, "a0a0a0a0a0a0a0a0");
    CHECK_EQ(parse("{\"type\":\"lock\",\"locked\":true}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_LOCK);
    CHECK_EQ(c.flag, 1);
    CHECK_EQ(parse("{\"type\":\"lock\",\"locked\":false}", &c, &why), 0);
    CHECK_EQ(c.flag, 0);
    CHECK_EQ(parse("{\"type\":\"record\",\"on\":true}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_RECORD);
    CHECK_EQ(c.flag, 1);
    CHECK_EQ(parse("{\"on\":false,\"type\":\"record\"}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_RECORD);
    CHECK_EQ(c.flag, 0);
    CHECK_EQ(parse("{\"type\":\"password\",\"password\":\"correct horse\"}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_PASSWORD);
    CHECK_STR(c.text, "correct horse");
    CHECK_EQ(parse("{\"type\":\"password\",\"password\":null}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_PASSWORD);
    CHECK_STR(c.text, "");
    /* exactly 128 characters: fine */
    char json[400];
    int n = snprintf(json, sizeof(json), "{\"type\":\"password\",\"password\":\"");
    memset(json + n, 'p', 128);
    strcpy(json + n + 128, "\"}");
    CHECK_EQ(parse(json, &c, &why), 0);
    CHECK_EQ(strlen(c.text), 128);
    memset(json + n, 'p', 129);
    strcpy(json + n + 129, "\"}");
    CHECK_EQ(parse(json, &c, &why), CV_E_INVAL);
}

static void test_moderator_refused(void)
{
    const char *layout = "layout needs \"layout\": \"grid\", \"speaker\" or \"lecture\"";
    expect_bad("{\"type\":\"layout\"}", layout);
    expect_bad("{\"type\":\"layout\",\"layout\":\"Grid\"}", layout);
    expect_bad("{\"type\":\"layout\",\"layout\":2}", layout);
    const char *floor =
        "floor needs \"participant\": an id of the roster and \"on\": true or false";
    expect_bad("{\"type\":\"floor\",\"participant\":\"0123456789abcdef\"}", floor);
    expect_bad("{\"type\":\"floor\",\"on\":true}", floor);
    /* ids are 16 lowercase hex digits: shorter, longer, upper case, a secret session id */
    expect_bad("{\"type\":\"floor\",\"participant\":\"0123456789abcde\",\"on\":true}", floor);
    expect_bad("{\"type\":\"floor\",\"participant\":\"0123456789ABCDEF\",\"on\":true}", floor);
    expect_bad("{\"type\":\"floor\",\"participant\":\"0123456789abcdef0\",\"on\":true}", floor);
    expect_bad("{\"type\":\"floor\",\"participant\":7,\"on\":true}", floor);
    expect_bad("{\"type\":\"mute_participant\"}",
               "mute_participant needs \"participant\": an id of the roster");
    expect_bad("{\"type\":\"remove\",\"participant\":\"../../etc/passwd\"}",
               "remove needs \"participant\": an id of the roster");
    expect_bad("{\"type\":\"lock\",\"locked\":\"yes\"}", "lock needs \"locked\": true or false");
    expect_bad("{\"type\":\"record\"}", "record needs \"on\": true or false");
    expect_bad("{\"type\":\"record\",\"on\":1}", "record needs \"on\": true or false");
    const char *pw = "password needs \"password\": null or 1 to 128 printable ASCII characters, "
                     "no space at either end";
    expect_bad("{\"type\":\"password\"}", pw);
    expect_bad("{\"type\":\"password\",\"password\":\"\"}", pw);
    expect_bad("{\"type\":\"password\",\"password\":\" x\"}", pw);
    expect_bad("{\"type\":\"password\",\"password\":\"x \"}", pw);
    expect_bad("{\"type\":\"password\",\"password\":\"tab\\there\"}", pw);
    expect_bad("{\"type\":\"password\",\"password\":\"caf\\u00e9\"}", pw);
    expect_bad("{\"type\":\"password\",\"password\":1234}", pw);
}

static void test_waiting_room_commands(void)
{
    cv_command_t c;
    const char *why;
    CHECK_EQ(parse("{\"type\":\"lobby\",\"lobby\":\"all\"}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_LOBBY);
    CHECK_EQ(c.flag, CV_LOBBY_ALL);
    CHECK_EQ(parse("{\"type\":\"lobby\",\"lobby\":\"no\"}", &c, &why), 0);
    CHECK_EQ(c.flag, CV_LOBBY_NO);
    CHECK_EQ(parse("{\"type\":\"admit\",\"participant\":\"00ff00ff00ff00ff\"}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_ADMIT);
    CHECK_STR(c.participant, "00ff00ff00ff00ff");
    CHECK_EQ(parse("{\"type\":\"deny\",\"participant\":\"0123456789abcdef\"}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_DENY);
    CHECK_EQ(parse("{\"type\":\"admit_all\"}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_ADMIT_ALL);
    const char *lobby = "lobby needs \"lobby\": \"no\", \"yes\" or \"all\"";
    expect_bad("{\"type\":\"lobby\"}", lobby);
    expect_bad("{\"type\":\"lobby\",\"lobby\":true}", lobby);
    expect_bad("{\"type\":\"lobby\",\"lobby\":\"Yes\"}", lobby);
    expect_bad("{\"type\":\"admit\",\"participant\":\"0123\"}",
               "admit needs \"participant\": an id of the waiting list");
    expect_bad("{\"type\":\"deny\"}", "deny needs \"participant\": an id of the waiting list");
}

static void test_breakout_commands(void)
{
    cv_command_t c;
    const char *why;
    CHECK_EQ(parse("{\"type\":\"breakout_open\",\"groups\":3,\"duration\":600}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_BREAKOUT_OPEN);
    CHECK_EQ(c.groups, 3);
    CHECK_EQ(c.duration, 600);
    CHECK_EQ(c.n_assign, -1); /* random when not said */
    CHECK_EQ(parse("{\"type\":\"breakout_open\",\"groups\":2,\"assign\":"
                   "{\"00000000000000a1\":2,\"00000000000000b2\":1}}",
                   &c, &why),
             0);
    CHECK_EQ(c.n_assign, 2);
    CHECK_STR(c.assign[0].id, "00000000000000a1");
    CHECK_EQ(c.assign[0].group, 2);
    CHECK_EQ(c.assign[1].group, 1);
    CHECK_EQ(c.duration, 0);
    CHECK_EQ(parse("{\"type\":\"breakout_visit\",\"group\":20}", &c, &why), 0);
    CHECK(c.type == CV_CMD_BREAKOUT_VISIT && c.groups == 20);
    CHECK_EQ(parse("{\"type\":\"breakout_close\"}", &c, &why), 0);
    CHECK_EQ(c.type, CV_CMD_BREAKOUT_CLOSE);
    CHECK_EQ(parse("{\"type\":\"breakout_broadcast\",\"text\":\"back in 2\"}", &c, &why), 0);
    CHECK(c.type == CV_CMD_BREAKOUT_BROADCAST && strcmp(c.text, "back in 2") == 0);
    const char *open = "breakout_open needs \"groups\": 2 to 20, \"assign\": \"random\" or "
                       "{id: group}, \"duration\": 0 to 14400 seconds";
    expect_bad("{\"type\":\"breakout_open\"}", open);
    expect_bad("{\"type\":\"breakout_open\",\"groups\":1}", open);
    expect_bad("{\"type\":\"breakout_open\",\"groups\":21}", open);
    expect_bad("{\"type\":\"breakout_open\",\"groups\":\"3\"}", open);
    expect_bad("{\"type\":\"breakout_open\",\"groups\":3,\"duration\":-1}", open);
    expect_bad("{\"type\":\"breakout_open\",\"groups\":3,\"duration\":14401}", open);
    expect_bad("{\"type\":\"breakout_open\",\"groups\":3,\"assign\":\"alphabetical\"}", open);
    expect_bad("{\"type\":\"breakout_open\",\"groups\":3,\"assign\":{\"00000000000000a1\":4}}",
               open);
    expect_bad("{\"type\":\"breakout_open\",\"groups\":3,\"assign\":{\"00000000000000a1\":0}}",
               open);
    expect_bad("{\"type\":\"breakout_open\",\"groups\":3,\"assign\":{\"XYZ\":1}}", open);
    expect_bad("{\"type\":\"breakout_visit\",\"group\":0}",
               "breakout_visit needs \"group\": 1 to 20");
    expect_bad("{\"type\":\"breakout_broadcast\",\"text\":\"\"}",
               "breakout_broadcast needs \"text\" of 1 to 1000 bytes");
}

int main(void)
{
    test_accepted();
    test_receive_and_view();
    test_chat_limits();
    test_refused();
    test_moderator_commands();
    test_moderator_refused();
    test_waiting_room_commands();
    test_breakout_commands();
    return CHECK_DONE("test_command");
}
