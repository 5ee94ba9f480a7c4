// call.js - being in a room: the WHIP session (one composite picture and one
// audio mix come back), the room's event stream (roster, active speaker,
// chat, layout, room), the commands (mute, camera, hand, chat, and a
// moderator's, see access.js), a second WHIP
// session for a screen share, a connection-quality reading, and automatic
// rejoining when the connection or the server goes away. The people list
// and the chat log are drawn by panel.js.
//
// Rejoining: when the peer connection fails, stays "disconnected" for more
// than 5 s, does not connect within 20 s, or the event stream fails
// repeatedly (or is refused, as after a server restart), the call drops the
// old session (DELETE, best effort) and joins again with a new WHIP session
// and a new event stream after 1 s, then 2 s, 4 s ... at most 30 s between
// tries, saying "Reconnecting…" in the status line. The microphone, camera
// and hand state and a running screen share are restored on the new session.
// When the server says it is shutting down (a "shutdown" event), the call
// shows "The server is shutting down" and tries again later with the same
// backoff, starting at 4 s (a restart comes back; a stop is not hammered).
//
// For tests, while in a call window.conclave = { pc, sessionUrl, sessionId,
// publicId, room, screen } (screen: { pc, sessionUrl } while sharing, else
// null); it is replaced on every rejoin and removed on leaving.

import { whipConnect } from './whip.js';
import {
    hideRoomControls,
    joinWithCredentials,
    renderRoomControls,
    saveToken,
} from './access.js';
import { $, setPressed } from './dom.js';
import { openEvents } from './events.js';
import {
    addChatMessage,
    announceChanges,
    renderRoster,
    resetPanel,
    sendChat,
    str,
} from './panel.js';
import { applyMute, openScreen, screenAvailable } from './media.js';
import { readStats, assess, describe, pathText } from './quality.js';
import { say } from './status.js';

const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const SHUTDOWN_FIRST_ATTEMPT = 2; // after a shutdown event the first try waits 4 s
const DISCONNECTED_GRACE_MS = 5000;
const CONNECT_TIMEOUT_MS = 20000;
const STATS_EVERY_MS = 2000;
const COMMAND_TIMEOUT_MS = 8000;
const SHUTDOWN_NOTE = 'The server is shutting down.';
const PAUSED_NOTE = 'Video paused: weak connection';

const ui = {
    video: $('remote-video'),
    audio: $('remote-audio'),
    stageNote: $('stage-note'),
    enableSound: $('enable-sound'),
    room: $('call-room'),
    presenter: $('presenter-note'),
    qualityBox: $('quality-box'),
    quality: $('quality'),
    chatForm: $('chat-form'),
    mic: $('mute-mic'),
    camera: $('mute-camera'),
    share: $('share-screen'),
    hand: $('raise-hand'),
    leave: $('leave'),
};

function sessionIdOf(url) {
    const m = /\/sessions\/([^/?#]+)$/.exec(new URL(url).pathname);
    return m ? m[1] : '';
}

// The line on the picture (joining, reconnecting, ...).
function showStageNote(text) {
    ui.stageNote.textContent = text;
    ui.stageNote.hidden = false;
}

// Stops the timers, the watcher and the event stream of a session.
function quietLink(link) {
    link.timers.forEach((t) => clearTimeout(t));
    link.timers.clear();
    if (link.unwatch) {
        link.unwatch();
    }
    if (link.events) {
        link.events.close();
    }
}

// One call at a time; the controls in the page talk to `current`.
let current = null;

class Call {
    constructor({ room, name, stream, ownsStream, muted, cameraOff, onEnd }) {
        this.room = room;
        this.name = name;
        this.stream = stream; // may be null or lack a kind
        this.ownsStream = ownsStream;
        this.muted = muted;
        this.cameraOff = cameraOff;
        this.hand = false;
        this.onEnd = onEnd;

        this.link = null; // the current session: whip, events, timers
        this.attempt = 0; // failed tries since the last good connection
        this.retryTimer = 0;
        this.reconnecting = false;
        this.ended = false;
        this.screen = null; // { stream, track, injected, whip }
        this.roster = []; // last participants list
        this.rosterSeen = false; // an initial roster of this link has arrived
        this.speaking = null;
        this.layout = { mode: 'grid', screen: null };
        this.moderator = false; // this session may moderate (hello event)
        this.roomState = { layout: 'grid', locked: false, password: false };
        this.me = null; // own roster entry
        this.statsTimer = 0;
    }

    audioTrack() {
        return this.stream ? this.stream.getAudioTracks()[0] || null : null;
    }

    videoTrack() {
        return this.stream ? this.stream.getVideoTracks()[0] || null : null;
    }

    // ---- joining and rejoining ----

    // Joins for the first time; throws (with the server's reason) on failure.
    async start() {
        this.applyLocalTracks();
        await this.connect(false);
    }

    // One session: WHIP join, state commands, event stream, watchers.
    // rejoin: this replaces a session that was lost.
    async connect(rejoin) {
        const query = new URLSearchParams({ name: this.name });
        const url = `rooms/${encodeURIComponent(this.room)}/whip?${query}`;
        const link = { whip: null, events: null, timers: new Set(), prevStats: null, rejoin };
        const { result: whip, bearer } = await joinWithCredentials(this.room, (token) =>
            whipConnect(url, {
                stream: this.stream,
                token,
                onTrack: (track) => {
                    if (this.link === link || this.link === null) {
                        this.showTrack(track);
                    }
                },
            }),
        );
        link.bearer = bearer; // the screen share presents it too
        if (this.ended) {
            whip.close();
            return;
        }
        link.whip = whip;
        link.sessionUrl = whip.location;
        link.sessionId = sessionIdOf(whip.location);
        this.link = link;
        this.reconnecting = false; // from here on, a new loss starts a new round
        this.rosterSeen = false;
        window.conclave = {
            pc: whip.pc,
            sessionUrl: whip.location,
            sessionId: link.sessionId,
            publicId: null,
            room: this.room,
            screen: null,
        };

        // Restore what the server must know before anyone sees us.
        const restore = [];
        if (this.muted) {
            restore.push(this.command({ type: 'mute', audio: true }));
        }
        if (this.cameraOff) {
            restore.push(this.command({ type: 'camera', on: false }));
        }
        if (this.hand) {
            restore.push(this.command({ type: 'hand', raised: true }));
        }
        await Promise.all(restore);
        if (this.link !== link) {
            return;
        }

        this.watch(link);
        const evUrl = `rooms/${encodeURIComponent(this.room)}/events?session=${link.sessionId}`;
        link.events = openEvents(
            evUrl,
            {
                hello: (d) => {
                    if (this.link === link && typeof d.you === 'string') {
                        link.publicId = d.you;
                        window.conclave.publicId = d.you;
                        this.moderator = d.moderator === true;
                        if (typeof d.token === 'string') {
                            saveToken(this.room, d.token);
                        }
                        this.showRoster();
                    }
                },
                room: (d) => this.link === link && this.onRoom(d),
                removed: () =>
                    this.link === link &&
                    this.leave('The moderator removed you from the meeting.'),
                roster: (d) => this.link === link && this.onRoster(d),
                speakers: (d) => this.link === link && this.onSpeakers(d),
                chat: (d) => this.link === link && addChatMessage(d, link.publicId),
                layout: (d) => this.link === link && this.onLayout(d),
                video: (d) => this.link === link && this.onVideoPaused(d),
                shutdown: () => this.link === link && this.serverShuttingDown(),
            },
            { onTrouble: (why) => this.link === link && this.lost(why) },
        );

        if (this.screen && this.screen.track.readyState === 'live') {
            this.connectScreen().catch((e) =>
                this.stopShare(`Screen sharing stopped: ${e.message}`),
            );
        }
    }

    // Watches the peer connection of `link` and samples its statistics.
    watch(link) {
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
                this.lost('no connection to the server');
            }
        }, CONNECT_TIMEOUT_MS);
        const onState = () => {
            if (this.link !== link) {
                return;
            }
            const st = pc.connectionState;
            if (st === 'connected') {
                clearTimeout(connectTimer);
                clearTimeout(graceTimer);
                graceTimer = 0;
                this.attempt = 0;
                say(link.rejoin ? 'Reconnected.' : 'Connected.', { transient: true });
            } else if (st === 'disconnected') {
                if (!graceTimer) {
                    say('The connection is interrupted…');
                    graceTimer = later(() => {
                        if (pc.connectionState === 'disconnected') {
                            this.lost('the connection was interrupted');
                        }
                    }, DISCONNECTED_GRACE_MS);
                }
            } else if (st === 'failed') {
                this.lost('the connection failed');
            }
        };
        pc.addEventListener('connectionstatechange', onState);
        link.unwatch = () => pc.removeEventListener('connectionstatechange', onState);
        if (pc.connectionState !== 'new' && pc.connectionState !== 'connecting') {
            onState(); // it got there while the state commands were on their way
        }

        const sample = async () => {
            if (this.link !== link) {
                return;
            }
            if (pc.connectionState === 'disconnected') {
                this.showQuality('poor', 'Connection: interrupted', 'nothing received');
            } else if (pc.connectionState !== 'connected') {
                this.showQuality('unknown', 'Connection: connecting', '');
            } else {
                try {
                    const cur = readStats(await pc.getStats());
                    if (this.link !== link) {
                        return;
                    }
                    const q = assess(link.prevStats, cur);
                    link.prevStats = cur;
                    if (q.level === 'unknown') {
                        this.showQuality('unknown', 'Connection: checking', '');
                    } else {
                        const via = pathText(q.path) ? `, ${pathText(q.path)}` : '';
                        this.showQuality(q.level, `Connection: ${q.level}${via}`, describe(q));
                    }
                } catch {
                    // a closing connection has no statistics
                }
            }
            later(sample, STATS_EVERY_MS);
        };
        later(sample, 500);
    }

    showQuality(level, text, detail) {
        ui.quality.textContent = text;
        ui.quality.dataset.level = level;
        ui.qualityBox.dataset.level = level;
        if (detail) {
            ui.qualityBox.title = detail;
        } else {
            ui.qualityBox.removeAttribute('title');
        }
    }

    // Ends the session of the current link (best effort, does not wait).
    dropLink() {
        const link = this.link;
        this.link = null;
        if (!link) {
            return;
        }
        quietLink(link);
        // DELETE (the server may still know us), and stop using the old
        // connection at once rather than after the DELETE's answer.
        link.whip.close();
        link.whip.pc.close();
        if (this.screen && this.screen.whip) {
            const w = this.screen.whip;
            this.screen.whip = null;
            w.close();
            w.pc.close();
        }
    }

    // Drops the session, shows `note` on the stage and the connection as
    // poor (`quality`, `detail`), and rejoins with backoff (`why` is said).
    interrupt(note, quality, detail, why) {
        if (this.ended || this.reconnecting) {
            return;
        }
        this.reconnecting = true;
        this.dropLink();
        showStageNote(note);
        this.showQuality('poor', quality, detail);
        this.retryLater(why);
    }

    // Something broke: drop the session and rejoin with backoff.
    lost(why) {
        this.interrupt('Reconnecting…', 'Connection: lost', why, why);
    }

    // The server announced it is going down: its stream and session end in
    // a moment. Say so, and rejoin later with the backoff (from 4 s).
    serverShuttingDown() {
        if (this.ended || this.reconnecting) {
            return;
        }
        this.attempt = Math.max(this.attempt, SHUTDOWN_FIRST_ATTEMPT);
        this.serverDown = true; // said until a rejoin succeeds
        this.interrupt(
            SHUTDOWN_NOTE,
            'Connection: server stopped',
            'the server is shutting down',
            'The server is shutting down',
        );
    }

    retryLater(why) {
        const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
        this.attempt++;
        const secs = Math.round(delay / 1000);
        say(`Reconnecting… ${why ? `(${why}) ` : ''}Next try in ${secs} s.`);
        this.nextTryAt = Date.now() + delay;
        this.retryTimer = setTimeout(() => this.retry(), delay);
    }

    async retry() {
        this.retryTimer = 0;
        if (this.ended) {
            return;
        }
        say(`Reconnecting… (try ${this.attempt})`);
        try {
            await this.connect(true);
        } catch (e) {
            if (this.ended) {
                return;
            }
            this.dropLink();
            this.reconnecting = true;
            if (this.serverDown && !e.status) {
                // still down: keep saying why rather than a bare network error
                showStageNote(SHUTDOWN_NOTE);
                this.retryLater('The server is shutting down');
                return;
            }
            // a refusal carries the server's reason; anything else is the network
            this.retryLater(e.status ? e.message : 'the server cannot be reached');
            return;
        }
        this.serverDown = false;
        if (this.link && this.link.whip.pc.connectionState !== 'connected') {
            say('Rejoined the room; connecting…');
        }
    }

    // Tries at once when the browser says the network is back.
    retryNow() {
        if (this.reconnecting && this.retryTimer) {
            clearTimeout(this.retryTimer);
            this.retry();
        }
    }

    // ---- leaving ----

    async leave(message = '') {
        if (this.ended) {
            return;
        }
        this.ended = true;
        if (current === this) {
            current = null;
        }
        clearTimeout(this.retryTimer);
        const link = this.link;
        this.link = null;
        if (this.screen) {
            const s = this.screen;
            this.screen = null;
            this.releaseScreen(s);
        }
        if (link) {
            quietLink(link);
        }
        if (this.ownsStream && this.stream) {
            this.stream.getTracks().forEach((t) => t.stop());
        }
        delete window.conclave;
        hideRoomControls();
        if (link) {
            await link.whip.close(); // DELETE, then close the connection
        }
        this.onEnd(message);
    }

    // ---- media ----

    showTrack(track) {
        const ms = new MediaStream([track]);
        if (track.kind === 'video') {
            ui.video.srcObject = ms;
            ui.video.play().catch(() => {});
        } else if (track.kind === 'audio') {
            ui.audio.srcObject = ms;
            this.playAudio();
        }
    }

    playAudio() {
        ui.audio.play().then(
            () => {
                if (!ui.enableSound.hidden) {
                    ui.enableSound.hidden = true;
                    say('Sound is on.', { transient: true });
                }
            },
            () => {
                // autoplay refused: a click on the page may play it
                ui.enableSound.hidden = false;
                say('The browser held the sound back. Use "Click to enable sound".');
            },
        );
    }

    applyLocalTracks() {
        const { audio: a, video: v } = applyMute(this.stream, this);
        setPressed(ui.mic, this.muted);
        setPressed(ui.camera, this.cameraOff);
        setPressed(ui.hand, this.hand);
        setPressed(ui.share, false);
        ui.mic.disabled = !a;
        ui.camera.disabled = !v;
        ui.mic.title = a ? '' : 'No microphone';
        ui.camera.title = v ? '' : 'No camera';
    }

    // ---- commands ----

    // POSTs one command to the session; resolves to the HTTP status (0 when
    // it could not be sent) and reports a refusal in the status line.
    async command(obj) {
        const link = this.link;
        if (!link) {
            return 0;
        }
        const ctl = new AbortController();
        const timer = setTimeout(() => ctl.abort(), COMMAND_TIMEOUT_MS);
        try {
            const res = await fetch(`${link.sessionUrl}/command`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify(obj),
                cache: 'no-store',
                signal: ctl.signal,
            });
            if (res.status !== 204 && res.status !== 200) {
                const text = (await res.text().catch(() => '')).trim().split('\n')[0];
                if (this.link === link) {
                    say(`The server refused: ${text || `HTTP ${res.status}`}`, {
                        error: true,
                        transient: true,
                    });
                }
            }
            return res.status;
        } catch {
            return 0; // a lost connection is found and rejoined elsewhere
        } finally {
            clearTimeout(timer);
        }
    }

    toggleMic() {
        const a = this.audioTrack();
        if (!a) {
            return;
        }
        if (this.muted && this.mustAsk()) {
            say('You are muted by the moderator. Raise your hand to ask to speak.', {
                transient: true,
            });
            return;
        }
        this.setMuted(!this.muted);
        say(this.muted ? 'Your microphone is off.' : 'Your microphone is on.', { transient: true });
        const want = this.muted;
        this.muteInFlight = (this.muteInFlight || 0) + 1;
        this.command({ type: 'mute', audio: want }).then((status) => {
            this.muteInFlight--;
            if (status === 403 && !want) {
                this.setMuted(true); // the server keeps us muted (no floor)
            }
        });
    }

    setMuted(muted) {
        const a = this.audioTrack();
        this.muted = muted;
        if (a) {
            a.enabled = !muted;
        }
        setPressed(ui.mic, muted);
    }

    // In the lecture layout an attendee speaks only with the floor.
    mustAsk() {
        return (
            this.roomState.layout === 'lecture' &&
            !this.moderator &&
            !(this.me && this.me.floor === true)
        );
    }

    toggleCamera() {
        const v = this.videoTrack();
        if (!v) {
            return;
        }
        this.cameraOff = !this.cameraOff;
        v.enabled = !this.cameraOff;
        setPressed(ui.camera, this.cameraOff);
        say(this.cameraOff ? 'Your camera is off.' : 'Your camera is on.', { transient: true });
        this.command({ type: 'camera', on: !this.cameraOff });
    }

    toggleHand() {
        this.hand = !this.hand;
        setPressed(ui.hand, this.hand);
        say(this.hand ? 'Your hand is raised.' : 'Your hand is lowered.', { transient: true });
        this.command({ type: 'hand', raised: this.hand });
    }

    // ---- screen share ----

    async toggleShare() {
        if (this.screen) {
            this.stopShare('You stopped sharing your screen.');
            return;
        }
        if (!this.link) {
            say('Wait for the connection before sharing.', { transient: true });
            return;
        }
        const got = await openScreen();
        if (got.problem) {
            say(got.problem, { error: got.error, transient: true });
            return;
        }
        const { stream, track, injected } = got;
        if (!track || this.ended) {
            return;
        }
        const screen = { stream, track, injected, whip: null };
        screen.onEnded = () => {
            if (this.screen === screen) {
                this.stopShare('Screen sharing ended.');
            }
        };
        track.addEventListener('ended', screen.onEnded);
        this.screen = screen;
        setPressed(ui.share, true);
        try {
            await this.connectScreen();
            say('You are sharing your screen.', { transient: true });
        } catch (e) {
            this.stopShare(`Cannot share the screen: ${e.message}`, true);
        }
    }

    // A WHIP session for the screen, owned by the current session.
    async connectScreen() {
        const screen = this.screen;
        const link = this.link;
        if (!screen || !link) {
            return;
        }
        const query = new URLSearchParams({
            role: 'screen',
            session: link.sessionId,
            name: this.name,
        });
        const url = `rooms/${encodeURIComponent(this.room)}/whip?${query}`;
        const whip = await whipConnect(url, {
            stream: new MediaStream([screen.track]),
            token: link.bearer,
        });
        if (this.screen !== screen || this.link !== link) {
            whip.close();
            return;
        }
        screen.whip = whip;
        if (window.conclave) {
            window.conclave.screen = { pc: whip.pc, sessionUrl: whip.location };
        }
        whip.pc.addEventListener('connectionstatechange', () => {
            const st = whip.pc.connectionState;
            if (this.screen === screen && screen.whip === whip && st === 'failed') {
                // the main link is rejoined separately; this one alone ends
                if (this.link === link && !this.reconnecting) {
                    this.stopShare('Screen sharing stopped: the connection failed.', true);
                }
            }
        });
    }

    releaseScreen(screen) {
        screen.track.removeEventListener('ended', screen.onEnded);
        if (screen.whip) {
            screen.whip.close();
        }
        if (!screen.injected) {
            screen.stream.getTracks().forEach((t) => t.stop());
        }
    }

    stopShare(message, isError = false) {
        const screen = this.screen;
        this.screen = null;
        setPressed(ui.share, false);
        if (window.conclave) {
            window.conclave.screen = null;
        }
        if (screen) {
            this.releaseScreen(screen);
        }
        if (message) {
            say(message, { error: isError, transient: true });
        }
    }

    // ---- events ----

    onRoster(d) {
        if (!Array.isArray(d.participants)) {
            return;
        }
        const list = d.participants.filter(
            (p) => p && typeof p === 'object' && typeof p.id === 'string',
        );
        const before = this.roster;
        this.roster = list;
        if (this.rosterSeen) {
            announceChanges(before, list, this.link ? this.link.publicId : null);
        }
        this.rosterSeen = true;
        this.followServer(list);
        this.showRoster();
        this.renderPresenter();
    }

    // What the moderator changed about us: a mute (or the lecture's) is
    // followed at once; the floor given unmutes (the hand asked for it).
    followServer(list) {
        const id = this.link ? this.link.publicId : null;
        const was = this.me;
        this.me = list.find((p) => p.id === id) || null;
        const me = this.me;
        if (!me || this.muteInFlight) {
            this.renderControls();
            return;
        }
        if (me.muted === true && !this.muted) {
            this.setMuted(true);
            say('The moderator muted your microphone.', { transient: true });
        } else if (me.floor === true && !(was && was.floor === true) && me.muted === false) {
            this.setMuted(false);
            say('You have the floor: your microphone is on.', { transient: true });
        }
        if (me.hand === false && this.hand) {
            this.hand = false;
            setPressed(ui.hand, false);
        }
        this.renderControls();
    }

    onRoom(d) {
        this.roomState = {
            layout: ['grid', 'speaker', 'lecture'].includes(d.layout) ? d.layout : 'grid',
            locked: d.locked === true,
            password: d.password === true,
        };
        this.renderControls();
        this.showRoster();
    }

    renderControls() {
        renderRoomControls(
            {
                ...this.roomState,
                moderator: this.moderator,
                floor: this.me ? this.me.floor === true : false,
                lecture: this.roomState.layout === 'lecture',
            },
            (obj) => this.command(obj),
        );
    }

    showRoster() {
        renderRoster(this.roster, {
            me: this.link ? this.link.publicId : null,
            speaking: this.speaking,
            moderator: this.moderator,
            lecture: this.roomState.layout === 'lecture',
            send: (obj) => this.command(obj),
        });
    }

    // The server paused our video because the link cannot carry even the lowest
    // tier (the sound goes on), or resumed it.
    onVideoPaused(d) {
        this.videoPaused = d.paused === true;
        window.conclave.videoPaused = this.videoPaused;
        if (this.videoPaused) {
            showStageNote(PAUSED_NOTE);
        } else if (ui.stageNote.textContent === PAUSED_NOTE) {
            ui.stageNote.hidden = true;
        }
    }

    onSpeakers(d) {
        this.speaking = typeof d.active === 'string' ? d.active : null;
        this.showRoster();
    }

    onLayout(d) {
        this.layout = {
            mode: ['presenter', 'speaker', 'lecture'].includes(d.mode) ? d.mode : 'grid',
            screen: typeof d.screen === 'string' ? d.screen : null,
        };
        this.renderPresenter();
    }

    renderPresenter() {
        const me = this.link ? this.link.publicId : null;
        let text = '';
        if (this.layout.mode !== 'grid' && this.layout.screen) {
            const scr = this.roster.find((p) => p.id === this.layout.screen);
            const owner = scr ? this.roster.find((p) => p.id === scr.owner) : null;
            if (owner && owner.id === me) {
                text = 'You are presenting';
            } else if (owner) {
                text = `${str(owner.name) || 'Someone'} is presenting`;
            } else {
                text = 'A screen is shared';
            }
        }
        ui.presenter.textContent = text;
        ui.presenter.hidden = text === '';
    }
}

// ---- the controls ----

ui.mic.addEventListener('click', () => current && current.toggleMic());
ui.camera.addEventListener('click', () => current && current.toggleCamera());
ui.hand.addEventListener('click', () => current && current.toggleHand());
ui.share.addEventListener('click', () => current && current.toggleShare());
ui.leave.addEventListener('click', () => current && current.leave());
ui.chatForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (current) {
        sendChat((obj) => current.command(obj));
    }
});
ui.enableSound.addEventListener('click', () => {
    if (current) {
        current.playAudio();
    }
});
ui.video.addEventListener('playing', () => {
    ui.stageNote.hidden = true;
});
ui.video.addEventListener('resize', () => {
    if (ui.video.videoWidth > 0) {
        ui.stageNote.hidden = true;
    }
});
window.addEventListener('online', () => current && current.retryNow());
window.addEventListener('pagehide', () => {
    if (current) {
        current.leave();
    }
});

function resetView(room) {
    ui.room.textContent = room;
    ui.video.srcObject = null;
    ui.audio.srcObject = null;
    showStageNote('Joining…');
    ui.enableSound.hidden = true;
    ui.presenter.hidden = true;
    ui.share.hidden = !screenAvailable();
    ui.qualityBox.dataset.level = 'unknown';
    ui.quality.dataset.level = 'unknown';
    ui.quality.textContent = 'Connection: connecting';
    resetPanel();
}

// Joins `room` as `name`, sending `stream` (a kind it lacks is received
// only). muted / cameraOff: the starting state. ownsStream: stop its tracks
// on leaving. onEnd(message) is called once the call is over (after leave()).
// Resolves once the first WHIP session exists; rejects with the server's
// reason when the first join fails (nothing is left running then).
export async function startCall({ room, name, stream, ownsStream, muted, cameraOff, onEnd }) {
    if (current) {
        await current.leave();
    }
    resetView(room);
    const call = new Call({ room, name, stream, ownsStream, muted, cameraOff, onEnd });
    current = call;
    try {
        await call.start();
    } catch (e) {
        call.ended = true;
        current = null;
        delete window.conclave;
        throw e;
    }
    ui.stageNote.textContent = 'Connecting…';
    return call;
}

// Leaves the current call, if any (resolves when the DELETE is answered).
export async function leaveCall(message) {
    const c = current;
    if (c) {
        current = null;
        await c.leave(message);
    }
}

export function inCall() {
    return current !== null;
}
