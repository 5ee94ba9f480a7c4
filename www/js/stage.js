// stage.js - the picture of the call and what is written on and above it:
// the composite video and the audio mix that come back, the note on the
// stage (joining, connecting, reconnecting, video paused), the "Click to
// enable sound" button for when the browser holds the sound back, and the
// top bar with the room's name, who presents and the connection quality.
// It only draws; call.js and the modules it drives decide what.

import { $ } from './dom.js';
import { say } from './status.js';

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
};

// The line on the picture (joining, reconnecting, ...).
export function showStageNote(text) {
    ui.stageNote.textContent = text;
    ui.stageNote.hidden = false;
}

// Changes the words of the note without showing it again if it is hidden.
export function setStageNoteText(text) {
    ui.stageNote.textContent = text;
}

// The connection quality in the top bar: `level` (good, fair, poor,
// unknown) as data-level for the colour and the bars, `text` in words, and
// `detail` (loss, round trip, jitter) as the tooltip.
export function showQuality(level, text, detail) {
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
        ui.video.srcObject = ms;
        ui.video.play().catch(() => {});
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

// The server paused our video (the sound goes on), or resumed it.
export function showVideoPaused(paused) {
    if (paused) {
        showStageNote(PAUSED_NOTE);
    } else if (ui.stageNote.textContent === PAUSED_NOTE) {
        ui.stageNote.hidden = true;
    }
}

// "Ada is presenting" and the like in the top bar; '' hides it.
export function showPresenter(text) {
    ui.presenter.textContent = text;
    ui.presenter.hidden = text === '';
}

// The stage of a call about to join `room`: no picture, no sound, "Joining…".
export function resetStage(room) {
    ui.room.textContent = room;
    ui.video.srcObject = null;
    ui.audio.srcObject = null;
    showStageNote('Joining…');
    ui.enableSound.hidden = true;
    ui.presenter.hidden = true;
    ui.qualityBox.dataset.level = 'unknown';
    ui.quality.dataset.level = 'unknown';
    ui.quality.textContent = 'Connection: connecting';
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
