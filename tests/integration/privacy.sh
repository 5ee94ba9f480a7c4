#!/usr/bin/env bash
# privacy.sh - at the default log level the daemon says nothing about who met,
# when, or where (conclave(8) PRIVACY): a join, chat, leave, a timed-out
# session and error answers (bad SDP, 404s, 429) with a distinctive room name,
# participant name, chat text and client address, and none of them, nor a
# session id, may show in its output. It also keeps no file open for writing
# and creates nothing in its working directory.
# In its own network namespace; ends with "privacy: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=privacy
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-privacy
root=$PWD
port=18081
room=zqPrivRoom7x
name=ZeldaQuuxName
chat=xyzzy-secret-chat-42
proxied=192.0.2.77 # a client address seen through the trusted proxy
mkdir "$it_tmp/cwd"
it_offer >"$it_tmp/offer.sdp"

# The server is 127.0.0.2, the client 127.0.0.1: only the client's address may
# not show. No [log] section: the default level.
cat >"$it_tmp/conclave.ini" <<EOF2
[http]
listen = 127.0.0.2
port = $port
www = $root/www
trust_proxy = yes
joins_per_minute = 2
[ice]
addresses = 127.0.0.2
port_min = 40000
port_max = 40099
timeout = 15
[mixer]
threads = 1
width = 320
height = 180
fps = 5
EOF2
it_start "$it_tmp/conclave.ini" "$it_tmp/cwd"
base=http://127.0.0.2:$port
C=(-s --max-time 20 --interface 127.0.0.1)
if ! it_wait_ready "$base/healthz" --interface 127.0.0.1; then
    bad "the daemon answers /healthz"
    it_finish
fi

join() { # path -> Location, status in $it_tmp/code
    curl "${C[@]}" -o /dev/null -D "$it_tmp/h" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/sdp' --data-binary @"$it_tmp/offer.sdp" "$@" \
        >"$it_tmp/code"
    tr -d '\r' <"$it_tmp/h" | sed -n 's/^Location: //Ip'
}
code() { cat "$it_tmp/code"; }
req() { # method path [args] -> status
    local m=$1 p=$2
    shift 2
    curl "${C[@]}" -o /dev/null -w '%{http_code}' -X "$m" "$@" "$base$p"
}

zelda=$(join "$base/rooms/$room/whip?name=$name")
check "$name joins $room -> 201" '[ "$(code)" = 201 ] && [ -n "$zelda" ]'
other=$(join "$base/rooms/$room/whip?name=Other$name")
check "a second participant joins -> 201" '[ "$(code)" = 201 ] && [ -n "$other" ]'
ids="${zelda##*/} ${other##*/}"
curl "${C[@]}" -N --max-time 60 "$(it_events_url "$base" "$room" "${other##*/}" "${C[@]}")" \
    >"$it_tmp/sse" &
sse=$!
for _ in $(seq 200); do grep -q '^event: hello' "$it_tmp/sse" && break; sleep 0.05; done
r=$(req POST "/rooms/$room/command" -H "Conclave-Session: ${zelda##*/}" \
    -H 'Content-Type: application/json' --data "{\"type\":\"chat\",\"text\":\"$chat\"}")
check "chat -> 204 ($r)" '[ "$r" = 204 ]'
for _ in $(seq 100); do grep -q "$chat" "$it_tmp/sse" && break; sleep 0.05; done
check "the chat is relayed to the other participant" 'grep -q "$chat" "$it_tmp/sse"'
r=$(req DELETE "$zelda")
check "$name leaves -> 200 ($r)" '[ "$r" = 200 ]'
r=$(req DELETE "$zelda")
check "leaving twice -> 404 ($r)" '[ "$r" = 404 ]'

# errors
r=$(req POST "/rooms/$room/whip?name=$name" -H 'Content-Type: application/sdp' --data 'v=0 bad')
check "bad SDP -> 400 ($r)" '[ "$r" = 400 ]'
r=$(req DELETE "/rooms/$room/sessions/0123456789abcdef0123456789abcdef")
check "DELETE of an unknown session -> 404 ($r)" '[ "$r" = 404 ]'
r=$(req GET "/rooms/$room/nothing-$name")
check "an unknown path in the room -> 404 ($r)" '[ "$r" = 404 ]'
r=$(req GET "/$room-$name.html")
check "an unknown file -> 404 ($r)" '[ "$r" = 404 ]'
r=$(req POST "/rooms/$room/command" -H 'Conclave-Session: 0123456789abcdef0123456789abcdef' \
    -H 'Content-Type: application/json' --data "{\"type\":\"chat\",\"text\":\"$chat\"}")
check "chat for an unknown session -> 404 ($r)" '[ "$r" = 404 ]'
r=$(req POST "/rooms/$room/command" -H "Conclave-Session: ${zelda##*/}" \
    -H 'Content-Type: application/json' --data "{\"type\":\"$chat\"}")
check "an unknown command -> 400 ($r)" '[ "$r" = 400 ]'
for _ in 1 2 3; do
    loc=$(join "$base/rooms/$room/whip?name=$name" -H "X-Forwarded-For: $proxied")
    [ -n "$loc" ] && ids="$ids ${loc##*/}"
done
check "the third join from $proxied in a minute -> 429" '[ "$(code)" = 429 ]'

# the other session times out (it never connects)
deadline=$((SECONDS + 40))
while kill -0 "$sse" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
check "the other participant's session ends by itself, never connected (its event stream ends)" '! kill -0 "$sse" 2>/dev/null'
wait "$sse" 2>/dev/null

# nothing open for writing but the standard streams
wfiles=""
for fd in /proc/"$it_pid"/fd/*; do
    n=${fd##*/}
    [ "$n" -le 2 ] && continue
    target=$(readlink "$fd") || continue
    case $target in /*) ;; *) continue ;; esac # sockets, pipes, anon inodes
    flags=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$it_pid/fdinfo/$n")
    [ $((8#$flags & 3)) -ne 0 ] && wfiles="$wfiles $n:$target"
done
nfiles=$(find /proc/"$it_pid"/fd -mindepth 1 | wc -l)
check "no file open for writing besides fds 0-2 (of $nfiles fds:$wfiles)" '[ -z "$wfiles" ] && [ "$nfiles" -gt 3 ]'
it_stop
check "SIGTERM: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'
check "nothing created in the working directory ($(ls -A "$it_tmp/cwd" | head -3 | tr '\n' ' '))" \
    '[ -z "$(ls -A "$it_tmp/cwd")" ]'

# the output at the default level
out=$(cat "$it_tmp/out" "$it_tmp/err")
check "the daemon wrote something (its start-up line)" '[ -n "$out" ]'
leak() { # label string
    if printf '%s' "$out" | grep -qiF -- "$2"; then
        bad "output names $1: $(printf '%s' "$out" | grep -iF -- "$2" | head -2)"
    else
        ok "output does not name $1"
    fi
}
leak "the room" "$room"
leak "the participant" "$name"
leak "the chat text" "$chat"
leak "the client address 127.0.0.1" 127.0.0.1
leak "the proxied client address" "$proxied"
n=0
for id in $ids; do
    n=$((n + 1))
    leak "session id $n" "$id"
done
check "session ids were collected ($n)" '[ "$n" -ge 4 ]'
it_finish
