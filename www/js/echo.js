// echo.js - the landing page's camera and microphone check.
//
// "Test my camera and microphone" asks for the camera and the microphone,
// shows the local preview, joins the server's echo room over WHIP and plays
// what comes back: the participant's own picture and voice after a trip
// through the server's decoder and encoder. "Stop" leaves and releases the
// devices. The connection state is announced in the live status line.
// stopEcho() ends a running check (the page calls it when another view
// is shown).

import { whipConnect } from './whip.js';
import { errorText, t } from './i18n.js';
import { deviceErrorText, mediaAvailable } from './media.js';
import { say } from './status.js';

const ECHO_URL = 'echo/whip';

const startBtn = document.getElementById('start');
const stopBtn = document.getElementById('stop');
const localVideo = document.getElementById('local');
const remoteVideo = document.getElementById('remote');
const videos = document.getElementById('check-videos');

let session = null;
let localStream = null;
let running = false;

const STATES = ['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed'];

function setRunning(on) {
    running = on;
    startBtn.disabled = on;
    stopBtn.disabled = !on;
}

async function stop(message = t('check.stopped'), { focus = true } = {}) {
    const s = session;
    session = null;
    if (localStream) {
        localStream.getTracks().forEach((t) => t.stop());
        localStream = null;
    }
    localVideo.srcObject = null;
    remoteVideo.srcObject = null;
    videos.hidden = true;
    setRunning(false);
    if (message !== null) {
        say(message);
    }
    if (focus) {
        startBtn.focus();
    }
    if (s) {
        await s.close();
    }
}

// Ends a running check quietly (no status message, focus left alone).
export function stopEcho() {
    if (running || session) {
        return stop(null, { focus: false });
    }
    return Promise.resolve();
}

async function start() {
    if (running) {
        return;
    }
    setRunning(true);
    if (!mediaAvailable()) {
        setRunning(false);
        say(t('check.no-media'), { error: true });
        return;
    }

    say(t('device.asking'));
    try {
        localStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    } catch (e) {
        setRunning(false);
        say(deviceErrorText(e), { error: true });
        return;
    }
    if (!running) {
        localStream.getTracks().forEach((t) => t.stop());
        localStream = null;
        return;
    }
    videos.hidden = false;
    localVideo.srcObject = localStream;

    const remoteStream = new MediaStream();
    remoteVideo.srcObject = remoteStream;
    say(t('check.contacting'));
    let s;
    try {
        s = await whipConnect(ECHO_URL, {
            stream: localStream,
            onTrack: (track) => {
                remoteStream.addTrack(track);
                remoteVideo.play().catch(() => {});
            },
        });
    } catch (e) {
        if (!running) {
            return;
        }
        await stop(null);
        say(t('check.refused', { reason: errorText(e) }), { error: true });
        return;
    }
    if (!running) {
        await s.close();
        return;
    }
    session = s;
    const showState = () => {
        if (session !== s) {
            return;
        }
        const state = s.pc.connectionState;
        if (STATES.includes(state)) {
            say(t(`check.state.${state}`), { error: state === 'failed' });
        }
    };
    s.pc.addEventListener('connectionstatechange', showState);
    showState();
}

startBtn.addEventListener('click', () => {
    start();
});
stopBtn.addEventListener('click', () => {
    stop();
});
// Leave the session when the page goes away; close() sends DELETE with keepalive.
window.addEventListener('pagehide', () => {
    if (session) {
        session.close();
    }
});
