// stage.js - the picture of the call and what is written on and above it:
// the composite video and the audio mix that come back, the note on the
// stage (joining, connecting, reconnecting, video paused), the "Click to
// enable sound" button for when the browser holds the sound back, and the
// top bar with the room's name, who presents and the connection quality.
// It only draws; call.js and the modules it drives decide what.

import { $ } from './dom.js';
import { setText, t, unmark } from './i18n.js';
import { say } from './status.js';

const ui = {
    video: $('remote-video'),
    audio: $('remote-audio'),
    stageNote: $('stage-note'),
    enableSound: $('enable-sound'),
    room: $('call-room'),
    presenter: $('presenter-note'),
    qualityBox: $('quality-box'),
    quality: $('quality'),
    lowData: $('low-data-note'),
};

let lowData = false; // audio only: no picture is shown (or expected)
let videoTrack = null; // the last picture track, shown when lowData ends

// The "audio only" notice shows when no other note is on the picture.
function renderLowData() {
    ui.video.hidden = lowData;
    ui.lowData.hidden = !lowData || !ui.stageNote.hidden;
}

// Audio only (on) or the picture again (off).
export function setLowData(on) {
    lowData = on;
    if (on) {
        ui.video.srcObject = null;
    } else if (videoTrack && videoTrack.readyState === 'live') {
        ui.video.srcObject = new MediaStream([videoTrack]);
        ui.video.play().catch(() => {});
    }
    renderLowData();
}

// The call is connected: in audio only no picture will hide the note.
export function stageConnected() {
    if (lowData) {
        ui.stageNote.hidden = true;
    }
    renderLowData();
}

// The line on the picture (joining, reconnecting, ...): the phrase `key`.
export function showStageNote(key) {
    setText(ui.stageNote, key);
    ui.stageNote.hidden = false;
    renderLowData();
}

// Changes the words of the note without showing it again if it is hidden.
export function setStageNoteText(key) {
    setText(ui.stageNote, key);
}

// The connection quality in the top bar: `level` (good, fair, poor,
// unknown) as data-level for the colour and the bars, `text` in words, and
// `detail` (loss, round trip, jitter) as the tooltip.
export function showQuality(level, text, detail) {
    unmark(ui.quality);
    ui.quality.textContent = text;
    ui.quality.dataset.level = level;
    ui.qualityBox.dataset.level = level;
    if (detail) {
        ui.qualityBox.title = detail;
    } else {
        ui.qualityBox.removeAttribute('title');
    }
}

// Plays a track the server sends: the composite picture or the audio mix.
export function showTrack(track) {
    const ms = new MediaStream([track]);
    if (track.kind === 'video') {
        videoTrack = track;
        if (!lowData) {
            ui.video.srcObject = ms;
            ui.video.play().catch(() => {});
        }
    } else if (track.kind === 'audio') {
        ui.audio.srcObject = ms;
        playAudio();
    }
}

export function playAudio() {
    ui.audio.play().then(
        () => {
            if (!ui.enableSound.hidden) {
                ui.enableSound.hidden = true;
                say(t('stage.sound-on'), { transient: true });
            }
        },
        () => {
            // autoplay refused: a click on the page may play it
            ui.enableSound.hidden = false;
            say(t('stage.sound-held'));
        },
    );
}

// The server paused our video (the sound goes on), or resumed it.
export function showVideoPaused(paused) {
    if (paused) {
        showStageNote('stage.paused');
    } else if (ui.stageNote.dataset.i18n === 'stage.paused') {
        ui.stageNote.hidden = true;
        renderLowData();
    }
}

// "Ada is presenting" and the like in the top bar; '' hides it.
export function showPresenter(text) {
    ui.presenter.textContent = text;
    ui.presenter.hidden = text === '';
}

// The stage of a call about to join `room`: no picture, no sound, "Joining…";
// lowData: audio only.
export function resetStage(room, audioOnly = false) {
    lowData = audioOnly;
    videoTrack = null;
    ui.room.textContent = room;
    ui.video.srcObject = null;
    ui.audio.srcObject = null;
    showStageNote('stage.joining');
    ui.enableSound.hidden = true;
    ui.presenter.hidden = true;
    ui.qualityBox.dataset.level = 'unknown';
    ui.quality.dataset.level = 'unknown';
    setText(ui.quality, 'quality.connecting');
    renderLowData();
}

// The note goes once the picture plays.
ui.video.addEventListener('playing', () => {
    ui.stageNote.hidden = true;
});
ui.video.addEventListener('resize', () => {
    if (ui.video.videoWidth > 0) {
        ui.stageNote.hidden = true;
    }
});
