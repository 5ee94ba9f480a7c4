#!/usr/bin/env bash
# Red team: display names. A name that is not valid UTF-8, or that holds
# control, bidirectional formatting or invisible characters, is refused
# (400 with the reason); the length is counted in characters; every session
# of a room is in the roster; equal names (ASCII case and outer spaces
# aside) are numbered "Name (2)" by the server, in the roster and in chat.
# Loopback only, in its own network namespace; ends with
# "names: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=names
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-names
tmp=$it_tmp

port=$((20000 + RANDOM % 1000))
it_ini "$port" 60 $((44000 + RANDOM % 90 * 10)) 44999 >"$tmp/conclave.ini"
base=http://127.0.0.1:$port
c() { curl -s --noproxy '*' --max-time 20 "$@"; }
it_daemon "$tmp/conclave.ini" "$base"
it_offer >"$tmp/offer.sdp"

join() { # name (URL-encoded) -> "status location", the body in $tmp/body
    local st
    st=$(c -o "$tmp/body" -D "$tmp/h" -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
        --data-binary @"$tmp/offer.sdp" "$base/rooms/nm/whip?name=$1")
    [ "$st" = 201 ] && echo "$1" >>"$tmp/joined" # counted in a file: join runs in $(...)
    printf '%s %s' "$st" "$(tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip')"
}
roster() { # the last roster of the stream file $1, one name a line
    grep '^data: {"participants"' "$1" | tail -1 | sed 's/^data: //' |
        python3 -c 'import json,sys; [print(p["name"]) for p in json.load(sys.stdin)["participants"]]' 2>/dev/null
}

first=$(join Host)
host=${first#* }
check "a plain name joins (${first%% *})" '[ "${first%% *}" = 201 ]'

# refused names: the finding (%c3%28) and its kin
for case in '%c3%28:not valid UTF-8 (a cut sequence)' '%c0%af:an overlong form' \
    '%ed%a0%80:a surrogate' 'Eve%e2%80%ae:a right-to-left override' \
    'Eve%e2%81%a6x:a bidirectional isolate' 'E%e2%80%8bve:a zero-width space' \
    'E%e2%80%8dve:a zero-width joiner' '%ef%bb%bfEve:a byte order mark' \
    'Eve%07:a control character' 'Eve%c2%85:a C1 control'; do
    r=$(join "${case%%:*}")
    check "a name with ${case#*:} -> 400 (${r%% *})" \
        '[ "${r%% *}" = 400 ] && grep -q "^bad name" "$tmp/body"'
done
r=$(join '%c3%28')
check "the refusal says why: $(head -c 60 "$tmp/body")" 'grep -q "UTF-8" "$tmp/body"'

# the length is in characters: 64 e-acute (128 bytes) pass, 65 do not
e64=$(printf '%%c3%%a9%.0s' $(seq 64))
r=$(join "$e64")
check "64 two-byte characters join (${r%% *})" '[ "${r%% *}" = 201 ]'
r=$(join "${e64}%c3%a9")
check "65 characters -> 400 (${r%% *})" '[ "${r%% *}" = 400 ]'
r=$(join "%f0%9f%99%82%20Bo")
check "an emoji in a name joins (${r%% *})" '[ "${r%% *}" = 201 ]'

# duplicates are numbered by the server
a1=$(join Ada)
a2=$(join Ada)
# shellcheck disable=SC2034 # read by check's eval
a3=$(join '%20%20ada%20')
check "three joins as Ada, Ada, ' ada ' -> 201" \
    '[ "${a1%% *}" = 201 ] && [ "${a2%% *}" = 201 ] && [ "${a3%% *}" = 201 ]'

c -N --max-time 30 "$(it_session_events "$base" "$host")" >"$tmp/host.sse" &
it_bg+=($!)
it_wait_for "$tmp/host.sse" '^event: layout' 10
roster "$tmp/host.sse" >"$tmp/names"
sed 's/^/# roster: /' "$tmp/names"
n=$(wc -l <"$tmp/names")
joined=$(wc -l <"$tmp/joined")
check "the roster lists every session that joined ($n of $joined)" '[ "$n" = "$joined" ]'
dups=$(tr 'A-Z' 'a-z' <"$tmp/names" | sort | uniq -d | wc -l)
check "no two names of the roster read the same ($dups repeated)" '[ "$dups" = 0 ]'
check "the first Ada keeps her name, the next ones are Ada (2) and ada (3)" \
    'grep -qx "Ada" "$tmp/names" && grep -qx "Ada (2)" "$tmp/names" && grep -qx "ada (3)" "$tmp/names"'

# chat shows the numbered name
st=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "Conclave-Session: ${a2##*/}" --data '{"type":"chat","text":"hi"}' \
    "$base$(l=${a2#* }; echo "${l%/sessions/*}")/command")
check "chat from the second Ada -> 204 ($st)" '[ "$st" = 204 ]'
check "the chat event names her Ada (2)" 'it_wait_for "$tmp/host.sse" "\"name\":\"Ada (2)\",\"text\":\"hi\""'

# when the first Ada leaves, her name is free again
c -o /dev/null -X DELETE "$base${a1#* }"
# shellcheck disable=SC2034 # read by check's eval
a4=$(join Ada)
check "a new Ada after the first left -> 201" '[ "${a4%% *}" = 201 ]'
check "and is shown as Ada again" \
    'it_until "roster \"$tmp/host.sse\" | grep -qx Ada" 5'

kill -0 "$it_pid" 2>/dev/null && ok "daemon still running" || bad "daemon died: $(tail -5 "$tmp/err")"
it_stop
check "SIGTERM: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'
it_finish
