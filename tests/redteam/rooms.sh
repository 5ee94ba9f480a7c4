#!/usr/bin/env bash
# Red team: room names in another case. A protected room's name spelt in any
# other case is the same room: no unprotected twin for anyone to open and
# moderate. Names are matched without regard to case everywhere: [room NAME]
# sections, [rooms] names, joins, event streams, commands; the server keeps
# them in lower case (Location). Loopback only, in its own network
# namespace; ends with "rooms: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=rooms
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-rooms
tmp=$it_tmp

port=$((20000 + RANDOM % 1000))
{
    it_ini "$port" 60 $((44000 + RANDOM % 90 * 10)) 44999
    printf '[room Secret2]\npassword = open-sesame\n'
} >"$tmp/conclave.ini"
base=http://127.0.0.1:$port
c() { curl -s --noproxy '*' --max-time 20 "$@"; }
it_daemon "$tmp/conclave.ini" "$base"
it_offer >"$tmp/offer.sdp"

join() { # path [curl args] -> "status location"
    local path=$1 st
    shift
    st=$(c -o "$tmp/body" -D "$tmp/h" -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
        --data-binary @"$tmp/offer.sdp" "$@" "$base$path")
    printf '%s %s' "$st" "$(tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip')"
}

# the protected room, in every spelling
for r in Secret2 secret2 SECRET2 sEcReT2; do
    st=$(join "/rooms/$r/whip?name=Mallory")
    check "/rooms/$r without the password -> 401 (${st%% *})" '[ "${st%% *}" = 401 ]'
done
st=$(join "/rooms/secret2/whip?name=Mallory" -H 'Authorization: Bearer wrong')
check "/rooms/secret2 with a wrong password -> 403 (${st%% *})" '[ "${st%% *}" = 403 ]'
alice=$(join "/rooms/SECRET2/whip?name=Alice" -H 'Authorization: Bearer open-sesame')
check "/rooms/SECRET2 with the password -> 201 (${alice%% *})" '[ "${alice%% *}" = 201 ]'
alice=${alice#* }
check "its Location names the room in lower case ($alice)" '[[ "$alice" == /rooms/secret2/sessions/* ]]'
bob=$(join "/rooms/Secret2/whip?name=Bob" -H 'Authorization: Bearer open-sesame')
bob=${bob#* }

# an open room: Board and board are one room with one moderator
carol=$(join "/rooms/Board/whip?name=Carol")
check "Carol opens /rooms/Board (${carol%% *})" '[ "${carol%% *}" = 201 ]'
carol=${carol#* }
tr -d '\r' <"$tmp/h" | grep -qi '^Conclave-Moderator-Token:' && ok "Carol, the first, moderates" ||
    bad "Carol, the first, moderates"
dave=$(join "/rooms/board/whip?name=Dave")
check "Dave joins /rooms/board (${dave%% *})" '[ "${dave%% *}" = 201 ]'
dave=${dave#* }
check "Dave is not given a moderator token: not a second creator" \
    '! tr -d "\r" <"$tmp/h" | grep -qi "^Conclave-Moderator-Token:"'
c -N --max-time 20 "$(it_events_url "$base" BOARD "${carol##*/}")" >"$tmp/carol.sse" &
it_bg+=($!)
check "Carol's stream (opened as BOARD) lists Carol and Dave" \
    'it_wait_for "$tmp/carol.sse" "\"name\":\"Dave\"" 10 && grep -q "\"name\":\"Carol\"" "$tmp/carol.sse"'
st=$(c -o "$tmp/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data '{"type":"lock","locked":true}' -H "Conclave-Session: ${dave##*/}" "$base/rooms/bOaRd/command")
check "Dave cannot lock the room under another spelling -> 403 ($st)" '[ "$st" = 403 ]'
st=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data '{"type":"lock","locked":true}' -H "Conclave-Session: ${carol##*/}" "$base/rooms/BOARD/command")
check "Carol locks it (as BOARD) -> 204 ($st)" '[ "$st" = 204 ]'
st=$(join "/rooms/board/whip?name=Eve")
check "then /rooms/board is locked too -> 403 (${st%% *})" '[ "${st%% *}" = 403 ]'
st=$(c -o /dev/null -w '%{http_code}' -X DELETE "$base/rooms/BoArD/sessions/${dave##*/}")
check "Dave leaves under yet another spelling -> 200 ($st)" '[ "$st" = 200 ]'

# a closed server: [rooms] names in any case
it_stop
{
    it_ini "$port" 60 $((44000 + RANDOM % 90 * 10)) 44999
    printf '[rooms]\nopen = no\nnames = Staff\n'
} >"$tmp/closed.ini"
it_daemon "$tmp/closed.ini" "$base"
st=$(join "/rooms/STAFF/whip")
check "[rooms] names = Staff lets /rooms/STAFF in (${st%% *})" '[ "${st%% *}" = 201 ]'
st=$(join "/rooms/staff2/whip")
check "and no other room (/rooms/staff2 -> ${st%% *})" '[ "${st%% *}" = 404 ]'

kill -0 "$it_pid" 2>/dev/null && ok "daemon still running" || bad "daemon died: $(tail -5 "$tmp/err")"
it_stop
check "SIGTERM: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'
it_finish
