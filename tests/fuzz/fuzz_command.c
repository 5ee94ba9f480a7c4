/*
 * fuzz_command.c - participant commands from the network (JSON).
 * Invariants: a result is either a known command with sane fields or a
 * refusal with a reason.
 */
#include "command.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_command_t c;
    const char *why = NULL;
    int rc = cv_command_parse((const char *)data, size, &c, &why);
    if (rc == 0) {
        if (why != NULL || c.type < CV_CMD_MUTE || c.type > CV_CMD_CHAT)
            abort();
        if (c.type == CV_CMD_CHAT) {
            size_t n = strlen(c.text);
            if (n < 1 || n > CV_CHAT_MAX)
                abort();
        } else if (c.flag != 0 && c.flag != 1) {
            abort();
        }
    } else if ((rc != CV_E_INVAL && rc != CV_E_NOSPACE) || !why) {
        abort();
    }
    return 0;
}
