/*
 * nack.c - missing-packet tracking for generic NACK (RFC 4585 §6.2.1). Pure.
 */
#include "nack.h"

#include <string.h>

void cv_nack_init(cv_nack_t *k)
{
    memset(k, 0, sizeof(*k));
}

void cv_nack_reset(cv_nack_t *k)
{
    int64_t delay = k->first_delay_us, answer = k->answer_us;
    cv_nack_init(k);
    k->first_delay_us = delay;
    k->answer_us = answer;
}

static void remove_at(cv_nack_t *k, int i)
{
    memmove(&k->e[i], &k->e[i + 1], (size_t)(k->n - i - 1) * sizeof(k->e[0]));
    k->n--;
}

int64_t cv_nack_on_packet(cv_nack_t *k, uint64_t seq, int64_t now_us)
{
    if (!k->started) {
        k->started = 1;
        k->highest = seq;
        return -1;
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
        return -1;
    }
    for (int i = 0; i < k->n; i++) {
        if (k->e[i].seq == seq) {
            const cv_nack_entry_t *e = &k->e[i];
            int64_t late = -1;
            if (e->tries == 0 || now_us - e->sent_us < k->answer_us) {
                late = now_us - e->first_us;
                k->reordered++;
            }
            remove_at(k, i);
            k->recovered++;
            return late;
        }
    }
    return -1;
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
        int due = e->tries == 0 ? now_us - e->first_us >= k->first_delay_us
                                : now_us - e->sent_us >= retry_us;
        if (count < max && due) {
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
        int64_t t = e->tries == 0 ? e->first_us + k->first_delay_us : e->sent_us + retry_us;
        int64_t expire = e->first_us + max_age_us + 1;
        if (e->tries >= CV_NACK_TRIES || expire < t)
            t = expire; /* only its removal is left */
        if (next < 0 || t < next)
            next = t;
    }
    return next;
}
