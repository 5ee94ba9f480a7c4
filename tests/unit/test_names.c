/*
 * test_names.c - display names (names.c): UTF-8 validity, the characters a
 * name may not hold, the length in characters, the spaces trimmed, equal
 * names and the numbered suffix.
 */
#include "check.h"
#include "names.h"

#include <stdio.h>
#include <string.h>

static char out[CV_NAME_MAX_BYTES + 1];

static int ok(const char *name)
{
    return cv_name_clean(name, out, sizeof(out)) == NULL;
}

static void test_valid(void)
{
    CHECK(ok("Ada"));
    CHECK_STR(out, "Ada");
    CHECK(ok(""));
    CHECK_STR(out, "");
    CHECK(ok("  Ada L.  "));
    CHECK_STR(out, "Ada L.");
    CHECK(ok("Zoë"));
    CHECK(ok("\xe5\xbc\xa0\xe4\xbc\x9f"));         /* two CJK characters */
    CHECK(ok("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d")); /* Hebrew: right to left, no control */
    CHECK(ok("\xf0\x9f\x99\x82 Bo"));              /* an emoji (4 bytes) */
}

static void test_invalid_utf8(void)
{
    CHECK(!ok("\xc3\x28"));         /* the finding: a lead byte without its continuation */
    CHECK(!ok("Ada\xc3"));          /* cut at the end */
    CHECK(!ok("\x80"));             /* a lone continuation byte */
    CHECK(!ok("\xc0\xaf"));         /* overlong '/' */
    CHECK(!ok("\xe0\x80\xaf"));     /* overlong, three bytes */
    CHECK(!ok("\xed\xa0\x80"));     /* a surrogate, U+D800 */
    CHECK(!ok("\xf4\x90\x80\x80")); /* past U+10FFFF */
    CHECK(!ok("\xff"));
    CHECK_STR(out, "");
    CHECK(cv_name_clean("\xc3\x28", out, sizeof(out)) != NULL &&
          strstr(cv_name_clean("\xc3\x28", out, sizeof(out)), "UTF-8"));
}

static void test_hidden_and_controls(void)
{
    CHECK(!ok("A\tB"));
    CHECK(!ok("A\x7f"));
    CHECK(!ok("A\xc2\x85")); /* C1 NEL */
    CHECK(!ok("A\xe2\x80\xae"
              "B")); /* U+202E right-to-left override */
    CHECK(!ok("A\xe2\x80\xaa"
              "B")); /* U+202A embedding */
    CHECK(!ok("A\xe2\x81\xa6"
              "B")); /* U+2066 isolate */
    CHECK(!ok("A\xe2\x81\xa9"
              "B"));             /* U+2069 pop isolate */
    CHECK(!ok("A\xe2\x80\x8f")); /* U+200F right-to-left mark */
    CHECK(!ok("A\xe2\x80\x8b"
              "da")); /* U+200B zero-width space */
    CHECK(!ok("A\xe2\x80\x8d"
              "da")); /* U+200D zero-width joiner */
    CHECK(!ok("A\xe2\x81\xa0"
              "da")); /* U+2060 word joiner */
    CHECK(!ok("\xef\xbb\xbf"
              "Ada"));                 /* U+FEFF */
    CHECK(!ok("Ada\xc2\xad"));         /* soft hyphen */
    CHECK(!ok("Ada\xf3\xa0\x80\x81")); /* U+E0001 language tag */
    CHECK(!ok("A\xe2\x80\xa8"
              "B"));            /* U+2028 line separator */
    CHECK(!ok("\xef\xbf\xbf")); /* U+FFFF */
    /* neighbours of the refused ranges pass */
    CHECK(ok("A\xe2\x80\x90"
             "B")); /* U+2010 hyphen */
    CHECK(ok("A\xe2\x80\xaf"
             "B")); /* U+202F narrow no-break space */
}

static void test_length_in_characters(void)
{
    char s[512];
    memset(s, 'a', 64);
    s[64] = 0;
    CHECK(ok(s));
    s[64] = 'a';
    s[65] = 0;
    CHECK(!ok(s));
    /* 64 two-byte characters (128 bytes) pass; 65 do not */
    s[0] = 0;
    for (int i = 0; i < 64; i++)
        strcat(s, "\xc3\xa9");
    CHECK(ok(s));
    CHECK_EQ(strlen(out), 128);
    CHECK_EQ(cv_name_chars(out), 64);
    strcat(s, "\xc3\xa9");
    CHECK(!ok(s));
    /* 64 four-byte characters fit the buffer */
    s[0] = 0;
    for (int i = 0; i < 64; i++)
        strcat(s, "\xf0\x9f\x99\x82");
    CHECK(ok(s));
    CHECK_EQ(strlen(out), 256);
}

static void test_same_and_numbered(void)
{
    CHECK(cv_name_same("Ada", "ada"));
    CHECK(cv_name_same("ADA L.", "ada l."));
    CHECK(!cv_name_same("Ada", "Ada "));
    CHECK(!cv_name_same("Ada", "Adam"));
    CHECK(!cv_name_same("Zoë", "ZOË")); /* only ASCII letters fold */
    char n[CV_NAME_MAX_BYTES + 1];
    cv_name_numbered("Ada", 2, n, sizeof(n));
    CHECK_STR(n, "Ada (2)");
    cv_name_numbered("Ada", 12, n, sizeof(n));
    CHECK_STR(n, "Ada (12)");
    /* a long name is cut at a character boundary to stay within 64 characters */
    char s[512] = "";
    for (int i = 0; i < 64; i++)
        strcat(s, "\xc3\xa9");
    cv_name_numbered(s, 2, n, sizeof(n));
    CHECK_EQ(cv_name_chars(n), 64);
    CHECK(ok(n));
    CHECK(strcmp(n + strlen(n) - 4, " (2)") == 0);
    /* a space where the cut falls is not doubled */
    memset(s, 'a', 64);
    s[59] = ' ';
    s[64] = 0;
    cv_name_numbered(s, 2, n, sizeof(n));
    CHECK_EQ(strlen(n), 59 + 4);
    CHECK(ok(n));
}

int main(void)
{
    test_valid();
    test_invalid_utf8();
    test_hidden_and_controls();
    test_length_in_characters();
    test_same_and_numbered();
    return CHECK_DONE("test_names");
}
