// recording.js - whether the meeting is being recorded, shown to everyone
// (conclave(8), Recording): in the call, a lasting indicator
// (#recording-indicator) and an announcement to screen readers
// (#recording-live, aria-live="assertive") whenever it changes or when we
// join a meeting that is being recorded; before a join, the notice of the
// pre-join screen (#prejoin-recording), from the Conclave-Recording header of
// the room's ice-servers answer (only whoever may join gets it). A
// moderator's write error (recording_error) goes to the status line.

import { roomBearer } from './access.js';
import { $ } from './dom.js';
import { t } from './i18n.js';
import { say } from './status.js';

const ui = {
    indicator: $('recording-indicator'),
    live: $('recording-live'),
    notice: $('prejoin-recording'),
};

let shown = null; // what the call shows: null before the room told us

function announce(text) {
    // a new text node, so that the same words are read again
    ui.live.textContent = '';
    setTimeout(() => {
        ui.live.textContent = text;
    }, 50);
}

// The room is (on) or is not being recorded.
export function showRecording(on) {
    const now = on === true;
    ui.indicator.hidden = !now;
    if (shown === null ? now : now !== shown) {
        announce(t(now ? 'recording.on' : 'recording.off'));
    }
    shown = now;
}

// The call ended: nothing is shown until the next room says.
export function resetRecording() {
    shown = null;
    ui.indicator.hidden = true;
    ui.live.textContent = '';
}

// The server's reason is in English: the page says it in its own words.
export function onRecordingError() {
    say(t('recording.failed'), { error: true });
}

// Asks the server whether `room` is being recorded, and shows the notice on
// the pre-join screen; no answer (a password is needed first) shows none.
export async function checkPrejoinRecording(room) {
    ui.notice.hidden = true;
    const bearer = roomBearer(room);
    try {
        const res = await fetch(`rooms/${encodeURIComponent(room)}/ice-servers`, {
            headers: bearer ? { Authorization: `Bearer ${bearer}` } : {},
        });
        ui.notice.hidden = res.headers.get('Conclave-Recording') !== 'on';
    } catch {
        ui.notice.hidden = true;
    }
}
