/*
 * settings.h - the settings in force, shared by every thread, replaced
 * whole by a reload (SIGHUP).
 *
 * A reader takes the current snapshot with cv_settings_hold, reads it
 * (it never changes), and gives it back with cv_settings_release; a reload
 * swaps in a new snapshot and the old one is freed by whichever thread
 * releases it last. The lock is held for a pointer copy and a reference
 * count, never while a reader reads. Any thread.
 */
#ifndef CV_SETTINGS_H
#define CV_SETTINGS_H

#include "config.h"

typedef struct cv_settings cv_settings_t;

/* Starts with a copy of c. */
cv_settings_t *cv_settings_create(const cv_config_t *c);
/* Frees the store and its current snapshot; every held snapshot must have
 * been released. NULL ok. */
void cv_settings_destroy(cv_settings_t *s);
/* The snapshot in force (read-only) until cv_settings_release. */
const cv_config_t *cv_settings_hold(cv_settings_t *s);
void cv_settings_release(const cv_config_t *c);
/* Puts a copy of c in force; readers holding the previous one keep it. */
void cv_settings_replace(cv_settings_t *s, const cv_config_t *c);

#endif
