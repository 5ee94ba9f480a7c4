/*
 * config_int.h - what the parts of the config loader share, private to
 * signaling/config*.c: config.c reads the file and its sections,
 * config_lists.c checks the values that are lists (addresses, room names,
 * TURN URLs) and quotes bad values for messages. Pure.
 */
#ifndef CV_CONFIG_INT_H
#define CV_CONFIG_INT_H

#include <stddef.h>

#define QUOTE_MAX 48 /* bytes of a bad value repeated in a message */

/* Copies at most QUOTE_MAX bytes of s into out for a message, control bytes
 * and non-ASCII shown as '?', "..." appended when cut. Returns out. */
const char *cv_config_quote(char *out, size_t cap, const char *s, size_t n);
/* 1 when s is an IPv4 literal (or, with allow_v6, an IPv6 one). */
int cv_config_is_ip(const char *s, int allow_v6);
/* The list values: "a, b ,c" checked and written "a,b,c" into out (cap
 * bytes). 0, or CV_E_INVAL with a one-line reason in why. */
int cv_config_set_addrs(char *out, size_t cap, const char *v, char *why, size_t whycap);
int cv_config_set_rooms(char *out, size_t cap, const char *v, char *why, size_t whycap);
int cv_config_set_turn_urls(char *out, size_t cap, const char *v, char *why, size_t whycap);

#endif
