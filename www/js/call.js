// call.js - being in a room: one call at a time, which joins (one composite
// picture and one audio mix come back), follows the room's event stream,
// sends the commands, and rejoins when the connection or the server goes
// away. It holds the call's state and hands the work to:
//   link.js       one WHIP session, the watch over its connection, commands
//   rejoin.js     dropping a lost session and joining again with backoff
//   roomstate.js  what the event stream says (roster, speaker, layout, room)
//   controls.js   the call bar (microphone, camera, hand, leave, chat)
//   keys.js       its keyboard shortcuts, Escape, the bar hiding on phones
//   share.js      a second WHIP session for a screen share
//   stage.js      the picture, the sound, the notes and the quality shown
//   settings.js   the devices sent, "audio only" and the language
// The people list and the chat log are drawn by panel.js, a moderator's
// controls by access.js.
//
// For tests, while in a call window.conclave = { pc, sessionUrl, sessionId,
// publicId, room, screen } (screen: { pc, sessionUrl } while sharing, else
// null); it is replaced on every rejoin and removed on leaving.

import { hideRoomControls } from './access.js';
import {
    bindBreakoutControls,
    parseMove,
    resetBreakout,
    setBreakoutRoster,
    showBanner,
    showRunning,
} from './breakout.js';
import { rejoinTicket, renderLobbySwitch, renderWaitingList, resetWaitingList } from './lobby.js';
import { bindCallBar, resetCallBar } from './controls.js';
import { errorText, onLangChange, t } from './i18n.js';
import { openEvents, streamUrl } from './events.js';
import { resetKeys } from './keys.js';
import { openLink, quietLink, sendCommand, watchLink } from './link.js';
import { addChatMessage, resetPanel } from './panel.js';
import { lost, retryNow, serverShuttingDown } from './rejoin.js';
import {
    onHello,
    onLayout,
    redrawRoom,
    onRecording,
    onRoom,
    onRoster,
    onSpeakers,
    onVideoPaused,
} from './roomstate.js';
import { onRecordingError, resetRecording } from './recording.js';
import { connectScreen, dropScreenSession, releaseShare, stopShare } from './share.js';
import { bindSettings, resetSettings, saveLowData } from './settings.js';
import { resetStage, setLowData, setStageNoteText, showTrack, stageConnected } from './stage.js';
import { say } from './status.js';
import { watchView } from './view.js';

// One call at a time; the controls in the page talk to `current`.
let current = null;

class Call {
    constructor({ room, name, stream, ownsStream, muted, cameraOff, lowData, ticket, onEnd }) {
        this.room = room;
        this.ticket = ticket || null; // the waiting room's admission, spent by the first join
        this.home = room; // the main room; this.room is a breakout group's while in one
        this.breakout = null; // the move into the group the call is in
        this.moves = 0; // bumped by every move: a join that a later move overtook is dropped
        this.name = name;
        this.stream = stream; // may be null or lack a kind
        this.ownsStream = ownsStream;
        this.muted = muted;
        this.cameraOff = cameraOff;
        this.lowData = lowData === true; // audio only: the server sends us no video
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
        this.roomState = { layout: 'grid', locked: false, password: false, recording: false };
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
        resetCallBar(this);
        await this.connect(false);
    }

    // One session: WHIP join, state commands, event stream, watchers.
    // rejoin: this replaces a session that was lost.
    async connect(rejoin) {
        if (rejoin && this.room !== this.home) {
            // lost in a group: the main room moves us to it again
            this.room = this.home;
            this.breakout = null;
            showBanner(null);
        }
        const moves = this.moves;
        // a rejoin in a room with a waiting room comes back with a new ticket
        const ticket = rejoin ? await rejoinTicket(this.room, this.name) : this.ticket;
        this.ticket = null;
        const link = await openLink({
            room: this.room,
            name: this.name,
            stream: this.stream,
            rejoin,
            ticket,
            onTrack: (track, from) => {
                if (this.link === from || this.link === null) {
                    showTrack(track);
                }
            },
        });
        if (this.ended || this.moves !== moves) {
            link.whip.close(); // left, or moved elsewhere while this join was on its way
            return;
        }
        this.link = link;
        this.reconnecting = false; // from here on, a new loss starts a new round
        this.rosterSeen = false;
        window.conclave = {
            pc: link.whip.pc,
            sessionUrl: link.whip.location,
            sessionId: link.sessionId,
            publicId: null,
            room: this.room,
            screen: null,
        };

        // Restore what the server must know before anyone sees us.
        const restore = [];
        if (this.lowData) {
            restore.push(this.command({ type: 'receive', video: false }));
        }
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

        const isCurrent = () => this.link === link;
        watchLink(link, {
            isCurrent,
            onConnected: () => {
                this.attempt = 0;
                stageConnected();
            },
            onLost: (why) => lost(this, why),
        });
        const room = this.room;
        link.events = openEvents(
            () => streamUrl(room, link.sessionId),
            {
                hello: (d) => isCurrent() && onHello(this, link, d),
                room: (d) => {
                    if (isCurrent()) {
                        onRoom(this, d);
                        renderLobbySwitch(d.lobby, (o) => this.command(o));
                    }
                },
                recording: (d) => isCurrent() && onRecording(this, d),
                recording_error: (d) => isCurrent() && onRecordingError(d),
                lobby: (d) => isCurrent() && renderWaitingList(d, (o) => this.command(o)),
                breakout: (d) => {
                    if (!isCurrent()) {
                        return;
                    }
                    bindBreakoutControls((o) => this.command(o));
                    if (d.state === 'open') {
                        showRunning(d);
                    } else {
                        this.move(parseMove(d));
                    }
                },
                removed: () => isCurrent() && this.leave(t('call.removed')),
                roster: (d) => {
                    if (isCurrent()) {
                        onRoster(this, d);
                        bindBreakoutControls((o) => this.command(o));
                        setBreakoutRoster(Array.isArray(d.participants) ? d.participants : []);
                    }
                },
                speakers: (d) => isCurrent() && onSpeakers(this, d),
                chat: (d) => isCurrent() && addChatMessage(d, link.publicId),
                layout: (d) => isCurrent() && onLayout(this, d),
                video: (d) => isCurrent() && onVideoPaused(this, d),
                shutdown: () => isCurrent() && serverShuttingDown(this),
            },
            {
                onTrouble: (_why, code) =>
                    isCurrent() &&
                    lost(this, t(code === 'session-gone' ? 'lost.session-gone' : 'lost.no-answer')),
            },
        );

        if (this.screen && this.screen.track.readyState === 'live') {
            connectScreen(this).catch((e) =>
                stopShare(this, t('share.interrupted', { reason: errorText(e) })),
            );
        }
    }

    // A breakout move (breakout.js): leaves this session and joins the
    // move's room with its ticket (no ticket: the main room, as a visiting
    // moderator going back).
    async move(m) {
        if (!m || this.ended) {
            return;
        }
        this.moves++;
        this.dropLink();
        this.room = m.room;
        this.ticket = m.ticket || null;
        this.breakout = m.state === 'return' ? null : m;
        resetPanel();
        showBanner(m, () => this.move({ state: 'return', room: this.home, ticket: null }));
        setStageNoteText(m.state === 'return' ? 'stage.back' : 'stage.moving');
        try {
            await this.connect(false);
        } catch (e) {
            lost(this, errorText(e));
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
        dropScreenSession(this);
    }

    // "Audio only" on or off: told to the server, shown, remembered.
    setLowData(on) {
        if (this.lowData === on) {
            return;
        }
        this.lowData = on;
        saveLowData(on);
        setLowData(on);
        say(t(on ? 'lowdata.on' : 'lowdata.off'), { transient: true });
        this.command({ type: 'receive', video: !on });
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
        releaseShare(this);
        if (link) {
            quietLink(link);
        }
        if (this.ownsStream && this.stream) {
            this.stream.getTracks().forEach((t) => t.stop());
        }
        delete window.conclave;
        hideRoomControls();
        resetKeys();
        resetRecording();
        resetBreakout();
        if (link) {
            await link.whip.close(); // DELETE, then close the connection
        }
        this.onEnd(message);
    }

    // ---- commands ----

    // POSTs one command to the current session; resolves to the HTTP status
    // (0 when it could not be sent) and reports a refusal in the status line.
    async command(obj) {
        const link = this.link;
        if (!link) {
            return 0;
        }
        return sendCommand(link, obj, () => this.link === link);
    }
}

bindCallBar(() => current);
bindSettings(() => current);
onLangChange(() => current && redrawRoom(current));
window.addEventListener('online', () => current && retryNow(current));
window.addEventListener('pagehide', () => {
    if (current) {
        current.leave();
    }
});

// Joins `room` as `name`, sending `stream` (a kind it lacks is received
// only). ticket: a waiting room's admission (lobby.js), or null. muted /
// cameraOff: the starting state; lowData: receive no video (audio only).
// ownsStream: stop its tracks on leaving. onEnd(message) is called once the
// call is over (after leave()).
// Resolves once the first WHIP session exists; rejects with the server's
// reason when the first join fails (nothing is left running then).
export async function startCall(opts) {
    if (current) {
        await current.leave();
    }
    resetStage(opts.room, opts.lowData === true);
    resetPanel();
    resetWaitingList();
    resetBreakout();
    const call = new Call(opts); // the fields above, as the constructor takes them
    current = call;
    resetSettings(call);
    watchView(call);
    try {
        await call.start();
    } catch (e) {
        call.ended = true;
        current = null;
        delete window.conclave;
        throw e;
    }
    setStageNoteText('stage.connecting');
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
