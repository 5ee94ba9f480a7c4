// controls.js - the call bar: the microphone, the camera and the hand, each
// a toggle button (aria-pressed) whose change is said in the status line and
// sent to the server as a command; the screen share (share.js), leaving, the
// chat form (panel.js) and the "Click to enable sound" button (stage.js).
// The buttons act on the current call; each function here takes the call.

import { $, setPressed } from './dom.js';
import { t } from './i18n.js';
import { applyMute, screenAvailable } from './media.js';
import { sendChat } from './panel.js';
import { toggleShare } from './share.js';
import { playAudio } from './stage.js';
import { say } from './status.js';

const ui = {
    enableSound: $('enable-sound'),
    chatForm: $('chat-form'),
    mic: $('mute-mic'),
    camera: $('mute-camera'),
    share: $('share-screen'),
    hand: $('raise-hand'),
    leave: $('leave'),
};

// The bar of a call about to join: the buttons as the call starts (its
// stream's microphone and camera turned on or off to match), a button
// without its device disabled, the share button only where a screen can be
// shared.
export function resetCallBar(call) {
    ui.share.hidden = !screenAvailable();
    const { audio: a, video: v } = applyMute(call.stream, call);
    setPressed(ui.mic, call.muted);
    setPressed(ui.camera, call.cameraOff);
    setPressed(ui.hand, call.hand);
    setPressed(ui.share, false);
    ui.mic.disabled = !a;
    ui.camera.disabled = !v;
    ui.mic.title = a ? '' : t('device.no-microphone');
    ui.camera.title = v ? '' : t('device.no-camera');
}

function toggleMic(call) {
    const a = call.audioTrack();
    if (!a) {
        return;
    }
    if (call.muted && mustAsk(call)) {
        say(t('floor.muted'), { transient: true });
        return;
    }
    setMuted(call, !call.muted);
    say(t(call.muted ? 'bar.mic-off' : 'bar.mic-on'), { transient: true });
    const want = call.muted;
    call.muteInFlight = (call.muteInFlight || 0) + 1;
    call.command({ type: 'mute', audio: want }).then((status) => {
        call.muteInFlight--;
        if ((status === 403 || status === 429) && !want) {
            // the server keeps us muted (no floor, or too many changes in a row);
            // a refused mute stays muted here: the track is off either way
            setMuted(call, true);
        }
    });
}

export function setMuted(call, muted) {
    const a = call.audioTrack();
    call.muted = muted;
    if (a) {
        a.enabled = !muted;
    }
    setPressed(ui.mic, muted);
}

// In the lecture layout an attendee speaks only with the floor.
function mustAsk(call) {
    return (
        call.roomState.layout === 'lecture' &&
        !call.moderator &&
        !(call.me && call.me.floor === true)
    );
}

function toggleCamera(call) {
    const v = call.videoTrack();
    if (!v) {
        return;
    }
    call.cameraOff = !call.cameraOff;
    v.enabled = !call.cameraOff;
    setPressed(ui.camera, call.cameraOff);
    say(t(call.cameraOff ? 'bar.camera-is-off' : 'bar.camera-is-on'), { transient: true });
    call.command({ type: 'camera', on: !call.cameraOff });
}

function toggleHand(call) {
    call.hand = !call.hand;
    setPressed(ui.hand, call.hand);
    say(t(call.hand ? 'bar.hand-raised' : 'bar.hand-lowered'), { transient: true });
    const want = call.hand;
    call.handInFlight = (call.handInFlight || 0) + 1;
    call.command({ type: 'hand', raised: want }).then((status) => {
        call.handInFlight--;
        if (status === 429 && call.hand === want && call.me) {
            // refused as too many in a row: as the server has it (the roster
            // that follows the last accepted change settles it, followServer)
            setHand(call, call.me.hand === true);
        }
    });
}

// The server lowered the hand (the moderator gave the floor or declined), or
// has it otherwise than shown (a change it refused): the server's state.
export function setHand(call, raised) {
    call.hand = raised;
    setPressed(ui.hand, raised);
}

// Connects the buttons to the call that current() returns (null: none).
export function bindCallBar(current) {
    const onClick = (button, fn) =>
        button.addEventListener('click', () => {
            const call = current();
            if (call) {
                fn(call);
            }
        });
    onClick(ui.mic, toggleMic);
    onClick(ui.camera, toggleCamera);
    onClick(ui.hand, toggleHand);
    onClick(ui.share, toggleShare);
    onClick(ui.leave, (call) => call.leave());
    onClick(ui.enableSound, () => playAudio());
    ui.chatForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const call = current();
        if (call) {
            sendChat((obj) => call.command(obj));
        }
    });
}
