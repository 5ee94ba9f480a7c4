/*
 * fuzz_command.c - participant commands from the network (JSON).
 * Invariants: a result is either a known command with sane fields (a
 * participant id of 16 hex digits, a layout mode, a password that fits a
 * Bearer header, a waiting-room mode, breakout groups, duration and places in
 * range) or a refusal with a reason.
 */
#include "access.h"
#include "command.h"
#include "config.h"
#include "err.h"
#include "room.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_command_t c;
    const char *why = NULL;
    int rc = cv_command_parse((const char *)data, size, &c, &why);
    if (rc == 0) {
        if (why != NULL || c.type < CV_CMD_MUTE || c.type > CV_CMD_BREAKOUT_BROADCAST)
            abort();
        size_t n = strlen(c.text);
        if ((c.type == CV_CMD_CHAT || c.type == CV_CMD_BREAKOUT_BROADCAST) &&
            (n < 1 || n > CV_CHAT_MAX))
            abort();
        if (c.type == CV_CMD_PASSWORD && n > 0 && !cv_access_password_ok(c.text, n))
            abort();
        if (c.type == CV_CMD_LAYOUT &&
            (c.layout < CV_LAYOUT_MODE_GRID || c.layout > CV_LAYOUT_MODE_LECTURE))
            abort();
        if (c.type == CV_CMD_FLOOR || c.type == CV_CMD_MUTE_PARTICIPANT ||
            c.type == CV_CMD_REMOVE || c.type == CV_CMD_ADMIT || c.type == CV_CMD_DENY) {
            if (strlen(c.participant) != CV_PUBLIC_ID_LEN ||
                strspn(c.participant, "0123456789abcdef") != CV_PUBLIC_ID_LEN)
                abort();
        }
        if (c.type == CV_CMD_LOBBY ? (c.flag < CV_LOBBY_NO || c.flag > CV_LOBBY_ALL)
                                   : (c.flag != 0 && c.flag != 1))
            abort();
        if (c.type == CV_CMD_BREAKOUT_OPEN) {
            if (c.groups < 2 || c.groups > 20 || c.duration < 0 || c.duration > 14400 ||
                c.n_assign < -1 || c.n_assign > CV_COMMAND_MAX_ASSIGN)
                abort();
            for (int i = 0; i < c.n_assign; i++)
                if (strlen(c.assign[i].id) != CV_PUBLIC_ID_LEN ||
                    strspn(c.assign[i].id, "0123456789abcdef") != CV_PUBLIC_ID_LEN ||
                    c.assign[i].group < 1 || c.assign[i].group > c.groups)
                    abort();
        }
        if (c.type == CV_CMD_BREAKOUT_VISIT && (c.groups < 1 || c.groups > 20))
            abort();
    } else if ((rc != CV_E_INVAL && rc != CV_E_NOSPACE) || !why) {
        abort();
    }
    return 0;
}
