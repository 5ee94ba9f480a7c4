#!/usr/bin/env bash
# The waiting room: [room NAME] lobby = no|yes|all, knocks (POST
# /rooms/R/lobby), the waiter's own event stream (which hears nothing of the
# meeting), the moderators' list and their admit / deny / admit_all / lobby
# commands, joins with a Conclave-Ticket, denials that survive a reload (by
# browser key, and by address for a knock without one), WHIP/WHEP with the
# room's password, the limits (a full waiting list -> 503, waiters count per
# address), the waiting timeout, and a room that ends. The daemon runs in its
# own network namespace; sessions come from offers that never connect.
# Ends with "lobby: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=lobby
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-lobby
tmp=$it_tmp

port=8080
{
    it_ini 8080 120 44000 44999
    cat <<'EOF2'
[http]
trust_proxy = yes
joins_per_minute = 0
[mixer]
fps = 10
[rooms]
lobby_max = 3
lobby_timeout = 10
max_pending_per_address = 3
[room class]
lobby = yes
moderator_password = chair-pw
[room gate]
lobby = yes
password = gate-pw
moderator_password = gate-chair
[room board]
lobby = all
password = board-pw
moderator_password = boss-pw
EOF2
} >"$tmp/conclave.ini"
base=http://127.0.0.1:$port
c() { curl -s --noproxy '*' --max-time 20 "$@"; }
it_daemon "$tmp/conclave.ini" "$base"
it_offer >"$tmp/offer.sdp"

# join URL [curl args...] -> status; headers in $tmp/h, body in $tmp/b
join() {
    local url=$1
    shift
    c -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
        "$@" --data-binary @"$tmp/offer.sdp" "$base$url"
}
loc() { tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip'; }
# knock ROOM NAME [KEY|""] [curl args...] -> status; body in $tmp/k
knock() {
    local room=$1 name=$2 key=${3:-}
    shift 3
    local data=()
    [ -n "$key" ] && data=(-H 'Content-Type: application/json' --data "{\"key\":\"$key\"}")
    c -o "$tmp/k" -w '%{http_code}' -X POST "${data[@]}" "$@" "$base/rooms/$room/lobby?name=$name"
}
ticket() { sed -n 's/.*"ticket":"\([0-9a-f]*\)".*/\1/p' "$tmp/k"; }
cmd() { # location json -> "status body"
    c -o "$tmp/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -H "Conclave-Session: ${1##*/}" --data "$2" "$base${1%/sessions/*}/command"
    printf ' %s' "$(head -c 200 "$tmp/body")"
}
# listen NAME ROOM ID: the event stream of a session or a waiter's ticket into $tmp/NAME.sse
listen() {
    c -N --max-time 120 "$(it_events_url "$base" "$2" "$3")" >"$tmp/$1.sse" &
    it_bg+=($!)
    eval "${1}_pid=$!"
    it_wait_for "$tmp/$1.sse" '^event: '
}
last_lobby() { grep -A1 '^event: lobby' "$tmp/$1.sse" | grep '^data:' | tail -1; }
# the public id the moderators' list shows for NAME (in stream $1)
waiter_id() {
    last_lobby "$1" | grep -o "{\"id\":\"[0-9a-f]*\",\"name\":\"$2\"" | head -1 |
        sed 's/{"id":"\([0-9a-f]*\)".*/\1/'
}

# ---- the ini ----
r=$(join "/rooms/class/whip?name=Eve")
check "lobby = yes: a join without a ticket -> 403 ($r)" \
    '[ "$r" = 403 ] && grep -q "waiting room" "$tmp/b" && [ "$(wc -l <"$tmp/b")" = 1 ]'
r=$(join "/rooms/class/whep")
check "lobby = yes: a WHEP viewer without the password -> 403 ($r)" '[ "$r" = 403 ]'
r=$(join "/rooms/gate/whip" -H 'Authorization: Bearer gate-pw')
check "lobby = yes: WHIP with the room's password is let in -> 201 ($r)" '[ "$r" = 201 ]'
c -o /dev/null -X DELETE "$base$(loc)"
r=$(join "/rooms/gate/whep" -H 'Authorization: Bearer gate-pw')
check "lobby = yes: WHEP with the room's password is let in -> 201 ($r)" '[ "$r" = 201 ]'
c -o /dev/null -X DELETE "$base$(loc)"
r=$(knock gate Gus "" -H 'Authorization: Bearer wrong')
check "a knock with a wrong password -> 403 ($r)" '[ "$r" = 403 ]'
r=$(knock gate Gus "" -H 'Authorization: Bearer gate-pw')
check "a knock with the password still waits -> 202 ($r)" \
    '[ "$r" = 202 ] && grep -q "\"state\":\"waiting\"" "$tmp/k"'
c -o /dev/null -X DELETE "$base/rooms/gate/lobby/$(ticket)"
r=$(join "/rooms/board/whip" -H 'Authorization: Bearer board-pw')
check "lobby = all: WHIP with the room's password -> 403 ($r)" '[ "$r" = 403 ]'
r=$(join "/rooms/board/whip" -H 'Authorization: Bearer boss-pw')
check "lobby = all: the moderator password enters -> 201 ($r)" '[ "$r" = 201 ]'
c -o /dev/null -X DELETE "$base$(loc)"
r=$(knock free Fay "")
check "a room without a waiting room: the knock is open -> 200 ($r)" \
    '[ "$r" = 200 ] && grep -q "\"state\":\"open\"" "$tmp/k"'
r=$(knock class "Bad%01" "")
check "a knock with a bad name -> 400 ($r)" '[ "$r" = 400 ]'
r=$(knock class Kay "short")
check "a knock with a bad key -> 400 ($r)" '[ "$r" = 400 ]'

# ---- a moderator, a waiter, and what reaches the waiter ----
r=$(join "/rooms/class/whip?name=Chair" -H 'Authorization: Bearer chair-pw')
chair=$(loc)
check "the moderator joins -> 201 ($r)" '[ "$r" = 201 ]'
listen chair class "${chair##*/}"
check "the moderator's stream lists nobody waiting" \
    'it_wait_for "$tmp/chair.sse" "^data: {\"waiting\":\[\],\"denied\":\[\]}"'
r=$(knock class Ann "ann-browser-key-0001")
ann_t=$(ticket)
check "Ann knocks -> 202 with a ticket ($r)" '[ "$r" = 202 ] && [[ "$ann_t" =~ ^[0-9a-f]{32}$ ]]'
listen ann class "$ann_t"
check "Ann's stream says she waits" 'grep -q "^data: {\"state\":\"waiting\"}" "$tmp/ann.sse"'
check "the moderator sees Ann waiting" 'it_wait_for "$tmp/chair.sse" "\"name\":\"Ann\",\"waited\":"'
ann_id=$(waiter_id chair Ann)
r=$(join "/rooms/class/whip?name=Ann" -H "Conclave-Ticket: $ann_t")
check "a join with a ticket not yet admitted -> 403 ($r)" \
    '[ "$r" = 403 ] && grep -q "still waiting" "$tmp/b"'
r=$(join "/rooms/class/whip?name=Bea" -H 'Authorization: Bearer chair-pw')
bea=$(loc)
c -o /dev/null -X POST -H 'Content-Type: application/json' -H "Conclave-Session: ${chair##*/}" \
    --data '{"type":"chat","text":"secret plans"}' "$base/rooms/class/command"
check "the chat reaches the room" 'it_wait_for "$tmp/chair.sse" "secret plans"'
sleep 0.5
check "nothing of the meeting reaches the waiter (no hello, roster, layout, room, speakers, chat)" \
    '! grep -q "^event: \(hello\|roster\|layout\|room\|speakers\|chat\)" "$tmp/ann.sse" &&
     ! grep -q "secret plans\|Chair\|Bea" "$tmp/ann.sse"'
t0=$(date +%s%N)
r=$(cmd "$bea" "{\"type\":\"admit\",\"participant\":\"$ann_id\"}")
check "a second moderator admits Ann -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "Ann hears she is admitted" 'it_wait_for "$tmp/ann.sse" "^data: {\"state\":\"admitted\"}" 1'
t1=$(date +%s%N)
check "within 1 s ($(((t1 - t0) / 1000000)) ms)" '[ $(((t1 - t0) / 1000000)) -lt 1000 ]'
r=$(join "/rooms/class/whip?name=Ann" -H "Conclave-Ticket: $ann_t")
ann=$(loc)
check "Ann joins with her ticket -> 201 ($r)" '[ "$r" = 201 ]'
check "her waiting stream ends" 'it_ended "$ann_pid" 5'
r=$(join "/rooms/class/whip?name=Ann2" -H "Conclave-Ticket: $ann_t")
check "the ticket is good once -> 403 ($r)" '[ "$r" = 403 ]'
r=$(knock class Ann "ann-browser-key-0001")
ann2_t=$(ticket)
check "Ann reconnects: her browser was let in, so the knock is admitted at once ($r)" \
    '[ "$r" = 200 ] && grep -q "\"state\":\"admitted\"" "$tmp/k" && [ -n "$ann2_t" ]'
r=$(join "/rooms/class/whip?name=Ann" -H "Conclave-Ticket: $ann2_t")
ann2=$(loc)
check "and she joins with that ticket -> 201 ($r)" '[ "$r" = 201 ]'
r=$(knock class Ann "another-browser-key-9")
check "another browser still waits -> 202 ($r)" '[ "$r" = 202 ]'
c -o /dev/null -X DELETE "$base/rooms/class/lobby/$(ticket)"
listen ann2 class "${ann2##*/}"
ann2_id=$(sed -n 's/^data: {"you":"\([0-9a-f]*\)".*/\1/p' "$tmp/ann2.sse" | head -1)
r=$(cmd "$chair" "{\"type\":\"remove\",\"participant\":\"$ann2_id\"}")
check "the moderator removes Ann's second session -> 204 ($r)" '[ "${r%% *}" = 204 ]'
r=$(knock class Ann "ann-browser-key-0001")
check "after a removal her browser waits again -> 202 ($r)" '[ "$r" = 202 ]'
c -o /dev/null -X DELETE "$base/rooms/class/lobby/$(ticket)"
r=$(cmd "$ann" '{"type":"admit_all"}')
check "an attendee cannot admit -> 403 ($r)" '[ "${r%% *}" = 403 ]'
r=$(cmd "$ann" '{"type":"lobby","lobby":"no"}')
check "nor switch the waiting room -> 403 ($r)" '[ "${r%% *}" = 403 ]'
r=$(cmd "$chair" '{"type":"admit","participant":"0123456789abcdef"}')
check "admit someone not waiting -> 404 ($r)" '[ "${r%% *}" = 404 ]'

# ---- deny, and a reload ----
XB=(-H 'X-Forwarded-For: 198.51.100.7')
r=$(knock class Bob "bob-browser-key-0002" "${XB[@]}")
bob_t=$(ticket)
listen bob class "$bob_t"
check "Bob waits ($r)" 'it_wait_for "$tmp/chair.sse" "\"name\":\"Bob\""'
bob_id=$(waiter_id chair Bob)
r=$(cmd "$chair" "{\"type\":\"deny\",\"participant\":\"$bob_id\"}")
check "the moderator denies Bob -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "Bob hears it at once" 'it_wait_for "$tmp/bob.sse" "^data: {\"state\":\"denied\"}" 1'
check "and his stream ends" 'it_ended "$bob_pid" 5'
check "the list shows Bob as turned away" \
    'it_wait_for "$tmp/chair.sse" "\"denied\":\[{\"id\":\"$bob_id\",\"name\":\"Bob\"}\]"'
r=$(knock class Bob "bob-browser-key-0002" "${XB[@]}")
check "Bob reloads (same browser key) -> 403 ($r)" \
    '[ "$r" = 403 ] && grep -q "turned you away" "$tmp/k"'
r=$(knock class Robert "bob-browser-key-0002" -H 'X-Forwarded-For: 192.0.2.9')
check "the same browser from another address -> 403 ($r)" '[ "$r" = 403 ]'
r=$(knock class Bob "" "${XB[@]}")
check "no key, Bob's address -> 403 ($r)" '[ "$r" = 403 ]'
r=$(knock class Cy "" -H 'X-Forwarded-For: 192.0.2.10')
cy_t=$(ticket)
check "no key, another address -> 202 ($r)" '[ "$r" = 202 ]'
r=$(cmd "$chair" "{\"type\":\"admit\",\"participant\":\"$bob_id\"}")
check "the moderator lets Bob back -> 204 ($r)" '[ "${r%% *}" = 204 ]'
r=$(knock class Bob "bob-browser-key-0002" "${XB[@]}")
bob_t=$(ticket)
check "Bob knocks again -> 202 ($r)" '[ "$r" = 202 ]'

# ---- limits ----
r=$(knock class Dee "dee-browser-key-0003" -H 'X-Forwarded-For: 192.0.2.11')
dee_t=$(ticket)
check "a third waiter -> 202 ($r)" '[ "$r" = 202 ]'
r=$(knock class Ed "ed-browser-key-00004" -H 'X-Forwarded-For: 192.0.2.12')
check "a fourth: the waiting list is full -> 503 ($r)" \
    '[ "$r" = 503 ] && grep -q "waiting room full: at most 3" "$tmp/k" && [ "$(wc -l <"$tmp/k")" = 1 ]'
listen dee class "$dee_t"
r=$(knock class Dee "dee-browser-key-0003" -H 'X-Forwarded-For: 192.0.2.11')
dee_t2=$(ticket)
check "a reload of a waiter while full keeps its place -> 202 ($r)" \
    '[ "$r" = 202 ] && [ "$dee_t2" != "$dee_t" ]'
check "and ends the stream of the old page" 'it_ended "$dee_pid" 5'
check "the list holds 3, not 4" \
    'sleep 0.3; [ "$(last_lobby chair | grep -o "\"waited\"" | wc -l)" = 3 ]'
c -o /dev/null -X DELETE "$base/rooms/class/lobby/$cy_t"
c -o /dev/null -X DELETE "$base/rooms/class/lobby/$dee_t2"
XP=(-H 'X-Forwarded-For: 203.0.113.77')
r1=$(knock gate P1 "" -H 'Authorization: Bearer gate-pw' "${XP[@]}")
r2=$(knock gate P2 "" -H 'Authorization: Bearer gate-pw' "${XP[@]}")
r3=$(knock gate P3 "" -H 'Authorization: Bearer gate-pw' "${XP[@]}")
r=$(knock gate P4 "" -H 'Authorization: Bearer gate-pw' "${XP[@]}")
check "waiters count per address: 3 wait, the 4th -> 429 ($r1 $r2 $r3 $r)" \
    '[ "$r1$r2$r3" = 202202202 ] && [ "$r" = 429 ]'
r=$(join "/rooms/free/whip" "${XP[@]}")
check "and so does a join from that address -> 429 ($r)" '[ "$r" = 429 ]'

# ---- switching the waiting room in the call ----
listen bob2 class "$bob_t"
r=$(cmd "$chair" '{"type":"lobby","lobby":"maybe"}')
check "a bad lobby value -> 400 ($r)" '[ "${r%% *}" = 400 ]'
r=$(cmd "$chair" '{"type":"lobby","lobby":"no"}')
check "the moderator switches the waiting room off -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "the room event says so" 'it_wait_for "$tmp/chair.sse" "\"lobby\":\"no\"}"'
check "whoever waited is let in" 'it_wait_for "$tmp/bob2.sse" "^data: {\"state\":\"admitted\"}" 2'
r=$(join "/rooms/class/whip?name=Zed")
zed=$(loc)
check "a join without a ticket -> 201 ($r)" '[ "$r" = 201 ]'
r=$(cmd "$chair" '{"type":"lobby","lobby":"all"}')
check "and switches it to all -> 204 ($r)" '[ "${r%% *}" = 204 ]'
r=$(join "/rooms/class/whip?name=Yan")
check "a join without a ticket -> 403 again ($r)" '[ "$r" = 403 ]'

# ---- the waiting timeout ----
r=$(knock class Tim "tim-browser-key-0005")
listen tim class "$(ticket)"
check "a wait ends after lobby_timeout = 10 s" 'it_wait_for "$tmp/tim.sse" "\"state\":\"expired\"" 14'
check "its stream ends" 'it_ended "$tim_pid" 5'

# ---- the room ends ----
r=$(cmd "$chair" "{\"type\":\"deny\",\"participant\":\"0123456789abcdef\"}")
check "deny someone not waiting -> 404 ($r)" '[ "${r%% *}" = 404 ]'
r=$(knock class Uma "uma-browser-key-0006")
listen uma class "$(ticket)"
it_wait_for "$tmp/chair.sse" '"name":"Uma"'
r=$(cmd "$chair" "{\"type\":\"deny\",\"participant\":\"$(waiter_id chair Uma)\"}")
r=$(knock class Vic "vic-browser-key-0007")
listen vic class "$(ticket)"
for l in "$chair" "$bea" "$ann" "$zed"; do c -o /dev/null -X DELETE "$base$l"; done
check "when the room ends its waiters hear it" 'it_wait_for "$tmp/vic.sse" "\"state\":\"ended\""'
r=$(knock class Uma "uma-browser-key-0006")
check "and the denials are forgotten: Uma may knock again -> 202 ($r)" '[ "$r" = 202 ]'
r=$(join "/rooms/class/whip?name=Chair" -H 'Authorization: Bearer chair-pw')
chair=$(loc)
listen chair2 class "${chair##*/}"
check "the switch is forgotten too: the ini's lobby = yes holds again" \
    'grep -q "\"lobby\":\"yes\"}" "$tmp/chair2.sse"'
check "and the new moderator sees Uma waiting, nobody turned away" \
    'grep -q "^data: {\"waiting\":\[{\"id\":\"[0-9a-f]*\",\"name\":\"Uma\",\"waited\":[0-9]*}\],\"denied\":\[\]}" "$tmp/chair2.sse"'

kill -0 "$it_pid" 2>/dev/null && ok "daemon still running" || bad "daemon died: $(tail -5 "$tmp/err")"
it_stop
it_finish
