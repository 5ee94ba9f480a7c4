/*
 * err.c - names of the CV_E* codes. Any thread, no state.
 */
#include "err.h"

const char *cv_strerror(int err)
{
    switch (err) {
    case CV_OK: return "ok";
    case CV_E_SHORT: return "truncated input";
    case CV_E_INVAL: return "malformed input";
    case CV_E_UNSUPPORTED: return "unsupported";
    case CV_E_NOSPACE: return "buffer too small";
    case CV_E_NOMEM: return "out of memory";
    case CV_E_CRYPTO: return "cryptographic failure";
    case CV_E_STATE: return "invalid state";
    case CV_E_AGAIN: return "try again";
    case CV_E_IO: return "i/o error";
    case CV_E_NOTFOUND: return "not found";
    case CV_E_FULL: return "full";
    case CV_E_CODEC: return "codec error";
    case CV_E_REPLAY: return "replayed packet";
    default: return "unknown error";
    }
}
