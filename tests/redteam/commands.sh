#!/usr/bin/env bash
# Red team: commands from attendees. A session's commands go through token
# buckets (chat: 10 in a row then 1 a second; mute, camera and hand: 10 then
# 2 a second): past them the answer is 429 with Retry-After and a one-line
# reason. A room's roster, layout and room events go out at most once every
# 200 ms, the last state always. Measured on one subscriber's stream in a
# room of 8: the bytes that 200 hand toggles cost (about 245 KB before these
# limits), the chat events that 600 chats of 1000 bytes deliver (all 600
# before), the roster events that 6 simultaneous toggles cause (6 before).
# Loopback only, in its own network namespace; ends with
# "commands: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=commands
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-commands
tmp=$it_tmp

port=$((20000 + RANDOM % 1000))
it_ini "$port" 60 $((44000 + RANDOM % 90 * 10)) 44999 >"$tmp/conclave.ini"
base=http://127.0.0.1:$port
c() { curl -s --noproxy '*' --max-time 60 "$@"; }
it_daemon "$tmp/conclave.ini" "$base"
it_offer >"$tmp/offer.sdp"

join() { # name -> Location
    c -o /dev/null -D "$tmp/h" -X POST -H 'Content-Type: application/sdp' \
        --data-binary @"$tmp/offer.sdp" "$base/rooms/fan/whip?name=$1"
    tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip'
}
loc=()
for i in 1 2 3 4 5 6 7 8; do loc[i]=$(join "P$i"); done
n=0
for i in 1 2 3 4 5 6 7 8; do [ -n "${loc[i]}" ] && n=$((n + 1)); done
check "a room of 8 ($n joined)" '[ "$n" = 8 ]'
sse=$tmp/p8.sse
c -N --max-time 120 "$(it_events_url "$base" fan "${loc[8]##*/}")" >"$sse" &
it_bg+=($!)
it_wait_for "$sse" '^event: layout' 10
sleep 1
size() { stat -c %s "$sse"; }
count() { grep -c "^event: $1" "$sse"; }

# many commands in one curl process, as fast as one connection goes:
# burst <location> <count> <json-of-i> -> one status a line in $tmp/st, the
# seconds the requests took (not the writing of their list) in $secs
burst() {
    local i
    for ((i = 1; i <= $2; i++)); do
        [ "$i" -gt 1 ] && echo next
        printf 'url = "%s"\nheader = "Content-Type: application/json"\n' "$base/rooms/fan/command"
        printf 'header = "Conclave-Session: %s"\n' "${1##*/}"
        printf 'data = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
            "$(eval "$3" | sed 's/"/\\"/g')"
    done >"$tmp/burst.cfg"
    local t0 t1
    t0=$(date +%s.%N)
    c -K "$tmp/burst.cfg" >"$tmp/st"
    t1=$(date +%s.%N)
    secs=$(echo "$t1 - $t0" | bc)
}

# 1. 200 hand toggles from one attendee
b0=$(size)
r0=$(count roster)
burst "${loc[1]}" 200 'echo "{\"type\":\"hand\",\"raised\":$([ $((i % 2)) = 1 ] && echo true || echo false)}"'
sleep 1.5
bytes=$(($(size) - b0))
rosters=$(($(count roster) - r0))
acc=$(grep -c '^204$' "$tmp/st")
ref=$(grep -c '^429$' "$tmp/st")
echo "# 200 hand toggles in ${secs}s: $acc accepted, $ref refused (429);" \
    "$bytes bytes and $rosters roster events on one subscriber's stream"
# the bucket: 10 at once, then 2 a second however long the burst took
most=$(echo "10 + 2 * $secs + 1" | bc | cut -d. -f1)
check "at most 10 + 2 a second accepted ($acc of 200, limit $most)" \
    '[ "$acc" -ge 10 ] && [ "$acc" -le "$most" ]'
check "the rest refused with 429, no other status ($ref)" '[ $((acc + ref)) = 200 ]'
# at most one roster publication per 200 ms, plus the first and the last
limit=$(echo "($secs + 1.5) * 5 + 2" | bc | cut -d. -f1)
check "roster events at most one per 200 ms ($rosters, limit $limit)" '[ "$rosters" -le "$limit" ]'
# each publication (roster, layout and room of 8) is about 1.2 KB
check "one subscriber receives at most 1500 bytes a publication: $bytes <= $((limit * 1500))" \
    '[ "$bytes" -le $((limit * 1500)) ]'
last=$(grep -n '^204$' "$tmp/st" | tail -1 | cut -d: -f1)
if [ $((last % 2)) = 1 ]; then want=true; else want=false; fi
check "the last accepted toggle is what the roster shows (hand $want)" \
    'grep "^data: {\"participants\"" "$sse" | tail -1 | grep -q "\"name\":\"P1\",[^}]*\"hand\":$want"'

# the refusal: 429, Retry-After, one line saying why (the bucket drained again first)
for _ in $(seq 20); do
    st=$(c -o "$tmp/body" -D "$tmp/h" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -H "Conclave-Session: ${loc[1]##*/}" --data '{"type":"camera","on":true}' \
        "$base/rooms/fan/command")
    [ "$st" = 429 ] && break
done
ra=$(tr -d '\r' <"$tmp/h" | sed -n 's/^Retry-After: //Ip')
check "a command past the bucket -> 429 ($st)" '[ "$st" = 429 ]'
check "with Retry-After in whole seconds ($ra)" '[[ "$ra" =~ ^[1-9][0-9]*$ ]]'
check "and one line saying why: $(head -c 80 "$tmp/body")" \
    '[ "$(wc -l <"$tmp/body")" = 1 ] && grep -q "too many" "$tmp/body"'
sleep "${ra:-1}"
st=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "Conclave-Session: ${loc[1]##*/}" --data '{"type":"hand","raised":false}' \
    "$base/rooms/fan/command")
check "after Retry-After the toggle is accepted ($st)" '[ "$st" = 204 ]'
st=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "Conclave-Session: ${loc[1]##*/}" --data '{"type":"chat","text":"still here"}' \
    "$base/rooms/fan/command")
check "chat has a bucket of its own (204: $st)" '[ "$st" = 204 ]'

# 2. 600 chats of 1000 bytes from another attendee
# shellcheck disable=SC2034 # used by burst's eval
text=$(head -c 1000 /dev/zero | tr '\0' 'x')
c0=$(count chat)
b0=$(size)
burst "${loc[2]}" 600 'echo "{\"type\":\"chat\",\"text\":\"$text\"}"'
sleep 1
chats=$(($(count chat) - c0))
bytes=$(($(size) - b0))
acc=$(grep -c '^204$' "$tmp/st")
echo "# 600 chats of 1000 bytes in ${secs}s: $acc accepted; $chats chat events," \
    "$bytes bytes on one subscriber's stream"
limit=$(echo "10 + $secs + 2" | bc | cut -d. -f1)
check "chat events delivered at most 10 + 1 a second ($chats, limit $limit; 600 before)" \
    '[ "$chats" -le "$limit" ] && [ "$chats" -ge 10 ]'
check "every chat not delivered was answered 429 ($(grep -c '^429$' "$tmp/st"))" \
    '[ "$(grep -c "^429$" "$tmp/st")" = $((600 - acc)) ]'
check "the subscriber's stream is still open" 'kill -0 "${it_bg[0]}" 2>/dev/null'

# 3. six attendees raise their hands at the same moment: coalesced
for i in 3 4 5 6 7 8; do
    [ "$i" -gt 3 ] && echo next
    printf 'url = "%s"\nheader = "Content-Type: application/json"\n' "$base/rooms/fan/command"
    printf 'header = "Conclave-Session: %s"\n' "${loc[i]##*/}"
    printf 'data = "{\\"type\\":\\"hand\\",\\"raised\\":true}"\noutput = "/dev/null"\n'
    printf 'write-out = "%%{http_code}\\n"\n'
done >"$tmp/six.cfg"
sleep 0.5
r0=$(count roster)
c --parallel --parallel-immediate -K "$tmp/six.cfg" >"$tmp/st" 2>/dev/null
sleep 1
rosters=$(($(count roster) - r0))
echo "# 6 simultaneous hand raises: $rosters roster events"
check "six toggles at once -> 204 each" '[ "$(grep -c "^204$" "$tmp/st")" = 6 ]'
check "fewer roster events than toggles ($rosters; 6 before)" '[ "$rosters" -lt 6 ] && [ "$rosters" -ge 1 ]'
check "the last roster shows all six hands raised" \
    '[ "$(grep "^data: {\"participants\"" "$sse" | tail -1 | grep -o "\"name\":\"P[3-8]\",[^}]*\"hand\":true" | wc -l)" = 6 ]'

# 4. the same state again is no change: no publication
r0=$(count roster)
st=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "Conclave-Session: ${loc[3]##*/}" --data '{"type":"hand","raised":true}' \
    "$base/rooms/fan/command")
sleep 0.6
check "raising a raised hand -> 204 and no roster event ($st, $(($(count roster) - r0)))" \
    '[ "$st" = 204 ] && [ "$(count roster)" = "$r0" ]'

kill -0 "$it_pid" 2>/dev/null && ok "daemon still running" || bad "daemon died: $(tail -5 "$tmp/err")"
it_stop
check "SIGTERM: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'
it_finish
