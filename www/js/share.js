// share.js - sharing a screen in a call: the screen (media.js) is sent on a
// second WHIP session, role=screen, owned by the call's current session and
// presenting its credentials; it is sent again on the new session after a
// rejoin (call.js) and ends when the browser's own "stop sharing" ends the
// track, when its connection fails, or with the #share-screen button.
//
// Each function takes the call; call.screen is { stream, track, injected,
// whip, onEnded } while sharing, else null. For tests,
// window.conclave.screen is { pc, sessionUrl } once the session exists.

import { $, setPressed } from './dom.js';
import { errorText, t } from './i18n.js';
import { openScreen } from './media.js';
import { say } from './status.js';
import { whipConnect } from './whip.js';

const button = $('share-screen');

export async function toggleShare(call) {
    if (call.screen) {
        stopShare(call, t('share.stopped'));
        return;
    }
    if (!call.link) {
        say(t('share.wait'), { transient: true });
        return;
    }
    const got = await openScreen();
    if (got.problem) {
        say(got.problem, { error: got.error, transient: true });
        return;
    }
    const { stream, track, injected } = got;
    if (!track || call.ended) {
        return;
    }
    const screen = { stream, track, injected, whip: null };
    screen.onEnded = () => {
        if (call.screen === screen) {
            stopShare(call, t('share.ended'));
        }
    };
    track.addEventListener('ended', screen.onEnded);
    call.screen = screen;
    setPressed(button, true);
    try {
        await connectScreen(call);
        say(t('share.on'), { transient: true });
    } catch (e) {
        stopShare(call, t('share.failed', { reason: errorText(e) }), true);
    }
}

// A WHIP session for the screen, owned by the current session.
export async function connectScreen(call) {
    const screen = call.screen;
    const link = call.link;
    if (!screen || !link) {
        return;
    }
    // the owner's session goes in a header, never in the URL
    const query = new URLSearchParams({ role: 'screen', name: call.name });
    const url = `rooms/${encodeURIComponent(call.room)}/whip?${query}`;
    const whip = await whipConnect(url, {
        stream: new MediaStream([screen.track]),
        token: link.bearer,
        session: link.sessionId,
    });
    if (call.screen !== screen || call.link !== link) {
        whip.close();
        return;
    }
    screen.whip = whip;
    if (window.conclave) {
        window.conclave.screen = { pc: whip.pc, sessionUrl: whip.location };
    }
    whip.pc.addEventListener('connectionstatechange', () => {
        const st = whip.pc.connectionState;
        if (call.screen === screen && screen.whip === whip && st === 'failed') {
            // the main link is rejoined separately; this one alone ends
            if (call.link === link && !call.reconnecting) {
                stopShare(call, t('share.lost'), true);
            }
        }
    });
}

// The session of the screen ends with the call's session it belongs to
// (at once, without waiting for the DELETE); the screen stays to be sent
// again on the next one.
export function dropScreenSession(call) {
    if (call.screen && call.screen.whip) {
        const w = call.screen.whip;
        call.screen.whip = null;
        w.close();
        w.pc.close();
    }
}

function releaseScreen(screen) {
    screen.track.removeEventListener('ended', screen.onEnded);
    if (screen.whip) {
        screen.whip.close();
    }
    if (!screen.injected) {
        screen.stream.getTracks().forEach((t) => t.stop());
    }
}

// Leaving the call: the screen and its session end, nothing is said.
export function releaseShare(call) {
    if (call.screen) {
        const s = call.screen;
        call.screen = null;
        releaseScreen(s);
    }
}

export function stopShare(call, message, isError = false) {
    const screen = call.screen;
    call.screen = null;
    setPressed(button, false);
    if (window.conclave) {
        window.conclave.screen = null;
    }
    if (screen) {
        releaseScreen(screen);
    }
    if (message) {
        say(message, { error: isError, transient: true });
    }
}
