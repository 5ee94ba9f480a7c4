#!/usr/bin/env bash
# pending.sh - offers that never connect: one client address (an IPv6 one by
# its /64, behind a trusted proxy by X-Forwarded-For) may open only so many
# rooms ([rooms] max_rooms_per_address) and keep only so many sessions
# still connecting ([rooms] max_pending_per_address), 429 + Retry-After past
# that, so 30 such offers no longer fill max_rooms for everyone; the echo
# check does not count to max_rooms; and a session that sees no ICE check is
# ended after [ice] check_timeout (10 s) rather than [ice] timeout (30 s).
# In its own network namespace; ends with "pending: N passed, M failed".
set -u
case $0 in /*) ;; *) exec bash "$(readlink -f "$0")" "$@" ;; esac
cd "$(dirname "$0")/../.." || exit 1
it_name=pending
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-rt-pending
tmp=$it_tmp
port=18093
base=http://127.0.0.1:$port
max_rooms=8
rooms_cap=3
pending_cap=4
{
    printf '[http]\nport = %s\ntrust_proxy = yes\njoins_per_minute = 0\n' "$port"
    printf '[ice]\naddresses = 127.0.0.1\nport_min = 41300\nport_max = 41499\ntimeout = 60\n'
    printf 'check_timeout = 60\n'
    printf '[mixer]\nthreads = 1\nwidth = 320\nheight = 180\nfps = 5\n'
    printf '[rooms]\nmax_rooms = %s\nmax_sessions = 100\n' "$max_rooms"
    printf 'max_rooms_per_address = %s\nmax_pending_per_address = %s\n' "$rooms_cap" "$pending_cap"
} >"$tmp/conclave.ini"
it_daemon "$tmp/conclave.ini" "$base"
it_offer >"$tmp/offer.sdp"
# join <path> [address for X-Forwarded-For]: status in $code, headers in $tmp/h.txt
join() {
    code=$(curl -s --noproxy '*' --max-time 20 -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' \
        -X POST -H 'Content-Type: application/sdp' ${2:+-H "X-Forwarded-For: $2"} \
        --data-binary @"$tmp/offer.sdp" "$base$1")
    tr -d '\r' <"$tmp/h" >"$tmp/h.txt"
}
retry_after() { sed -n 's/^Retry-After: //Ip' "$tmp/h.txt"; }

# ---- 30 new rooms from one address ----
n201=0
n429=0
other=
for i in $(seq 1 30); do
    join "/rooms/flood$i/whip" 203.0.113.5
    case $code in 201) n201=$((n201 + 1)) ;; 429) n429=$((n429 + 1)) ;; *) other="$other $code" ;; esac
done
echo "# 30 offers to new rooms from one address: $n201 rooms opened, $n429 refused (429)${other:+, other:$other}"
check "one address opens at most $rooms_cap rooms ($n201)" '[ "$n201" = "$rooms_cap" ]'
check "the rest get 429 ($n429 of $((30 - rooms_cap)))" '[ "$n429" = $((30 - rooms_cap)) ]'
ra=$(retry_after)
check "with Retry-After ('$ra') and a one-line reason" \
    '[[ "$ra" =~ ^[0-9]+$ ]] && [ "$ra" -ge 1 ] && grep -q "too many rooms" "$tmp/b"'
check "the reason names no address" '! grep -q "203.0.113" "$tmp/b"'
join /rooms/flood1/whip 203.0.113.5
check "joining a room it already opened is still fine ($code)" '[ "$code" = 201 ]'
join /rooms/elsewhere/whip 198.51.100.1
check "another address still opens a room ($code)" '[ "$code" = 201 ]'

# ---- the echo check when every room is taken ----
n=0
for i in $(seq 2 8); do
    join "/rooms/room$i/whip" "198.51.100.$i"
    [ "$code" = 201 ] && n=$((n + 1))
done
join /rooms/one-too-many/whip 198.51.100.20
check "max_rooms = $max_rooms reached: a new room gets 503 ($code)" '[ "$code" = 503 ]'
join /echo/whip 198.51.100.21
echo "# every room taken: echo check -> $code"
check "the echo check is not starved by rooms ($code)" '[ "$code" = 201 ]'

# ---- sessions still connecting, per address ----
n201=0
for i in $(seq 1 $((pending_cap + 2))); do
    join /rooms/flood1/whip 203.0.113.7
    [ "$code" = 201 ] && n201=$((n201 + 1))
done
join /echo/whip 203.0.113.7
echo "# $((pending_cap + 2)) offers to one room from one address: $n201 accepted; an echo check after them: $code"
check "one address keeps at most $pending_cap sessions still connecting ($n201)" '[ "$n201" = "$pending_cap" ]'
check "the echo check counts too: 429 ($code)" '[ "$code" = 429 ]'
ra=$(retry_after)
check "429 with Retry-After within [ice] timeout ('$ra')" \
    '[[ "$ra" =~ ^[0-9]+$ ]] && [ "$ra" -ge 1 ] && [ "$ra" -le 60 ] && grep -q "still connecting" "$tmp/b"'

# ---- IPv6: one /64 is one client ----
n201=0
for i in $(seq 1 $((pending_cap + 2))); do
    join /rooms/flood1/whip "2001:db8:5:1::$i"
    [ "$code" = 201 ] && n201=$((n201 + 1))
done
echo "# $((pending_cap + 2)) offers from $((pending_cap + 2)) addresses of one IPv6 /64: $n201 accepted"
check "addresses of one /64 share the cap ($n201)" '[ "$n201" = "$pending_cap" ]'
join /rooms/flood1/whip 2001:db8:5:2::1
check "another /64 is another client ($code)" '[ "$code" = 201 ]'
join /rooms/flood1/whip
check "a loopback client (no proxy) is not limited ($code)" '[ "$code" = 201 ]'
check "daemon still running" 'kill -0 "$it_pid"'
it_stop
check "SIGTERM: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'

# ---- no ICE check: the session goes after check_timeout (default 10 s) ----
{
    printf '[http]\nport = %s\n' "$port"
    printf '[ice]\naddresses = 127.0.0.1\nport_min = 41300\nport_max = 41499\ntimeout = 30\n'
    printf '[mixer]\nthreads = 1\nwidth = 320\nheight = 180\nfps = 5\n'
} >"$tmp/conclave.ini"
it_daemon "$tmp/conclave.ini" "$base"
join /rooms/quiet/whip
loc=$(sed -n 's/^Location: //Ip' "$tmp/h.txt")
t0=$SECONDS
curl -s -N --max-time 45 "$(it_session_events "$base" "$loc")" >"$tmp/sse" &
sse=$!
it_bg+=("$sse")
it_ended "$sse" 45
life=$((SECONDS - t0))
echo "# an offer that never sends an ICE check: its session lived $life s"
check "a session without an ICE check ends within 14 s ($life s)" '[ "$life" -le 14 ]'
check "its event stream had opened" 'grep -q "^event: hello" "$tmp/sse"'
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X DELETE "$base$loc")
check "it is gone from the table (DELETE -> $code)" '[ "$code" = 404 ]'
it_stop
check "SIGTERM: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'
it_finish
