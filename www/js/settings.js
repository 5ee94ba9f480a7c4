// settings.js - the call's settings (the side panel's "Settings" part):
// which camera and microphone are sent, the "audio only" choice, and the
// language (i18n.js wires its select).
//
// A device change opens the chosen device, swaps it into the call's stream
// and into the session's sender with RTCRtpSender.replaceTrack (no new
// offer: the server sees the same stream go on), keeps it muted or off as
// the call is, and remembers it for the next pre-join screen. The lists
// follow devicechange. A call whose stream the page does not own (a test's)
// keeps its devices.
//
// "Audio only" (low data): the call asks the server for no video
// ({"type":"receive","video":false}, call.js) and shows a notice instead of
// the picture; the choice is remembered in localStorage ('conclave.lowdata')
// and offered again on the pre-join screen.

import { $, recall, remember } from './dom.js';
import { t } from './i18n.js';
import { deviceErrorText, fillSelect, listDevices, openTrack } from './media.js';
import { say } from './status.js';

const LOW_DATA_KEY = 'conclave.lowdata';
export const CAMERA_KEY = 'conclave.camera';
export const MIC_KEY = 'conclave.mic';

const ui = {
    camera: $('call-camera-select'),
    mic: $('call-mic-select'),
    lowData: $('call-low-data'),
};

// Whether "audio only" was chosen last time.
export function savedLowData() {
    return recall(LOW_DATA_KEY) === '1';
}

export function saveLowData(on) {
    remember(LOW_DATA_KEY, on ? '1' : '');
}

function trackOf(call, kind) {
    return call.stream ? call.stream.getTracks().find((tr) => tr.kind === kind) || null : null;
}

// Fills the device selects for `call` (null: none).
export async function refreshCallDevices(call) {
    const { cameras, mics } = await listDevices();
    if (!call || call.ended) {
        return;
    }
    const v = trackOf(call, 'video');
    const a = trackOf(call, 'audio');
    const id = (tr) => (tr && tr.getSettings ? tr.getSettings().deviceId || '' : '');
    // a kind the call does not send has no sender to swap a device into
    fillSelect(ui.camera, cameras, id(v), 'camera', !call.ownsStream || !v);
    fillSelect(ui.mic, mics, id(a), 'microphone', !call.ownsStream || !a);
}

// Sends device `id` for `kind` ('audio' or 'video') in `call` from now on.
export async function switchCallDevice(call, kind, id) {
    const old = trackOf(call, kind);
    if (!old || !call.ownsStream || old.getSettings().deviceId === id) {
        return;
    }
    let track;
    try {
        track = await openTrack(kind, id);
    } catch (e) {
        if (kind !== 'video' || !e || e.name !== 'NotReadableError') {
            say(deviceErrorText(e), { error: true });
            refreshCallDevices(call); // the select shows the device still sent
            return;
        }
        // some cameras open only once: let go of the old one and try again
        old.stop();
        try {
            track = await openTrack(kind, id);
        } catch (e2) {
            say(deviceErrorText(e2), { error: true });
            refreshCallDevices(call);
            return;
        }
    }
    if (call.ended || trackOf(call, kind) !== old) {
        track.stop();
        return;
    }
    track.enabled = kind === 'audio' ? !call.muted : !call.cameraOff;
    call.stream.removeTrack(old);
    call.stream.addTrack(track);
    if (call.link) {
        const sender = call.link.whip.pc
            .getSenders()
            .find((s) => s.track === old || (s.track && s.track.kind === kind));
        if (sender) {
            await sender.replaceTrack(track).catch(() => {});
        }
    }
    old.stop();
    remember(kind === 'video' ? CAMERA_KEY : MIC_KEY, id);
    say(t(kind === 'video' ? 'device.camera-changed' : 'device.microphone-changed'), {
        transient: true,
    });
}

// Shows the settings of a call about to join.
export function resetSettings(call) {
    ui.lowData.checked = call.lowData;
    refreshCallDevices(call);
}

// Connects the controls to the call that current() returns (null: none).
export function bindSettings(current) {
    ui.camera.addEventListener('change', () => {
        const call = current();
        if (call) {
            switchCallDevice(call, 'video', ui.camera.value);
        }
    });
    ui.mic.addEventListener('change', () => {
        const call = current();
        if (call) {
            switchCallDevice(call, 'audio', ui.mic.value);
        }
    });
    ui.lowData.addEventListener('change', () => {
        const call = current();
        if (call) {
            call.setLowData(ui.lowData.checked);
        }
    });
    if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
        navigator.mediaDevices.addEventListener('devicechange', () => {
            const call = current();
            if (call) {
                refreshCallDevices(call);
            }
        });
    }
}
