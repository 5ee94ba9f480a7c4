#!/usr/bin/env bash
# A session whose browser never connects is ended after [ice] timeout, and a
# leave (DELETE) ends one at once: both seen in /metrics (sessions gauge).
# Runs the daemon on loopback only; ends with "session-timeout: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=session-timeout
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_setup conclave-timeout
tmp=$it_tmp

port=$((19000 + RANDOM % 1000))
# [ice] timeout in seconds; longer for a slow daemon (tests/run-suite sets 6
# for the sanitizer build), so that both sessions are still there to count
ice_timeout=${IT_ICE_TIMEOUT:-4}
it_ini "$port" "$ice_timeout" $((43000 + RANDOM % 100 * 10)) 43999 >"$tmp/conclave.ini"
it_start "$tmp/conclave.ini"
base=http://127.0.0.1:$port

metric() { it_metric "$base" "$1"; } # NAME: its value, or empty
# wait_metric NAME VALUE SECONDS: polls until the gauge has that value
wait_metric() {
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -le "$deadline" ]; do
        [ "$(metric "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

if wait_metric conclave_sessions 0 10; then
    ok "daemon up, no session"
else
    bad "daemon did not answer /metrics: $(cat "$tmp/err")"
    it_finish
fi

# An offer whose only candidate is a port nobody answers on.
it_offer '1 1 udp 2122260223 127.0.0.1 9 typ host' >"$tmp/offer.sdp"
join() { # room -> prints "status location"
    curl -s --noproxy '*' -o /dev/null -D "$tmp/h" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/sdp' --data-binary @"$tmp/offer.sdp" "$base/rooms/$1/whip"
    printf ' %s\n' "$(tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip')"
}

read -r st loc_a < <(join timeout-a)
[ "$st" = 201 ] && ok "join answered 201" || bad "join answered $st"
read -r st loc_b < <(join timeout-b)
if wait_metric conclave_sessions 2 2; then ok "two sessions open"; else bad "sessions: $(metric conclave_sessions)"; fi
[ "$(metric conclave_rooms)" = 2 ] && ok "two rooms open" || bad "rooms: $(metric conclave_rooms)"

code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -X DELETE "$base$loc_b")
[ "$code" = 200 ] && ok "DELETE of a live session -> 200" || bad "DELETE -> $code"
# fewer than 2 right after: the other may already have timed out on a slow
# (sanitizer) run, but the one left is gone at once
n=$(metric conclave_sessions)
if [ -n "$n" ] && [ "$n" -lt 2 ]; then ok "leave ends the session at once"; else bad "sessions after DELETE: $n"; fi

# The other one never connects: gone after the timeout (allow twice as long).
if wait_metric conclave_sessions 0 $((2 * ice_timeout)); then ok "unconnected session ended after [ice] timeout"; else bad "sessions still $(metric conclave_sessions) after $((2 * ice_timeout)) s"; fi
[ "$(metric conclave_rooms)" = 0 ] && ok "its room was freed" || bad "rooms: $(metric conclave_rooms)"
code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -X DELETE "$base$loc_a")
[ "$code" = 404 ] && ok "DELETE after the timeout -> 404" || bad "DELETE after timeout -> $code"
kill -0 "$it_pid" 2>/dev/null && ok "daemon still running" || bad "daemon died"
it_finish
