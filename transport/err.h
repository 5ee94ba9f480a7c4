/*
 * err.h - the one error enum of conclave.
 *
 * Functions return int: >= 0 is success (or a byte count), a negative value is
 * one of the CV_E* codes below. Any thread.
 */
#ifndef CV_ERR_H
#define CV_ERR_H

enum cv_err {
    CV_OK = 0,
    CV_E_SHORT = -1,       /* input shorter than its own header says */
    CV_E_INVAL = -2,       /* malformed input or bad argument */
    CV_E_UNSUPPORTED = -3, /* well-formed, but a feature we do not handle */
    CV_E_NOSPACE = -4,     /* output buffer too small */
    CV_E_NOMEM = -5,       /* allocation failed where we do not abort */
    CV_E_CRYPTO = -6,      /* authentication / decryption / handshake failure */
    CV_E_STATE = -7,       /* call not valid in the object's current state */
    CV_E_AGAIN = -8,       /* nothing yet, try later */
    CV_E_IO = -9,          /* system call failed */
    CV_E_NOTFOUND = -10,   /* no such object */
    CV_E_FULL = -11,       /* queue or table full */
    CV_E_CODEC = -12,      /* codec refused the input */
    CV_E_REPLAY = -13,     /* packet seen before (SRTP replay protection) */
};

#endif
