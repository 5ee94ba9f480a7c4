// media.js - the camera and the microphone: opening them with a chosen
// device, listing devices (and filling a select with them), words for the
// errors a person can act on, and a small microphone level meter (WebAudio,
// nothing leaves the page); and a screen to share.

import { setText, t } from './i18n.js';

export function mediaAvailable() {
    return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

export function deviceErrorText(e) {
    switch (e && e.name) {
        case 'NotAllowedError':
            return t('device.not-allowed');
        case 'NotFoundError':
            return t('device.not-found');
        case 'NotReadableError':
            return t('device.in-use');
        case 'OverconstrainedError':
            return t('device.gone');
        default:
            return t('device.other');
    }
}

function constraint(id) {
    return id ? { deviceId: { exact: id } } : true;
}

// Opens the camera and the microphone (the given device ids, or the
// browser's choice). When both together fail, tries each alone, so a person
// with only a microphone (or only a camera) can still join.
// Returns { stream, error }: stream may lack a kind (or be null), error is
// the first failure (or null).
export async function openCameraAndMic({ cameraId = '', micId = '' } = {}) {
    const md = navigator.mediaDevices;
    try {
        const stream = await md.getUserMedia({
            video: constraint(cameraId),
            audio: constraint(micId),
        });
        return { stream, error: null };
    } catch (first) {
        if (first && first.name === 'NotAllowedError') {
            return { stream: null, error: first };
        }
        const tracks = [];
        for (const c of [{ audio: constraint(micId) }, { video: constraint(cameraId) }]) {
            try {
                const s = await md.getUserMedia(c);
                tracks.push(...s.getTracks());
            } catch {
                // this kind is missing; the other may still work
            }
        }
        return { stream: tracks.length ? new MediaStream(tracks) : null, error: first };
    }
}

// Turns the tracks of stream (may be null) on or off: the microphone is off
// when muted, the camera when cameraOff. Returns { audio, video }, each the
// first track of its kind or null.
export function applyMute(stream, { muted, cameraOff }) {
    const audio = stream ? stream.getAudioTracks()[0] || null : null;
    const video = stream ? stream.getVideoTracks()[0] || null : null;
    if (audio) {
        audio.enabled = !muted;
    }
    if (video) {
        video.enabled = !cameraOff;
    }
    return { audio, video };
}

// Whether a screen can be shared: the browser has a picker, or a test put a
// stream in window.__conclaveTestScreenStream.
export function screenAvailable() {
    return Boolean(
        (navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia) ||
        window.__conclaveTestScreenStream,
    );
}

// Asks for a screen (or window) to share with the browser's picker, or
// takes the test's stream (injected: true). Returns { stream, track,
// injected }, track being its video track (hinted as "detail", so text stays
// sharp) or undefined; or { problem, error } with the words to say and
// whether it is an error rather than a choice (cancelled).
export async function openScreen() {
    let stream = window.__conclaveTestScreenStream || null;
    const injected = Boolean(stream);
    if (!stream) {
        const md = navigator.mediaDevices;
        if (!md || !md.getDisplayMedia) {
            return { problem: t('share.unsupported'), error: true };
        }
        try {
            stream = await md.getDisplayMedia({
                video: { frameRate: { ideal: 15, max: 30 } },
                audio: false,
            });
        } catch (e) {
            const cancelled = Boolean(e && e.name === 'NotAllowedError');
            return {
                problem: cancelled ? t('share.cancelled') : t('share.cannot'),
                error: !cancelled,
            };
        }
    }
    const track = stream.getVideoTracks()[0];
    if (track && 'contentHint' in track) {
        try {
            track.contentHint = 'detail';
        } catch {
            // not every hint is accepted everywhere
        }
    }
    return { stream, track, injected };
}

// Opens one kind ('audio' or 'video') from the device `id`; returns its track.
export async function openTrack(kind, id) {
    const s = await navigator.mediaDevices.getUserMedia({ [kind]: constraint(id) });
    return s.getTracks()[0];
}

// Fills a device select: kind 'camera' or 'microphone'; a device without a
// label (not allowed yet) is "Camera 2"; none at all is "No camera".
export function fillSelect(select, devices, currentId, kind, locked = false) {
    const opts = devices.map((d, i) => {
        const o = document.createElement('option');
        o.value = d.id;
        if (d.label) {
            o.textContent = d.label;
        } else {
            setText(o, kind === 'camera' ? 'device.camera-n' : 'device.microphone-n', {
                n: i + 1,
            });
        }
        return o;
    });
    if (opts.length === 0) {
        const o = document.createElement('option');
        o.value = '';
        setText(o, kind === 'camera' ? 'device.no-camera' : 'device.no-microphone');
        opts.push(o);
    }
    select.replaceChildren(...opts);
    if (currentId && devices.some((d) => d.id === currentId)) {
        select.value = currentId;
    }
    select.disabled = devices.length === 0 || locked;
}

// { cameras: [{id, label}], mics: [{id, label}] }; labels are empty until
// the page has been allowed to use the devices.
export async function listDevices() {
    const out = { cameras: [], mics: [] };
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) {
        return out;
    }
    let list = [];
    try {
        list = await navigator.mediaDevices.enumerateDevices();
    } catch {
        return out;
    }
    for (const d of list) {
        if (d.kind === 'videoinput') {
            out.cameras.push({ id: d.deviceId, label: d.label });
        } else if (d.kind === 'audioinput') {
            out.mics.push({ id: d.deviceId, label: d.label });
        }
    }
    return out;
}

// Shows the level of an audio track as the horizontal scale of `bar`
// (an element; scaled with element.style, which the CSP allows).
export class LevelMeter {
    constructor(track, bar) {
        this.bar = bar;
        this.stopped = false;
        const AC = globalThis.AudioContext || globalThis.webkitAudioContext;
        if (!AC || !track) {
            this.ctx = null;
            return;
        }
        this.ctx = new AC();
        this.analyser = this.ctx.createAnalyser();
        this.analyser.fftSize = 512;
        this.data = new Float32Array(this.analyser.fftSize);
        this.source = this.ctx.createMediaStreamSource(new MediaStream([track]));
        this.source.connect(this.analyser);
        // Without a user gesture the context may start suspended: resume it
        // on the first one.
        this.resume = () => {
            if (this.ctx && this.ctx.state === 'suspended') {
                this.ctx.resume().catch(() => {});
            }
        };
        this.resume();
        window.addEventListener('pointerdown', this.resume, true);
        window.addEventListener('keydown', this.resume, true);
        this.level = 0;
        const tick = () => {
            if (this.stopped) {
                return;
            }
            this.analyser.getFloatTimeDomainData(this.data);
            let sum = 0;
            for (const v of this.data) {
                sum += v * v;
            }
            const rms = Math.sqrt(sum / this.data.length);
            // -60 dBFS .. 0 dBFS onto 0 .. 1, falling slowly
            const db = 20 * Math.log10(rms + 1e-9);
            const target = Math.min(1, Math.max(0, (db + 60) / 60));
            this.level = Math.max(target, this.level * 0.85);
            this.bar.style.transform = `scaleX(${this.level.toFixed(3)})`;
            this.raf = requestAnimationFrame(tick);
        };
        this.raf = requestAnimationFrame(tick);
    }

    stop() {
        this.stopped = true;
        cancelAnimationFrame(this.raf);
        window.removeEventListener('pointerdown', this.resume, true);
        window.removeEventListener('keydown', this.resume, true);
        if (this.ctx) {
            this.ctx.close().catch(() => {});
            this.ctx = null;
        }
        this.bar.style.transform = 'scaleX(0)';
    }
}
