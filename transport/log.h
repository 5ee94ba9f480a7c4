/*
 * log.h - leveled logging to stderr. Any thread (one fprintf per line).
 *
 * Privacy (docs/STYLE.md, Logging and privacy): at the default level
 * (CV_LOG_WARN) nothing about who met, when, or in which room is written.
 * Messages that name a room, a participant or an address use CV_LOG_DEBUG only.
 */
#ifndef CV_LOG_H
#define CV_LOG_H

enum cv_log_level {
    CV_LOG_ERROR = 0,
    CV_LOG_WARN = 1,
    CV_LOG_INFO = 2,
    CV_LOG_DEBUG = 3,
};

void cv_log_set_level(int level);
/* Parse "error", "warn", "info", "debug"; returns the level or CV_E_INVAL. */
int cv_log_parse_level(const char *name);
void cv_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CV_ERROR(...) cv_log(CV_LOG_ERROR, __VA_ARGS__)
#define CV_WARN(...) cv_log(CV_LOG_WARN, __VA_ARGS__)
#define CV_INFO(...) cv_log(CV_LOG_INFO, __VA_ARGS__)
#define CV_DEBUG(...) cv_log(CV_LOG_DEBUG, __VA_ARGS__)

#endif
