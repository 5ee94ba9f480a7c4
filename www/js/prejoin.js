// prejoin.js - the screen before a room: camera and microphone preview with
// a level meter, device pickers (filled once the browser allows the
// devices, when their names are known), mute and camera toggles, the
// display name (remembered in localStorage), the invite link, the server's
// echo check (/echo/whip) as an optional step, the room's password when the
// server asked for one (kept for the tab only, see access.js), "audio only"
// (receive no video, remembered: settings.js), and "Join now".
//
// For tests: when window.__conclaveTestStream (a MediaStream) is set, it is
// used instead of getUserMedia, for the preview if it is there when the
// screen opens and for the call if it is there when #join is pressed. Its
// tracks are never stopped by the page.

import { whipConnect } from './whip.js';
import {
    LevelMeter,
    applyMute,
    deviceErrorText,
    fillSelect,
    listDevices,
    mediaAvailable,
    openCameraAndMic,
    openTrack,
} from './media.js';
import { $, recall, remember, setPressed } from './dom.js';
import { errorText, setText, t } from './i18n.js';
import { roomLink } from './rooms.js';
import { passwordProblem, savePassword } from './access.js';
import { checkPrejoinRecording } from './recording.js';
import { CAMERA_KEY, MIC_KEY, saveLowData, savedLowData } from './settings.js';
import { say } from './status.js';

const NAME_KEY = 'conclave.name';
const NAME_MAX_CHARS = 64;

const ui = {
    title: $('prejoin-title'),
    room: $('prejoin-room'),
    form: $('prejoin-form'),
    name: $('display-name'),
    cameraSelect: $('camera-select'),
    micSelect: $('mic-select'),
    join: $('join'),
    echo: $('echo-test'),
    preview: $('preview'),
    previewOff: $('preview-off'),
    mic: $('prejoin-mic'),
    cam: $('prejoin-cam'),
    level: $('mic-level'),
    echoFigure: $('echo-figure'),
    echoVideo: $('echo-video'),
    echoAudio: $('echo-audio'),
    link: $('room-link'),
    copy: $('copy-link'),
    passwordField: $('password-field'),
    password: $('room-password'),
    lowData: $('low-data'),
};

// Characters the server refuses in a name: controls (C0, DEL, C1, line and
// paragraph separators) and those that show nothing or turn the text around
// them (zero-width, joiners, bidirectional marks, embeddings, overrides and
// isolates, byte order mark, tags...), as conclave(8) lists them.
function isControl(c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;
}
const HIDDEN = [0xad, 0x34f, 0x61c, 0x115f, 0x1160, 0x180e, 0x3164, 0xfeff, 0xffa0];
function isHidden(c) {
    return (
        HIDDEN.includes(c) ||
        (c >= 0x200b && c <= 0x200f) ||
        (c >= 0x202a && c <= 0x202e) ||
        (c >= 0x2060 && c <= 0x206f) ||
        (c >= 0xd800 && c <= 0xdfff) || // a lone surrogate
        (c >= 0xfdd0 && c <= 0xfdef) ||
        (c >= 0xfff9 && c <= 0xfffb) ||
        (c & 0xfffe) === 0xfffe ||
        (c >= 0xe0000 && c <= 0xe007f)
    );
}

// A display name the server accepts: controls become spaces, hidden
// characters are left out, at most 64 characters (not bytes).
export function cleanName(raw) {
    const chars = Array.from(String(raw || ''))
        .map((ch) => (isControl(ch.codePointAt(0)) ? ' ' : ch))
        .filter((ch) => !isHidden(ch.codePointAt(0)));
    return Array.from(chars.join('').trim())
        .slice(0, NAME_MAX_CHARS)
        .join('')
        .trim();
}

let state = null; // { room, stream, ownsStream, meter, echo, muted, cameraOff, onJoin }
let generation = 0; // bumps on every enter/leave, so late results are dropped

function testStream() {
    const s = window.__conclaveTestStream;
    return s && typeof s.getTracks === 'function' ? s : null;
}

function applyToggles() {
    const s = state;
    const { audio: a, video: v } = applyMute(s.stream, s);
    setPressed(ui.mic, s.muted);
    setPressed(ui.cam, s.cameraOff);
    ui.mic.disabled = !a;
    ui.cam.disabled = !v;
    ui.level.parentElement.hidden = !a || s.muted;
    ui.previewOff.hidden = Boolean(v) && !s.cameraOff;
    setText(ui.previewOff, v ? 'prejoin.camera-is-off' : 'device.no-camera');
}

function startMeter() {
    if (state.meter) {
        state.meter.stop();
        state.meter = null;
    }
    const a = state.stream ? state.stream.getAudioTracks()[0] : null;
    if (a) {
        try {
            state.meter = new LevelMeter(a, ui.level);
        } catch {
            state.meter = null;
        }
    }
}

async function refreshDevices() {
    const g = generation;
    const { cameras, mics } = await listDevices();
    if (g !== generation || !state) {
        return;
    }
    const v = state.stream ? state.stream.getVideoTracks()[0] : null;
    const a = state.stream ? state.stream.getAudioTracks()[0] : null;
    const vid = v && v.getSettings ? v.getSettings().deviceId : '';
    const aid = a && a.getSettings ? a.getSettings().deviceId : '';
    fillSelect(ui.cameraSelect, cameras, vid, 'camera', state.injected);
    fillSelect(ui.micSelect, mics, aid, 'microphone', state.injected);
}

function showPreview() {
    ui.preview.srcObject = state.stream;
    if (state.stream) {
        ui.preview.play().catch(() => {});
    }
    applyToggles();
    startMeter();
}

// Replaces the track of `kind` by one from device `id`.
async function switchDevice(kind, id) {
    if (!state || state.injected) {
        return;
    }
    const g = generation;
    let track;
    try {
        // Release the old device first: some cameras open only once.
        const old = state.stream ? state.stream.getTracks().find((t) => t.kind === kind) : null;
        if (old && kind === 'video') {
            old.stop();
        }
        track = await openTrack(kind, id);
    } catch (e) {
        say(deviceErrorText(e), { error: true });
        return;
    }
    if (g !== generation || !state) {
        track.stop();
        return;
    }
    if (!state.stream) {
        state.stream = new MediaStream();
        state.ownsStream = true;
    }
    for (const old of state.stream.getTracks().filter((t) => t.kind === kind)) {
        state.stream.removeTrack(old);
        old.stop();
    }
    state.stream.addTrack(track);
    remember(kind === 'video' ? CAMERA_KEY : MIC_KEY, id);
    if (state.echo && state.echo.whip) {
        const sender = state.echo.whip.pc
            .getSenders()
            .find((s) => s.track && s.track.kind === kind);
        if (sender) {
            sender.replaceTrack(track).catch(() => {});
        }
    }
    showPreview();
    say(t(kind === 'video' ? 'device.camera-changed' : 'device.microphone-changed'), {
        transient: true,
    });
}

// ---- the echo check ----

const ECHO_STATES = ['new', 'connecting', 'connected', 'disconnected', 'failed'];

async function startEcho() {
    const s = state;
    if (!s || s.echo) {
        return;
    }
    if (!s.stream) {
        say(t('echo.needs-media'), { error: true });
        return;
    }
    const echo = { whip: null };
    s.echo = echo;
    setPressed(ui.echo, true);
    ui.echoFigure.hidden = false;
    const back = new MediaStream();
    ui.echoVideo.srcObject = back;
    say(t('echo.contacting'));
    try {
        echo.whip = await whipConnect('echo/whip', {
            stream: s.stream,
            onTrack: (track) => {
                if (track.kind === 'video') {
                    back.addTrack(track);
                    ui.echoVideo.play().catch(() => {});
                } else {
                    ui.echoAudio.srcObject = new MediaStream([track]);
                    ui.echoAudio.play().catch(() => {});
                }
            },
        });
    } catch (e) {
        if (s.echo === echo) {
            stopEcho();
            say(t('echo.refused', { reason: errorText(e) }), { error: true });
        }
        return;
    }
    if (s.echo !== echo || state !== s) {
        echo.whip.close();
        return;
    }
    const pc = echo.whip.pc;
    const show = () => {
        const st = pc.connectionState;
        if (s.echo === echo && ECHO_STATES.includes(st)) {
            say(t(`echo.state.${st}`), { error: st === 'failed' });
        }
    };
    pc.addEventListener('connectionstatechange', show);
    show();
}

function stopEcho(message = null) {
    const s = state;
    if (!s || !s.echo) {
        return;
    }
    const echo = s.echo;
    s.echo = null;
    if (echo.whip) {
        echo.whip.close();
    }
    setPressed(ui.echo, false);
    ui.echoFigure.hidden = true;
    ui.echoVideo.srcObject = null;
    ui.echoAudio.srcObject = null;
    if (message) {
        say(message);
    }
}

// ---- entering and leaving ----

// Shows the pre-join screen of `room`. reuse: { stream, ownsStream, muted,
// cameraOff, lowData } to keep the devices of a join that failed. askPassword: the
// server refused the join for want of the right password: show the field.
// onJoin(opts) is called with { room, name, stream, ownsStream, muted,
// cameraOff } when the person presses "Join now"; the stream is theirs from
// then on.
export async function enterPrejoin(room, { onJoin, reuse = null, askPassword = false } = {}) {
    leavePrejoin();
    ui.password.value = '';
    ui.passwordField.hidden = !askPassword;
    if (askPassword) {
        ui.password.focus();
    }
    const g = ++generation;
    state = {
        room,
        stream: null,
        ownsStream: false,
        injected: false,
        meter: null,
        echo: null,
        muted: reuse ? reuse.muted : false,
        cameraOff: reuse ? reuse.cameraOff : false,
        onJoin,
    };
    ui.room.textContent = room;
    checkPrejoinRecording(room); // told before anything is sent
    ui.link.value = roomLink(room);
    ui.name.value = recall(NAME_KEY);
    ui.lowData.checked = reuse ? reuse.lowData === true : savedLowData();
    ui.join.disabled = false;
    ui.echoFigure.hidden = true;
    setPressed(ui.echo, false);

    if (reuse && reuse.stream) {
        state.stream = reuse.stream;
        state.ownsStream = reuse.ownsStream;
        state.injected = !reuse.ownsStream;
        showPreview();
        refreshDevices();
        return;
    }
    const injected = testStream();
    if (injected) {
        state.stream = injected;
        state.injected = true;
        showPreview();
        refreshDevices();
        return;
    }
    if (!mediaAvailable()) {
        showPreview();
        fillSelect(ui.cameraSelect, [], '', 'camera');
        fillSelect(ui.micSelect, [], '', 'microphone');
        say(t('prejoin.no-media'), { error: true });
        return;
    }
    say(t('device.asking'));
    const cameraId = recall(CAMERA_KEY);
    const micId = recall(MIC_KEY);
    let { stream, error } = await openCameraAndMic({ cameraId, micId });
    if (
        error &&
        (cameraId || micId) &&
        (error.name === 'OverconstrainedError' || error.name === 'NotFoundError')
    ) {
        // a remembered device is gone: let the browser choose
        if (stream) {
            stream.getTracks().forEach((t) => t.stop());
        }
        remember(CAMERA_KEY, '');
        remember(MIC_KEY, '');
        ({ stream, error } = await openCameraAndMic({}));
    }
    if (g !== generation) {
        if (stream) {
            stream.getTracks().forEach((t) => t.stop());
        }
        return;
    }
    state.stream = stream;
    state.ownsStream = Boolean(stream);
    showPreview();
    await refreshDevices();
    if (g !== generation) {
        return;
    }
    if (!stream) {
        say(t('prejoin.device-error', { reason: deviceErrorText(error) }), { error: true });
    } else if (error) {
        const only = stream.getVideoTracks().length ? 'prejoin.only-camera' : 'prejoin.only-mic';
        say(t(only, { reason: deviceErrorText(error) }), { error: true });
    } else {
        say(t('prejoin.ready'), { transient: true });
    }
}

// Leaves the pre-join screen; keepStream: the call took the stream over.
export function leavePrejoin({ keepStream = false } = {}) {
    generation++;
    const s = state;
    if (!s) {
        return;
    }
    stopEcho();
    if (s.meter) {
        s.meter.stop();
    }
    if (!keepStream && s.ownsStream && s.stream) {
        s.stream.getTracks().forEach((t) => t.stop());
    }
    ui.preview.srcObject = null;
    state = null;
}

function join() {
    const s = state;
    if (!s) {
        return;
    }
    if (!ui.passwordField.hidden) {
        const problem = passwordProblem(ui.password.value);
        if (problem) {
            say(t('prejoin.password-problem', { problem }), { error: true });
            ui.password.focus();
            return;
        }
        savePassword(s.room, ui.password.value);
    }
    const name = cleanName(ui.name.value);
    remember(NAME_KEY, name);
    let stream = s.stream;
    let ownsStream = s.ownsStream;
    const injected = testStream();
    if (injected && injected !== stream) {
        if (s.ownsStream && s.stream) {
            s.stream.getTracks().forEach((t) => t.stop());
        }
        stream = injected;
        ownsStream = false;
    }
    const opts = {
        room: s.room,
        name: name || t('prejoin.guest'),
        stream,
        ownsStream,
        muted: s.muted,
        cameraOff: s.cameraOff,
        lowData: ui.lowData.checked,
    };
    saveLowData(opts.lowData);
    leavePrejoin({ keepStream: true });
    s.onJoin(opts);
}

// ---- wiring ----

ui.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    join();
});
ui.name.addEventListener('change', () => {
    const n = cleanName(ui.name.value);
    if (n !== ui.name.value) {
        ui.name.value = n;
    }
});
ui.echo.addEventListener('click', () => {
    if (!state) {
        return;
    }
    if (state.echo) {
        stopEcho(t('echo.stopped'));
    } else {
        startEcho();
    }
});
ui.mic.addEventListener('click', () => {
    if (state) {
        state.muted = !state.muted;
        applyToggles();
    }
});
ui.cam.addEventListener('click', () => {
    if (state) {
        state.cameraOff = !state.cameraOff;
        applyToggles();
    }
});
ui.cameraSelect.addEventListener('change', () => switchDevice('video', ui.cameraSelect.value));
ui.micSelect.addEventListener('change', () => switchDevice('audio', ui.micSelect.value));
if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener('devicechange', () => {
        if (state) {
            refreshDevices();
        }
    });
}
ui.copy.addEventListener('click', async () => {
    const text = ui.link.value;
    try {
        await navigator.clipboard.writeText(text);
        say(t('prejoin.copied'), { transient: true });
    } catch {
        ui.link.focus();
        ui.link.select();
        say(t('prejoin.copy-by-hand'), { transient: true });
    }
});
ui.link.addEventListener('focus', () => ui.link.select());
