/*
 * test_command.c - participant commands: accepted forms and every refusal.
 */
#include "check.h"
#include "command.h"
#include "err.h"

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

int main(void)
{
    test_accepted();
    test_chat_limits();
    test_refused();
    return CHECK_DONE("test_command");
}
