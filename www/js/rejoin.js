// rejoin.js - joining again when a call's session is lost.
//
// When the peer connection fails, stays "disconnected" for more than 5 s,
// does not connect within 20 s (link.js), or the event stream fails
// repeatedly (or is refused, as after a server restart; events.js), the call
// drops the old session (DELETE, best effort) and joins again with a new
// WHIP session and a new event stream after 1 s, then 2 s, 4 s ... at most
// 30 s between tries, saying "Reconnecting…" in the status line. The
// microphone, camera and hand state and a running screen share are restored
// on the new session (call.js). When the server says it is shutting down (a
// "shutdown" event), the call shows "The server is shutting down" and tries
// again later with the same backoff, starting at 4 s (a restart comes back;
// a stop is not hammered).
//
// Each function takes the call: its fields attempt (failed tries since the
// last good connection), reconnecting, retryTimer and serverDown are kept
// here; call.dropLink() and call.connect(true) do the work.

import { errorText, t } from './i18n.js';
import { showQuality, showStageNote } from './stage.js';
import { say } from './status.js';

const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const SHUTDOWN_FIRST_ATTEMPT = 2; // after a shutdown event the first try waits 4 s

// Drops the session, shows the phrase `note` on the stage and the connection as
// poor (`quality`, `detail`), and rejoins with backoff (`why` is said).
function interrupt(call, note, quality, detail, why) {
    if (call.ended || call.reconnecting) {
        return;
    }
    call.reconnecting = true;
    call.dropLink();
    showStageNote(note);
    showQuality('poor', quality, detail);
    retryLater(call, why);
}

// Something broke: drop the session and rejoin with backoff.
export function lost(call, why) {
    interrupt(call, 'stage.reconnecting', t('quality.lost'), why, why);
}

// The server announced it is going down: its stream and session end in
// a moment. Say so, and rejoin later with the backoff (from 4 s).
export function serverShuttingDown(call) {
    if (call.ended || call.reconnecting) {
        return;
    }
    call.attempt = Math.max(call.attempt, SHUTDOWN_FIRST_ATTEMPT);
    call.serverDown = true; // said until a rejoin succeeds
    interrupt(
        call,
        'rejoin.shutdown',
        t('quality.server-stopped'),
        t('lost.shutting-down'),
        t('rejoin.shutdown-why'),
    );
}

function retryLater(call, why) {
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** call.attempt);
    call.attempt++;
    const secs = Math.round(delay / 1000);
    say(
        why
            ? t('rejoin.next', { why, seconds: secs })
            : t('rejoin.next-plain', { seconds: secs }),
    );
    call.nextTryAt = Date.now() + delay;
    call.retryTimer = setTimeout(() => retry(call), delay);
}

async function retry(call) {
    call.retryTimer = 0;
    if (call.ended) {
        return;
    }
    say(t('rejoin.try', { count: call.attempt }));
    try {
        await call.connect(true);
    } catch (e) {
        if (call.ended) {
            return;
        }
        call.dropLink();
        call.reconnecting = true;
        if (call.serverDown && !e.status) {
            // still down: keep saying why rather than a bare network error
            showStageNote('rejoin.shutdown');
            retryLater(call, t('rejoin.shutdown-why'));
            return;
        }
        // a refusal carries the server's reason; anything else is the network
        retryLater(call, e.status ? errorText(e) : t('lost.unreachable'));
        return;
    }
    call.serverDown = false;
    if (call.link && call.link.whip.pc.connectionState !== 'connected') {
        say(t('rejoin.connecting'));
    }
}

// Tries at once when the browser says the network is back.
export function retryNow(call) {
    if (call.reconnecting && call.retryTimer) {
        clearTimeout(call.retryTimer);
        retry(call);
    }
}
