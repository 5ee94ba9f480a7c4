// echo.js - the landing page's camera and microphone check.
//
// "Test my camera and microphone" asks for the camera and the microphone,
// shows the local preview, joins the server's echo room over WHIP and plays
// what comes back: the participant's own picture and voice after a trip
// through the server's decoder and encoder. "Stop" leaves and releases the
// devices. The connection state is announced in a live status line.

import { whipConnect } from './whip.js';

const ECHO_URL = 'echo/whip';

const startBtn = document.getElementById('start');
const stopBtn = document.getElementById('stop');
const statusLine = document.getElementById('status');
const localVideo = document.getElementById('local');
const remoteVideo = document.getElementById('remote');

let session = null;
let localStream = null;
let running = false;

const STATE_TEXT = {
    new: 'Connecting…',
    connecting: 'Connecting to the server…',
    connected: 'Connected. You should see and hear yourself in the second picture.',
    disconnected: 'The connection is interrupted; trying to recover…',
    failed: 'The connection failed. Check that nothing blocks UDP to the server, then try again.',
    closed: 'Not connected.',
};

function say(text, isError = false) {
    statusLine.textContent = text;
    statusLine.classList.toggle('error', isError);
}

function setRunning(on) {
    running = on;
    startBtn.disabled = on;
    stopBtn.disabled = !on;
}

function deviceErrorText(e) {
    switch (e && e.name) {
        case 'NotAllowedError':
            return (
                'The browser was not allowed to use the camera or microphone. ' +
                'Allow them for this site and try again.'
            );
        case 'NotFoundError':
            return 'No camera or microphone was found.';
        case 'NotReadableError':
            return 'The camera or microphone is in use by another program.';
        default:
            return `Cannot use the camera or microphone: ${e && e.message ? e.message : e}`;
    }
}

async function stop(message = 'Stopped.') {
    const s = session;
    session = null;
    if (localStream) {
        localStream.getTracks().forEach((t) => t.stop());
        localStream = null;
    }
    localVideo.srcObject = null;
    remoteVideo.srcObject = null;
    setRunning(false);
    if (message !== null) {
        say(message);
    }
    startBtn.focus();
    if (s) {
        await s.close();
    }
}

async function start() {
    if (running) {
        return;
    }
    setRunning(true);
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        setRunning(false);
        say('This browser cannot reach a camera from this page. Open it over https.', true);
        return;
    }

    say('Asking for your camera and microphone…');
    try {
        localStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    } catch (e) {
        setRunning(false);
        say(deviceErrorText(e), true);
        return;
    }
    if (!running) {
        localStream.getTracks().forEach((t) => t.stop());
        localStream = null;
        return;
    }
    localVideo.srcObject = localStream;

    const remoteStream = new MediaStream();
    remoteVideo.srcObject = remoteStream;
    say('Contacting the server…');
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
        say(`The server could not start the check: ${e.message}`, true);
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
        say(STATE_TEXT[state] || state, state === 'failed');
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
