/*
 * fuzz_config.c - the ini reader (conclave.ini is an admin's file, but a
 * parser of bytes all the same). Invariants: on success the values are in
 * their documented ranges; on failure the message names the file and the
 * settings are unchanged.
 */
#include "config.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    cv_config_t c, before;
    cv_config_defaults(&c);
    before = c;
    char err[256];
    int rc = cv_config_load_string(&c, "fuzz.ini", text, err, sizeof(err));
    if (rc == 0) {
        if (c.http_port < 1 || c.http_port > 65535 || c.ice_port_min > c.ice_port_max ||
            c.mixer_threads < 1 || c.mixer_threads > 64 || (c.mixer_width & 1) ||
            (c.mixer_height & 1) || c.mixer_fps < 1 || c.mixer_fps > 60)
            abort();
    } else {
        if (rc != CV_E_INVAL || strncmp(err, "fuzz.ini", 8) != 0 ||
            memcmp(&c, &before, sizeof(c)) != 0)
            abort();
    }
    free(text);
    return 0;
}
