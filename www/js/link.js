// link.js - one session of a call, its "link": the WHIP session that sends
// the camera and the microphone and brings back one composite picture and
// one audio mix, the watch over its peer connection (connected, interrupted,
// failed, or not connected in time) with a connection-quality reading every
// 2 s, and the commands POSTed to the session. A call opens one link when it
// joins and a new one on every rejoin; the link also carries the room's
// event stream, which call.js opens and quietLink() closes.

import { joinWithCredentials } from './access.js';
import { statusText, t } from './i18n.js';
import { readStats, assess, describe, pathText } from './quality.js';
import { showQuality } from './stage.js';
import { say } from './status.js';
import { fetchWithTimeout, whipConnect } from './whip.js';

const DISCONNECTED_GRACE_MS = 5000;
const CONNECT_TIMEOUT_MS = 20000;
const STATS_EVERY_MS = 2000;
const COMMAND_TIMEOUT_MS = 8000;

function sessionIdOf(url) {
    const m = /\/sessions\/([^/?#]+)$/.exec(new URL(url).pathname);
    return m ? m[1] : '';
}

// Joins `room` as `name` with the credentials access.js holds, sending
// `stream`; onTrack(track, link) is called for each track that comes back.
// rejoin: this link replaces one that was lost. ticket: the waiting room's
// admission, for the first join. Resolves to the link
// { whip, events, timers, prevStats, rejoin, bearer, sessionUrl, sessionId };
// throws (with the server's reason) when the join fails.
export async function openLink({ room, name, stream, rejoin, ticket = null, onTrack }) {
    const query = new URLSearchParams({ name });
    const url = `rooms/${encodeURIComponent(room)}/whip?${query}`;
    const link = { whip: null, events: null, timers: new Set(), prevStats: null, rejoin };
    const { result: whip, bearer } = await joinWithCredentials(room, (token) =>
        whipConnect(url, {
            stream,
            token,
            ticket,
            onTrack: (track) => onTrack(track, link),
        }),
    );
    link.bearer = bearer; // the screen share presents it too
    link.whip = whip;
    link.sessionUrl = whip.location;
    link.sessionId = sessionIdOf(whip.location);
    return link;
}

// Stops the timers, the watcher and the event stream of a link.
export function quietLink(link) {
    link.timers.forEach((t) => clearTimeout(t));
    link.timers.clear();
    if (link.unwatch) {
        link.unwatch();
    }
    if (link.events) {
        link.events.close();
    }
}

// Watches the peer connection of `link` and samples its statistics for
// the quality display while isCurrent() says the link is the call's.
// onConnected() when it connects; onLost(why) when it fails, stays
// "disconnected" for more than 5 s or has not connected within 20 s.
export function watchLink(link, { isCurrent, onConnected, onLost }) {
    const pc = link.whip.pc;
    const later = (fn, ms) => {
        const t = setTimeout(() => {
            link.timers.delete(t);
            fn();
        }, ms);
        link.timers.add(t);
        return t;
    };
    let graceTimer = 0;
    const connectTimer = later(() => {
        if (pc.connectionState !== 'connected') {
            onLost(t('lost.no-connection'));
        }
    }, CONNECT_TIMEOUT_MS);
    const onState = () => {
        if (!isCurrent()) {
            return;
        }
        const st = pc.connectionState;
        if (st === 'connected') {
            clearTimeout(connectTimer);
            clearTimeout(graceTimer);
            graceTimer = 0;
            onConnected();
            say(t(link.rejoin ? 'link.reconnected' : 'link.connected'), { transient: true });
        } else if (st === 'disconnected') {
            if (!graceTimer) {
                say(t('link.interrupted'));
                graceTimer = later(() => {
                    if (pc.connectionState === 'disconnected') {
                        onLost(t('lost.interrupted'));
                    }
                }, DISCONNECTED_GRACE_MS);
            }
        } else if (st === 'failed') {
            onLost(t('lost.failed'));
        }
    };
    pc.addEventListener('connectionstatechange', onState);
    link.unwatch = () => pc.removeEventListener('connectionstatechange', onState);
    if (pc.connectionState !== 'new' && pc.connectionState !== 'connecting') {
        onState(); // it got there while the state commands were on their way
    }

    const sample = async () => {
        if (!isCurrent()) {
            return;
        }
        if (pc.connectionState === 'disconnected') {
            showQuality('poor', t('quality.interrupted'), t('quality.nothing'));
        } else if (pc.connectionState !== 'connected') {
            showQuality('unknown', t('quality.connecting'), '');
        } else {
            try {
                const cur = readStats(await pc.getStats());
                if (!isCurrent()) {
                    return;
                }
                const q = assess(link.prevStats, cur);
                link.prevStats = cur;
                if (q.level === 'unknown') {
                    showQuality('unknown', t('quality.checking'), '');
                } else {
                    const level = t(`quality.${q.level}`);
                    const path = pathText(q.path);
                    const text = path ? t('quality.with-path', { quality: level, path }) : level;
                    showQuality(q.level, text, describe(q));
                }
            } catch {
                // a closing connection has no statistics
            }
        }
        later(sample, STATS_EVERY_MS);
    };
    later(sample, 500);
}

// POSTs one command to the session of `link` (POST /rooms/{room}/command, the
// session in a Conclave-Session header); resolves to the HTTP status
// (0 when it could not be sent) and reports a refusal in the status line
// while isCurrent() says the link is the call's.
export async function sendCommand(link, obj, isCurrent) {
    try {
        return await fetchWithTimeout(
            link.sessionUrl.replace(/\/sessions\/[^/?#]+$/, '/command'),
            {
                method: 'POST',
                headers: { 'Content-Type': 'application/json', 'Conclave-Session': link.sessionId },
                body: JSON.stringify(obj),
            },
            COMMAND_TIMEOUT_MS,
            async (res) => {
                if (res.status !== 204 && res.status !== 200) {
                    // the reason in words: the phrase of the server's error code,
                    // else one for the status (never the server's English line)
                    const reason = statusText(res.status, res.headers.get('Conclave-Error') || '');
                    // 429: too many commands in a row; the server says how long to wait
                    const wait = res.status === 429 ? res.headers.get('Retry-After') : null;
                    const seconds = wait && /^[0-9]{1,5}$/.test(wait) ? Number(wait) : null;
                    if (isCurrent()) {
                        say(
                            seconds !== null
                                ? t('command.refused-wait', { reason, seconds })
                                : reason,
                            { error: true, transient: true },
                        );
                    }
                }
                return res.status;
            },
        );
    } catch {
        return 0; // a lost connection is found and rejoined elsewhere
    }
}
