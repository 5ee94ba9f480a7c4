#!/usr/bin/env bash
# The browser client's signaling: server-sent events (roster, layout, chat,
# speakers) and JSON commands (mute, camera, hand, chat), screen-share
# sessions owned by a participant, and their errors. Sessions are made from
# offers that never connect ([ice] timeout keeps them long enough).
# Loopback only; ends with "events: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=events
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_setup conclave-events
tmp=$it_tmp

port=$((20000 + RANDOM % 1000))
it_ini "$port" 60 $((44000 + RANDOM % 90 * 10)) 44999 >"$tmp/conclave.ini"
base=http://127.0.0.1:$port
c() { curl -s --noproxy '*' --max-time 20 "$@"; }
it_daemon "$tmp/conclave.ini" "$base"
it_offer >"$tmp/offer.sdp"

join() { # url [owner's session id of a screen share] -> Location
    c -o /dev/null -D "$tmp/h" -X POST -H 'Content-Type: application/sdp' \
        ${2:+-H "Conclave-Session: $2"} --data-binary @"$tmp/offer.sdp" "$base$1"
    tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip'
}
status_of() { tr -d '\r' <"$tmp/h" | sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p'; }
cmd() { # location json -> "status body"
    c -o "$tmp/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -H "Conclave-Session: ${1##*/}" --data "$2" "$base${1%/sessions/*}/command"
    printf ' %s' "$(head -c 200 "$tmp/body")"
}

alice=$(join "/rooms/ev/whip?name=Alice")
bob=$(join "/rooms/ev/whip?name=Bob")
check "two participants joined" '[ -n "$alice" ] && [ -n "$bob" ]'
aid=${alice##*/}
bid=${bob##*/}

c -N --max-time 60 "$(it_events_url "$base" ev "$bid")" >"$tmp/bob.sse" &
sse_pid=$!
it_bg+=("$sse_pid")
check "stream opens with hello, roster, layout" \
    'it_wait_for "$tmp/bob.sse" "^event: layout" && grep -q "^event: hello" "$tmp/bob.sse"'
check "roster lists Alice and Bob, unmuted, camera on" \
    'grep "^data: {\"participants\"" "$tmp/bob.sse" | tail -1 | grep -q "\"name\":\"Alice\",\"role\":\"participant\",\"muted\":false,\"camera\":true,\"hand\":false" &&
     grep "^data: {\"participants\"" "$tmp/bob.sse" | tail -1 | grep -q "\"name\":\"Bob\""'
check "the session id is never shown in events" '! grep -q "$aid\|$bid" "$tmp/bob.sse"'
check "layout is a grid" 'grep -q "^data: {\"mode\":\"grid\",\"screen\":null}" "$tmp/bob.sse"'

r=$(cmd "$alice" '{"type":"chat","text":"hello <b>bob</b> \u00e9"}')
check "chat command -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "chat event reaches Bob with Alice's name and the text" \
    'it_wait_for "$tmp/bob.sse" "\"name\":\"Alice\",\"text\":\"hello <b>bob</b> é\""'
r=$(cmd "$alice" '{"type":"mute","audio":true}')
check "mute -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "roster shows Alice muted" 'it_wait_for "$tmp/bob.sse" "\"name\":\"Alice\",\"role\":\"participant\",\"muted\":true"'
r=$(cmd "$alice" '{"type":"camera","on":false}')
check "camera off -> 204" '[ "${r%% *}" = 204 ]'
r=$(cmd "$alice" '{"type":"hand","raised":true}')
check "hand -> 204" '[ "${r%% *}" = 204 ]'
check "roster shows camera off and hand raised" \
    'it_wait_for "$tmp/bob.sse" "\"name\":\"Alice\",\"role\":\"participant\",\"muted\":true,\"camera\":false,\"hand\":true"'

# errors
r=$(cmd "$alice" '{"type":"mute"}')
check "mute without audio -> 400 with reason ($r)" '[ "${r%% *}" = 400 ] && [[ "$r" == *audio* ]]'
r=$(cmd "$alice" 'not json')
check "malformed JSON -> 400 ($r)" '[ "${r%% *}" = 400 ] && [[ "$r" == *JSON* ]]'
r=$(cmd "$alice" '[1,2]')
check "a JSON array -> 400 ($r)" '[ "${r%% *}" = 400 ]'
r=$(cmd "$alice" '{"type":"dance"}')
check "unknown type -> 400 ($r)" '[ "${r%% *}" = 400 ] && [[ "$r" == *unknown* ]]'
r=$(cmd "$alice" '{"type":"chat","text":""}')
check "empty chat -> 400" '[ "${r%% *}" = 400 ]'
long=$(head -c 1001 /dev/zero | tr '\0' 'x')
r=$(cmd "$alice" "{\"type\":\"chat\",\"text\":\"$long\"}")
check "chat over 1000 bytes -> 400" '[ "${r%% *}" = 400 ]'
big=$(head -c 5000 /dev/zero | tr '\0' ' ')
r=$(cmd "$alice" "{\"type\":\"chat\",\"text\":\"x\"$big}")
check "command over 4096 bytes -> 413 ($r)" '[ "${r%% *}" = 413 ]'
r=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' -H "Conclave-Session: $aid" \
    --data '{}' "$base/rooms/ev/command")
check "command as text/plain -> 415" '[ "$r" = 415 ]'
r=$(cmd "/rooms/ev/sessions/0123456789abcdef0123456789abcdef" '{"type":"hand","raised":true}')
check "command for an unknown session -> 404" '[ "${r%% *}" = 404 ]'
r=$(cmd "/rooms/other/sessions/$aid" '{"type":"hand","raised":true}')
check "command with the session id under another room -> 404" '[ "${r%% *}" = 404 ]'
r=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Conclave-Session: 0123456789abcdef0123456789abcdef' \
    "$base/rooms/ev/events")
check "a stream token for an unknown session -> 404" '[ "$r" = 404 ]'
r=$(c -o /dev/null -w '%{http_code}' -X POST -H "Conclave-Session: $aid" "$base/rooms/other/events")
check "a stream token for the session under another room -> 404" '[ "$r" = 404 ]'
r=$(c -o /dev/null -w '%{http_code}' -X POST "$base/rooms/ev/events")
check "a stream token without a session -> 404" '[ "$r" = 404 ]'
r=$(c -o /dev/null -w '%{http_code}' "$base/rooms/ev/events")
check "events without a token -> 404" '[ "$r" = 404 ]'
r=$(c -o /dev/null -w '%{http_code}' "$base/rooms/ev/events?token=0123456789abcdef0123456789abcdef")
check "events with a made-up token -> 404" '[ "$r" = 404 ]'
r=$(c -o /dev/null -w '%{http_code}' "$base/rooms/ev/events?session=$aid")
check "events with the session id in the URL (the old form) -> 404" '[ "$r" = 404 ]'
url=$(it_events_url "$base" ev "$aid")
r1=$(c -o /dev/null -w '%{http_code}' --max-time 1 "$url")
r2=$(c -o /dev/null -w '%{http_code}' --max-time 1 "$url")
check "a stream token opens the stream once ($r1), not twice ($r2)" '[ "$r1" = 200 ] && [ "$r2" = 404 ]'
r=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data '{"type":"hand","raised":true}' "$base$alice/command")
check "a command with the session id in the URL (the old form) -> 404 ($r)" '[ "$r" = 404 ]'
r=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data '{"type":"hand","raised":true}' "$base/rooms/ev/command")
check "a command without Conclave-Session -> 404 ($r)" '[ "$r" = 404 ]'

# screen share
screen=$(join "/rooms/ev/whip?role=screen" "$aid")
check "screen share of Alice -> 201" '[ -n "$screen" ] && [ "$(status_of)" = 201 ]'
check "layout becomes presenter" 'it_wait_for "$tmp/bob.sse" "^data: {\"mode\":\"presenter\",\"screen\":\"[0-9a-f]*\"}"'
check "roster shows the screen with Alice as owner" \
    'grep "^data: {\"participants\"" "$tmp/bob.sse" | tail -1 | grep -q "\"role\":\"screen\".*\"owner\":\"[0-9a-f]\{16\}\""'
join "/rooms/ev/whip?role=screen" "$aid" >/dev/null
check "a second screen of the same owner -> 409" '[ "$(status_of)" = 409 ]'
join "/rooms/ev/whip?role=screen" >/dev/null
check "a screen without its owner -> 400" '[ "$(status_of)" = 400 ]'
join "/rooms/ev/whip?role=screen" 0123456789abcdef0123456789abcdef >/dev/null
check "a screen for an unknown owner -> 404" '[ "$(status_of)" = 404 ]'
join "/rooms/ev/whip?role=boss" >/dev/null
check "an unknown role -> 400" '[ "$(status_of)" = 400 ]'
r=$(cmd "$screen" '{"type":"hand","raised":true}')
check "a screen session takes no commands -> 400" '[ "${r%% *}" = 400 ]'

# A send-only WHIP publisher (OBS, GStreamer) and a receive-only WHEP viewer.
sed 's/^a=sendrecv\r$/a=sendonly\r/' "$tmp/offer.sdp" >"$tmp/sendonly.sdp"
sed 's/^a=sendrecv\r$/a=recvonly\r/' "$tmp/offer.sdp" >"$tmp/recvonly.sdp"
post() { # path file -> status, answer in $tmp/answer
    c -o "$tmp/answer" -D "$tmp/h" -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
        --data-binary @"$2" "$base$1"
}
r=$(post "/rooms/ev/whip?name=OBS" "$tmp/sendonly.sdp")
check "send-only offer to /whip -> 201 ($r)" '[ "$r" = 201 ]'
check "its answer receives only" 'grep -c "^a=recvonly" "$tmp/answer" | grep -q "^2$" && ! grep -q "^a=ssrc:" "$tmp/answer"'
publisher=$(tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip')
check "roster shows a publisher" 'it_wait_for "$tmp/bob.sse" "\"name\":\"OBS\",\"role\":\"publisher\""'
r=$(post "/rooms/ev/whep" "$tmp/recvonly.sdp")
check "receive-only offer to /whep -> 201 ($r)" '[ "$r" = 201 ]'
check "its answer sends only, with our SSRCs" 'grep -c "^a=sendonly" "$tmp/answer" | grep -q "^2$" && grep -q "^a=ssrc:" "$tmp/answer"'
viewer=$(tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip')
check "roster shows a viewer" 'it_wait_for "$tmp/bob.sse" "\"role\":\"viewer\""'
r=$(post "/rooms/ev/whep" "$tmp/sendonly.sdp")
check "send-only offer to /whep -> 400 ($r)" '[ "$r" = 400 ] && grep -q "viewer" "$tmp/answer"'
r=$(post "/rooms/ev/whip" "$tmp/recvonly.sdp")
check "receive-only offer to /whip -> 400 ($r)" '[ "$r" = 400 ] && grep -q "sendrecv" "$tmp/answer"'
r=$(cmd "$viewer" '{"type":"hand","raised":true}')
check "a viewer sends no commands -> 400 ($r)" '[ "${r%% *}" = 400 ]'
for loc in "$publisher" "$viewer"; do c -o /dev/null -X DELETE "$base$loc"; done

# Alice leaves: her screen goes with her, Bob sees only himself.
r=$(c -o /dev/null -w '%{http_code}' -X DELETE "$base$alice")
check "Alice leaves -> 200" '[ "$r" = 200 ]'
check "Bob's roster is Bob alone, the screen gone too" \
    'it_wait_for "$tmp/bob.sse" "^data: {\"participants\":\[{\"id\":\"[0-9a-f]*\",\"name\":\"Bob\",[^]]*}\]}$"'
check "layout back to grid" 'tail -n 20 "$tmp/bob.sse" | grep -q "^data: {\"mode\":\"grid\""'
r=$(c -o /dev/null -w '%{http_code}' -X DELETE "$base$screen")
check "the screen session is gone (404)" '[ "$r" = 404 ]'

# Bob leaves: his event stream ends.
c -X DELETE -o /dev/null "$base$bob"
check "Bob's event stream ends when he leaves" 'it_ended "$sse_pid" 3'
kill -0 "$it_pid" 2>/dev/null && ok "daemon still running" || bad "daemon died: $(tail -5 "$tmp/err")"
it_stop
rc=$it_rc
check "SIGTERM with event streams done: exit 0 (got $rc)" '[ "$rc" = 0 ]'
it_finish
