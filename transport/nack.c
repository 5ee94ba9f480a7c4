/*
 * nack.c - missing-packet tracking for generic NACK (RFC 4585 §6.2.1). Pure.
 */
#include "nack.h"

#include <string.h>

void cv_nack_init(cv_nack_t *k)
{
    memset(k, 0, sizeof(*k));
}

static void remove_at(cv_nack_t *k, int i)
{
    memmove(&k->e[i], &k->e[i + 1], (size_t)(k->n - i - 1) * sizeof(k->e[0]));
    k->n--;
}

void cv_nack_on_packet(cv_nack_t *k, uint64_t seq, int64_t now_us)
{
    if (!k->started) {
        k->started = 1;
        k->highest = seq;
        return;
    }
    if (seq > k->highest) {
        if (seq - k->highest > CV_NACK_MAX_GAP) {
            k->n = 0; /* the sender restarted or skipped: nothing to recover */
        } else {
            for (uint64_t s = k->highest + 1; s < seq; s++) {
                if (k->n == CV_NACK_MAX) { /* keep the newest: drop the oldest */
                    remove_at(k, 0);
                    k->given_up++;
                }
                k->e[k->n++] = (cv_nack_entry_t){.seq = s, .first_us = now_us};
            }
        }
        k->highest = seq;
        return;
    }
    for (int i = 0; i < k->n; i++) {
        if (k->e[i].seq == seq) {
            remove_at(k, i);
            k->recovered++;
            return;
        }
    }
}

int cv_nack_poll(cv_nack_t *k, int64_t now_us, int64_t retry_us, int64_t max_age_us, uint16_t *out,
                 int max)
{
    int count = 0;
    for (int i = 0; i < k->n;) {
        cv_nack_entry_t *e = &k->e[i];
        if (e->tries >= CV_NACK_TRIES || now_us - e->first_us > max_age_us) {
            remove_at(k, i);
            k->given_up++;
            continue;
        }
        if (count < max && (e->tries == 0 || now_us - e->sent_us >= retry_us)) {
            out[count++] = (uint16_t)e->seq;
            e->tries++;
            e->sent_us = now_us;
            k->requested++;
        }
        i++;
    }
    return count;
}

int64_t cv_nack_next_deadline(const cv_nack_t *k, int64_t retry_us, int64_t max_age_us)
{
    int64_t next = -1;
    for (int i = 0; i < k->n; i++) {
        const cv_nack_entry_t *e = &k->e[i];
        int64_t t = e->tries == 0 ? e->first_us : e->sent_us + retry_us;
        int64_t expire = e->first_us + max_age_us + 1;
        if (e->tries >= CV_NACK_TRIES || expire < t)
            t = expire; /* only its removal is left */
        if (next < 0 || t < next)
            next = t;
    }
    return next;
}
