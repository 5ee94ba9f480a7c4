// roomstate.js - what the room's event stream (events.js) tells a call, kept
// on the call and shown: who we are and whether we moderate (hello), the
// people (roster: drawn by panel.js, with what a moderator changed about us
// followed at once), the active speaker, the layout and who presents, the
// room's settings (a moderator's controls from access.js), and our video
// paused by the server.
//
// Each function takes the call: its fields roster, rosterSeen, speaking,
// layout, moderator, roomState and me are kept here.

import { renderRoomControls, saveToken } from './access.js';
import { setHand, setMuted } from './controls.js';
import { announceChanges, renderRoster, str } from './panel.js';
import { showPresenter, showVideoPaused } from './stage.js';
import { showRecording } from './recording.js';
import { t } from './i18n.js';
import { say } from './status.js';

function myId(call) {
    return call.link ? call.link.publicId : null;
}

// Our public id on `link`, whether we moderate, and a moderator's token.
export function onHello(call, link, d) {
    if (typeof d.you !== 'string') {
        return;
    }
    link.publicId = d.you;
    window.conclave.publicId = d.you;
    call.moderator = d.moderator === true;
    if (typeof d.token === 'string') {
        saveToken(call.room, d.token);
    }
    showRoster(call);
}

export function onRoster(call, d) {
    if (!Array.isArray(d.participants)) {
        return;
    }
    const list = d.participants.filter(
        (p) => p && typeof p === 'object' && typeof p.id === 'string',
    );
    const before = call.roster;
    call.roster = list;
    if (call.rosterSeen) {
        announceChanges(before, list, myId(call));
    }
    call.rosterSeen = true;
    followServer(call, list);
    showRoster(call);
    renderPresenter(call);
}

// What the moderator changed about us: a mute (or the lecture's) is
// followed at once; the floor given unmutes (the hand asked for it).
function followServer(call, list) {
    const id = myId(call);
    const was = call.me;
    call.me = list.find((p) => p.id === id) || null;
    const me = call.me;
    if (!me || call.muteInFlight) {
        renderControls(call);
        return;
    }
    if (me.muted === true && !call.muted) {
        setMuted(call, true);
        say(t('floor.moderator-muted'), { transient: true });
    } else if (me.floor === true && !(was && was.floor === true) && me.muted === false) {
        setMuted(call, false);
        say(t('floor.given'), { transient: true });
    }
    if (!call.handInFlight && (me.hand === true) !== !!call.hand) {
        setHand(call, me.hand === true);
    }
    renderControls(call);
}

export function onRoom(call, d) {
    call.roomState = {
        layout: ['grid', 'speaker', 'lecture'].includes(d.layout) ? d.layout : 'grid',
        locked: d.locked === true,
        password: d.password === true,
        recording: d.recording === true,
    };
    showRecording(call.roomState.recording);
    renderControls(call);
    showRoster(call);
}

// A recording started or stopped: everyone is shown and told at once.
export function onRecording(call, d) {
    call.roomState = { ...call.roomState, recording: d.on === true };
    showRecording(d.on === true);
    renderControls(call);
}

function renderControls(call) {
    renderRoomControls(
        {
            ...call.roomState,
            moderator: call.moderator,
            floor: call.me ? call.me.floor === true : false,
            lecture: call.roomState.layout === 'lecture',
        },
        (obj) => call.command(obj),
    );
}

function showRoster(call) {
    renderRoster(call.roster, {
        me: myId(call),
        speaking: call.speaking,
        moderator: call.moderator,
        lecture: call.roomState.layout === 'lecture',
        send: (obj) => call.command(obj),
    });
}

// The server paused our video because the link cannot carry even the lowest
// tier (the sound goes on), or resumed it.
export function onVideoPaused(call, d) {
    call.videoPaused = d.paused === true;
    window.conclave.videoPaused = call.videoPaused;
    showVideoPaused(call.videoPaused);
}

// Draws again what the scripts wrote (after a change of language).
export function redrawRoom(call) {
    renderControls(call);
    showRoster(call);
    renderPresenter(call);
}

export function onSpeakers(call, d) {
    call.speaking = typeof d.active === 'string' ? d.active : null;
    showRoster(call);
}

export function onLayout(call, d) {
    call.layout = {
        mode: ['presenter', 'speaker', 'lecture'].includes(d.mode) ? d.mode : 'grid',
        screen: typeof d.screen === 'string' ? d.screen : null,
    };
    renderPresenter(call);
}

function renderPresenter(call) {
    const me = myId(call);
    let text = '';
    if (call.layout.mode !== 'grid' && call.layout.screen) {
        const scr = call.roster.find((p) => p.id === call.layout.screen);
        const owner = scr ? call.roster.find((p) => p.id === scr.owner) : null;
        if (owner && owner.id === me) {
            text = t('stage.you-present');
        } else if (owner) {
            text = t('stage.presenting', { name: str(owner.name) || t('people.someone') });
        } else {
            text = t('stage.screen-shared');
        }
    }
    showPresenter(text);
}
