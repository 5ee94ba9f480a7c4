#!/usr/bin/env bash
# recording.sh - a moderator records a meeting (conclave(8), Recording), in a
# network and mount namespace of its own:
#   - refusals: a non-moderator (403), [recording] enabled = no after a
#     SIGHUP (403 "recording is disabled"), a room whose section says
#     recording = no (403); nothing in the directory while nothing was
#     recorded;
#   - three bench/loadgen participants (colours and tones of
#     bench/loadgen/lg_media.c) recorded for 5 s: the recording event
#     reaches a participant's stream within 1 s, WHIP/WHEP and ice-servers
#     answers say Conclave-Recording: on, /metrics counts it; the file
#     (directory 0700, file 0600) holds VP8 and Opus, lasts 10 +/- 1 s,
#     shows the three tile colours, sounds the three tones, and its first
#     picture and sound are within 100 ms (bench/webmprobe decodes it with
#     libavformat and libavcodec);
#   - a full file system (a 256 KiB tmpfs, put in force by a SIGHUP): the
#     recording stops with its events, the daemon and the meeting go on at
#     the same frame rate;
#   - max_seconds = 2 stops a recording after 2 s; the room emptied stops
#     one; the log (at info) names neither room nor file; SIGTERM finishes
#     the file (it has a duration); SIGKILL mid-recording leaves a file that
#     decodes to within 3 s of the kill.
# Ends with "recording: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=recording
# shellcheck source=tests/integration/loadgen-lib.sh
. tests/integration/loadgen-lib.sh
[ -x build/bench/loadgen ] || { bad "build/bench/loadgen is built (make check builds it)"; it_finish; }
[ -x build/bench/webmprobe ] || { bad "build/bench/webmprobe is built (make check builds it)"; it_finish; }
if [ "${CONCLAVE_IT_MNTNS:-}" != 1 ]; then
    # a mount namespace of our own, for the full file system
    [ "$(id -u)" = 0 ] || { bad "runs as root (mount namespace, tmpfs)"; it_finish; }
    exec env CONCLAVE_IT_MNTNS=1 unshare -m -- bash "$0" "$@"
fi
mount --make-rprivate / 2>/dev/null
lg_reexec_netns "$@" || { bad "runs in a network namespace"; it_finish; }

rec=$lg_tmp/rec
full=$lg_tmp/full
mkdir -p "$full"
mount -t tmpfs -o size=256k tmpfs "$full" || { bad "a small tmpfs is mounted"; it_finish; }
modpw=chair-of-the-meeting
room=qxtapedroom9 # distinctive: the log must never name it

ini_extra() { # enabled dir [max_seconds]
    printf '[recording]\nenabled = %s\ndir = %s\nmax_seconds = %s\n' "$1" "$2" "${3:-0}"
    printf '[room %s]\nmoderator_password = %s\n[room norec]\nrecording = no\n' "$room" "$modpw"
    printf '[ice]\ncheck_timeout = 120\ntimeout = 120\n[log]\nlevel = info\n'
}
reload() { # enabled dir [max_seconds]
    LG_EXTRA_INI=$(ini_extra "$1" "$2" "${3:-0}")
    lg_write_ini
    local n
    n=$(grep -c "reload: settings of" "$it_err")
    kill -HUP "$lg_pid"
    it_until '[ "$(grep -c "reload: settings of" "$it_err")" -gt '"$n"' ]' 5
}
lg_write_ini() {
    sed -i '/^\[recording\]/,$d' "$lg_tmp/conclave.ini"
    printf '%s\n' "$LG_EXTRA_INI" >>"$lg_tmp/conclave.ini"
}

# join ROOM KIND [bearer]: a WHEP (viewer) or WHIP session that never
# connects; prints "status location recording-header"
join() {
    local hdr=$lg_tmp/hdr.$$
    local code
    code=$(it_offer | curl -s --noproxy '*' --max-time 10 -o /dev/null -D "$hdr" -w '%{http_code}' \
        -H 'Content-Type: application/sdp' ${3:+-H "Authorization: Bearer $3"} \
        --data-binary @- "$lg_url/rooms/$1/$2")
    local loc recording
    loc=$(tr -d '\r' <"$hdr" | sed -n 's/^[Ll]ocation: //p')
    recording=$(tr -d '\r' <"$hdr" | sed -n 's/^[Cc]onclave-[Rr]ecording: //p')
    echo "$code ${loc:-none} ${recording:-none}"
}
# command ROOM SESSION-ID JSON: prints "status body"
command() {
    local code
    code=$(curl -s --noproxy '*' --max-time 10 -o "$lg_tmp/cmd.body" -w '%{http_code}' \
        -H 'Content-Type: application/json' -H "Conclave-Session: $2" --data-binary "$3" \
        "$lg_url/rooms/$1/command")
    echo "$code $(head -1 "$lg_tmp/cmd.body")"
}
# stream LOCATION FILE: the session's event stream, into FILE
stream() {
    local url
    url=$(it_session_events "$lg_url" "$1")
    curl -s -N --noproxy '*' "$url" >"$2" &
    it_bg+=($!)
}
files() { find "$1" -name '*.webm' 2>/dev/null | sort; }
probe() { build/bench/webmprobe "$@"; }
val() { printf '%s\n' "$1" | sed -n "s/^$2=//p" | head -1; }
# the colours of loadgen's participants 0..3 (lg_media.c: fill) and its tones
colour() { awk -v c="$1" 'BEGIN { a = c * 2.399963; printf "%d,%d,%d", 70 + (c * 37) % 60,
    int(128 + 70 * cos(a)), int(128 + 70 * sin(a)) }'; }
tone() { echo $((300 + 40 * $1)); }

LG_EXTRA_INI=$(ini_extra yes "$rec")
LG_THREADS=2
LG_WIDTH=640
LG_HEIGHT=360
lg_start_daemon || { bad "daemon starts"; it_finish; }
ok "daemon starts"

# ---- the meeting: three participants, each its colour and tone ----
build/bench/loadgen --url "$lg_url" --room "$room" --participants 3 --speakers 3 --decoders 1 \
    --distinct 3 --warmup 1 --seconds 60 >"$lg_tmp/lg.out" 2>"$lg_tmp/lg.err" &
lg_bg=$!
it_bg+=($lg_bg)
it_until '[ "$(lg_metric conclave_participants)" = 3 ]' 20
check "three loadgen participants joined" '[ "$(lg_metric conclave_participants)" = 3 ]'

# ---- refusals, and nothing written meanwhile ----
read -r code att _ <<<"$(join "$room" whep)"
check "an attendee viewer joins (201: $code)" '[ "$code" = 201 ]'
read -r code body <<<"$(command "$room" "${att##*/}" '{"type":"record","on":true}')"
check "a non-moderator's record: 403 only a moderator ($code $body)" \
    '[ "$code" = 403 ] && [ "$body" = "only a moderator may do that" ]'
read -r code mod hdr <<<"$(join "$room" whep "$modpw")"
check "the moderator joins (201: $code), told the room is not recorded ($hdr)" \
    '[ "$code" = 201 ] && [ "$hdr" = off ]'
modid=${mod##*/}
reload no "$rec"
read -r code body <<<"$(command "$room" "$modid" '{"type":"record","on":true}')"
check "after SIGHUP with enabled = no: 403 recording is disabled ($code $body)" \
    '[ "$code" = 403 ] && [ "$body" = "recording is disabled" ]'
reload yes "$rec"
read -r code nmod _ <<<"$(join norec whep)"
read -r code body <<<"$(command norec "${nmod##*/}" '{"type":"record","on":true}')"
check "room with recording = no: 403 recording is forbidden ($code $body)" \
    '[ "$code" = 403 ] && [ "$body" = "recording is forbidden in this room" ]'
check "nothing was written while nothing was recorded" '[ ! -e "$rec" ]'

# ---- 5 s of recording ----
stream "$att" "$lg_tmp/att.events"
stream "$mod" "$lg_tmp/mod.events"
it_wait_for "$lg_tmp/att.events" "event: room" 5
before=$(lg_metric conclave_recording_bytes_total)
t0=$(date +%s%N)
read -r code body <<<"$(command "$room" "$modid" '{"type":"record","on":true}')"
check "the moderator starts recording (204: $code $body)" '[ "$code" = 204 ]'
it_wait_for "$lg_tmp/att.events" '"on":true' 1
t1=$(date +%s%N)
check "every stream gets the recording event within 1 s ($(((t1 - t0) / 1000000)) ms)" \
    'grep -q "^event: recording" "$lg_tmp/att.events" && [ $((t1 - t0)) -lt 1000000000 ]'
check "the moderator's stream too" 'it_wait_for "$lg_tmp/mod.events" "\"on\":true" 1'
read -r code third hdr <<<"$(join "$room" whep)"
check "a WHEP join now says Conclave-Recording: on ($hdr)" '[ "$hdr" = on ]'
hdr=$(curl -s --noproxy '*' -D - -o /dev/null "$lg_url/rooms/$room/ice-servers" | tr -d '\r' |
    sed -n 's/^[Cc]onclave-[Rr]ecording: //p')
check "the pre-join ice-servers answer says Conclave-Recording: on ($hdr)" '[ "$hdr" = on ]'
check "/metrics: one recording running" '[ "$(lg_metric conclave_recordings)" = 1 ]'
sleep 5
read -r code body <<<"$(command "$room" "$modid" '{"type":"record","on":false}')"
check "the moderator stops it (204: $code)" '[ "$code" = 204 ]'
check "every stream hears it stopped" \
    'it_wait_for "$lg_tmp/att.events" "\"on\":false,\"reason\":\"stopped\"" 2'
it_until '[ "$(lg_metric conclave_recordings)" = 0 ]' 5
after=$(lg_metric conclave_recording_bytes_total)
check "/metrics: none running, bytes counted ($before -> $after)" \
    '[ "$(lg_metric conclave_recordings)" = 0 ] && [ "${after:-0}" -gt "${before:-0}" ]'
mapfile -t fs < <(files "$rec")
check "one file ($(printf '%s ' "${fs[@]##*/}"))" '[ "${#fs[@]}" = 1 ]'
f=${fs[0]:-/nonexistent}
check "directory 0700, file 0600 ($(stat -c %a "$rec" "$f" 2>/dev/null | tr '\n' ' '))" \
    '[ "$(stat -c %a "$rec")" = 700 ] && [ "$(stat -c %a "$f")" = 600 ]'
out=$(probe "$f" --colour "$(colour 0)" --colour "$(colour 1)" --colour "$(colour 2)" \
    --colour "$(colour 3)" --tone "$(tone 0)" --tone "$(tone 1)" --tone "$(tone 2)" \
    --tone "$(tone 4)")
echo "$out" | sed 's/^/# /'
check "VP8 and Opus" '[ "$(val "$out" video)" = vp8 ] && [ "$(val "$out" audio)" = opus ]'
d=$(val "$out" duration_ms)
check "lasts 5 +/- 1 s ($d ms)" '[ "${d:--1}" -ge 4000 ] && [ "$d" -le 6000 ]'
check "decodes without error ($(val "$out" pictures) pictures)" \
    '[ "$(val "$out" decode_errors)" = 0 ] && [ "$(val "$out" pictures)" -ge 75 ]'
for c in 0 1 2; do
    check "the tile colour of participant $c is in the pictures ($(val "$out" colour$c))" \
        'awk "BEGIN{exit !($(val "$out" colour$c) >= 0.03)}"'
done
check "a colour nobody sends is not ($(val "$out" colour3))" \
    'awk "BEGIN{exit !($(val "$out" colour3) < 0.01)}"'
for t in 0 1 2; do
    check "the tone of participant $t ($(tone $t) Hz) is heard ($(val "$out" tone$t) dB)" \
        'awk "BEGIN{exit !($(val "$out" tone$t) >= 10)}"'
done
check "a tone nobody sends is not ($(tone 4) Hz: $(val "$out" tone3) dB)" \
    'awk "BEGIN{exit !($(val "$out" tone3) < 6)}"'
fv=$(val "$out" first_video_ms)
fa=$(val "$out" first_audio_ms)
check "first picture and sound within 100 ms ($fv, $fa ms)" \
    '[ -n "$fv" ] && [ -n "$fa" ] && [ $((fv - fa)) -le 100 ] && [ $((fa - fv)) -le 100 ]'

# ---- a full file system ----
reload yes "$full/rec"
enc_rate() { # video frames encoded a second, over 2 s
    local a b
    a=$(lg_metric conclave_encoded_frames_total)
    sleep 2
    b=$(lg_metric conclave_encoded_frames_total)
    echo $(((b - a) / 2))
}
rate1=$(enc_rate)
read -r code body <<<"$(command "$room" "$modid" '{"type":"record","on":true}')"
check "recording onto a small file system starts (204: $code $body)" '[ "$code" = 204 ]'
check "it stops when the disk is full: recording off, reason error" \
    'it_wait_for "$lg_tmp/att.events" "\"reason\":\"error\"" 10'
check "the moderators are told why" 'it_wait_for "$lg_tmp/mod.events" "event: recording_error" 2'
check "the attendee is not sent the moderators' error" \
    '! grep -q "recording_error" "$lg_tmp/att.events"'
rate2=$(enc_rate)
check "the daemon goes on" 'kill -0 "$lg_pid"'
check "the meeting's codec calls a second do not change ($rate1 -> $rate2)" \
    '[ "$rate2" -ge $((rate1 * 8 / 10)) ] && [ "$rate2" -le $((rate1 * 12 / 10 + 5)) ]'
check "/metrics: no recording running" '[ "$(lg_metric conclave_recordings)" = 0 ]'
umount "$full"

# ---- the time limit ----
reload yes "$rec" 2
read -r code body <<<"$(command "$room" "$modid" '{"type":"record","on":true}')"
check "recording with max_seconds = 2 (204: $code $body)" '[ "$code" = 204 ]'
check "it stops by itself at its limit: recording off, reason limit" \
    'it_wait_for "$lg_tmp/att.events" "\"reason\":\"limit\"" 6'
newest=$(ls -t "$rec"/*.webm | head -1)
d=$(val "$(probe "$newest")" duration_ms)
check "... after 2 s, its file finished ($d ms)" '[ "${d:--1}" -ge 1900 ] && [ "$d" -le 2600 ]'

# ---- the room empties ----
reload yes "$rec"
read -r code body <<<"$(command "$room" "$modid" '{"type":"record","on":true}')"
check "recording again (204: $code $body)" '[ "$code" = 204 ]'
sleep 1
kill -USR1 "$lg_bg" 2>/dev/null # loadgen ends its run now, and leaves
wait "$lg_bg"
lg_rc=$?
line=$(grep '^loadgen: participants=' "$lg_tmp/lg.out")
check "loadgen's participants were served all along (exit $lg_rc: $(val "$(echo "$line" | tr ' ' '\n')" fps_min) fps min)" \
    '[ "$lg_rc" = 0 ]'
for s in "$att" "$mod" "$third"; do
    curl -s --noproxy '*' -o /dev/null -X DELETE "$lg_url$s"
done
it_until '[ "$(lg_metric conclave_recordings)" = 0 ]' 5
check "the room emptied: the recording stopped" '[ "$(lg_metric conclave_recordings)" = 0 ]'
newest=$(ls -t "$rec"/*.webm | head -1)
d=$(val "$(probe "$newest")" duration_ms)
check "... and its file is finished ($d ms)" '[ "${d:--1}" -ge 1000 ]'

# ---- SIGTERM finishes the file ----
read -r code mod _ <<<"$(join "$room" whep "$modpw")"
read -r code body <<<"$(command "$room" "${mod##*/}" '{"type":"record","on":true}')"
check "recording a room of one viewer (204: $code $body)" '[ "$code" = 204 ]'
sleep 3
newest=$(ls -t "$rec"/*.webm | head -1)
lg_stop_daemon
check "SIGTERM: the daemon exits cleanly (rc $lg_daemon_rc)" '[ "$lg_daemon_rc" = 0 ]'
out=$(probe "$newest")
d=$(val "$out" duration_ms)
check "SIGTERM: the file is finished, with its duration ($d ms)" \
    '[ "${d:--1}" -ge 2000 ] && [ "$d" -le 5000 ]'

check "the log (at info) names no room, nor a file" \
    '! grep -qi -e "$room" -e "\.webm" "$it_err"'

# ---- SIGKILL mid-recording ----
lg_start_daemon || { bad "daemon starts again"; it_finish; }
read -r code mod _ <<<"$(join "$room" whep "$modpw")"
read -r code body <<<"$(command "$room" "${mod##*/}" '{"type":"record","on":true}')"
check "recording after a restart (204: $code $body)" '[ "$code" = 204 ]'
sleep 4
newest=$(ls -t "$rec"/*.webm | head -1)
kill -KILL "$lg_pid" 2>/dev/null
wait "$lg_pid" 2>/dev/null || true
lg_pid=
out=$(probe "$newest")
echo "$out" | sed 's/^/# /'
lv=$(val "$out" last_video_ms)
check "SIGKILL after 4 s: the file decodes to within 3 s of the kill (last picture at $lv ms)" \
    '[ "$(val "$out" decode_errors)" = 0 ] && [ "${lv:--1}" -ge 1000 ]'
it_finish
