#!/usr/bin/env bash
# Access control and moderation: room passwords (401 with WWW-Authenticate,
# 403, 201), lock/unlock, moderator and attendee roles (the ini's moderator
# password, the room's creator and its token), layouts, the floor in the
# lecture layout, muting and removing a participant, and a password set by
# the moderator. The daemon runs in its own network namespace (unshare -n,
# loopback only); sessions come from offers without ICE candidates, which
# never connect ([ice] timeout keeps them long enough). Ends with "access: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=access
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-access
tmp=$it_tmp

port=8080
{
    it_ini 8080 120 44000 44999
    cat <<'EOF2'
[mixer]
fps = 10
[log]
level = info
[room secret]
password = open sesame
moderator_password = chair-pw
[room lect]
layout = lecture
EOF2
} >"$tmp/conclave.ini"
base=http://127.0.0.1:$port
c() { curl -s --noproxy '*' --max-time 20 "$@"; }
it_daemon "$tmp/conclave.ini" "$base"
it_offer >"$tmp/offer.sdp"

# join URL [Authorization value ["" for none] [owner's session id of a screen
# share]] -> status; headers in $tmp/h (Location: loc), body in $tmp/b
join() {
    local auth=()
    [ $# -ge 2 ] && [ -n "$2" ] && auth=(-H "Authorization: $2")
    [ $# -ge 3 ] && auth+=(-H "Conclave-Session: $3")
    local st
    st=$(c -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
        "${auth[@]}" --data-binary @"$tmp/offer.sdp" "$base$1")
    echo "$st"
}
header() { tr -d '\r' <"$tmp/h" | sed -n "s/^$1: //Ip"; }
loc() { header Location; }
cmd() { # location json -> "status body"
    c -o "$tmp/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -H "Conclave-Session: ${1##*/}" --data "$2" "$base${1%/sessions/*}/command"
    printf ' %s' "$(head -c 200 "$tmp/body")"
}
# listen NAME LOCATION: opens the session's event stream into $tmp/NAME.sse
listen() {
    local room=${2#/rooms/}
    room=${room%%/*}
    c -N --max-time 120 "$(it_events_url "$base" "$room" "${2##*/}")" >"$tmp/$1.sse" &
    it_bg+=($!)
    eval "${1}_sse_pid=$!"
    it_wait_for "$tmp/$1.sse" '^event: speakers'
}
# public id of a stream's owner (its hello event)
me() { sed -n 's/^data: {"you":"\([0-9a-f]*\)".*/\1/p' "$tmp/$1.sse" | head -1; }
last_roster() { grep '^data: {"participants"' "$tmp/$1.sse" | tail -1; }
# the roster entry of public id $2 in stream $1
entry() { last_roster "$1" | grep -o "{\"id\":\"$2\"[^}]*}"; }
# wait_entry stream id pattern: until that entry matches (5 s)
wait_entry() {
    local deadline=$((SECONDS + 5))
    while [ $SECONDS -le $deadline ]; do
        entry "$1" "$2" | grep -q -- "$3" && return 0
        sleep 0.05
    done
    return 1
}

# ---- passwords ----
r=$(join /rooms/secret/whip)
check "no password -> 401 ($r)" '[ "$r" = 401 ]'
check "401 challenges with WWW-Authenticate: Bearer" '[[ "$(header WWW-Authenticate)" == Bearer* ]]'
check "401 says why in one line" 'grep -q "needs a password" "$tmp/b" && [ "$(wc -l <"$tmp/b")" = 1 ]'
r=$(join /rooms/secret/whip "Bearer")
check "an empty Bearer token counts as none -> 401 ($r)" '[ "$r" = 401 ] && grep -q "needs a password" "$tmp/b"'
r=$(join /rooms/secret/whip "Bearer wrong")
check "wrong password -> 403 ($r)" '[ "$r" = 403 ] && grep -q "wrong password" "$tmp/b"'
r=$(join /rooms/secret/whip "Basic b3BlbjpzZXNhbWU=")
check "another scheme -> 401 ($r)" '[ "$r" = 401 ] && [[ "$(header WWW-Authenticate)" == Bearer* ]]'
r=$(join "/rooms/secret/whip?name=Ann" "Bearer open sesame")
ann=$(loc)
check "right password -> 201 ($r)" '[ "$r" = 201 ] && [ -n "$ann" ]'
check "an attendee gets no moderator token" '[ -z "$(header Conclave-Moderator-Token)" ]'
r=$(join "/rooms/secret/whep" "Bearer wrong")
check "WHEP with a wrong password -> 403 ($r)" '[ "$r" = 403 ]'
r=$(join "/rooms/secret/whip?role=screen" "" "${ann##*/}")
check "a screen share without the password -> 401 ($r)" '[ "$r" = 401 ]'
r=$(join "/rooms/secret/whip?name=Chair" "bearer chair-pw")
chair=$(loc)
check "moderator password -> 201 ($r)" '[ "$r" = 201 ]'
listen ann "$ann"
listen chair "$chair"
check "the moderator's hello says moderator" 'grep -q "^data: {\"you\":\"[0-9a-f]*\",\"moderator\":true" "$tmp/chair.sse"'
check "the attendee's hello does not" 'grep -q "^data: {\"you\":\"[0-9a-f]*\",\"moderator\":false}" "$tmp/ann.sse"'
ann_id=$(me ann)
chair_id=$(me chair)
check "roster shows the roles" \
    'wait_entry ann "$chair_id" "\"moderator\":true" && wait_entry ann "$ann_id" "\"moderator\":false"'
check "room event: password set, unlocked" \
    'grep -q "^data: {\"layout\":\"grid\",\"locked\":false,\"password\":true,\"recording\":false,\"lobby\":\"no\"}" "$tmp/ann.sse"'

# ---- lock ----
r=$(cmd "$ann" '{"type":"lock","locked":true}')
check "an attendee cannot lock -> 403 ($r)" '[ "${r%% *}" = 403 ]'
r=$(cmd "$chair" '{"type":"lock","locked":true}')
check "the moderator locks -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "room event shows locked" 'it_wait_for "$tmp/ann.sse" "\"locked\":true"'
r=$(join /rooms/secret/whip "Bearer open sesame")
check "locked room: a new join -> 403 ($r)" '[ "$r" = 403 ] && grep -q "room is locked" "$tmp/b"'
r=$(join /rooms/secret/whep "Bearer chair-pw")
check "locked room: the moderator password still enters -> 201 ($r)" '[ "$r" = 201 ]'
c -o /dev/null -X DELETE "$base$(loc)"
r=$(cmd "$chair" '{"type":"lock","locked":false}')
check "unlock -> 204 ($r)" '[ "${r%% *}" = 204 ]'
r=$(join /rooms/secret/whip "Bearer open sesame")
check "unlocked: join -> 201 ($r)" '[ "$r" = 201 ]'
c -o /dev/null -X DELETE "$base$(loc)"

# ---- a password set and cleared by the moderator ----
r=$(cmd "$ann" '{"type":"password","password":"x"}')
check "an attendee cannot set the password -> 403 ($r)" '[ "${r%% *}" = 403 ]'
r=$(cmd "$chair" '{"type":"password","password":" bad"}')
check "a password with a leading space -> 400 ($r)" '[ "${r%% *}" = 400 ]'
r=$(cmd "$chair" '{"type":"password","password":"new pw 2"}')
check "the moderator sets a new password -> 204 ($r)" '[ "${r%% *}" = 204 ]'
r=$(join /rooms/secret/whip "Bearer open sesame")
check "the ini's password no longer enters -> 403 ($r)" '[ "$r" = 403 ]'
r=$(join /rooms/secret/whip "Bearer new pw 2")
check "the new one does -> 201 ($r)" '[ "$r" = 201 ]'
c -o /dev/null -X DELETE "$base$(loc)"
r=$(cmd "$chair" '{"type":"password","password":null}')
check "the moderator clears it -> 204 ($r)" '[ "${r%% *}" = 204 ]'
r=$(join /rooms/secret/whip)
check "no password needed now -> 201 ($r)" '[ "$r" = 201 ]'
c -o /dev/null -X DELETE "$base$(loc)"

# ---- layouts ----
r=$(cmd "$ann" '{"type":"layout","layout":"speaker"}')
check "an attendee cannot change the layout -> 403 ($r)" \
    '[ "${r%% *}" = 403 ] && [[ "$r" == *moderator* ]]'
r=$(cmd "$chair" '{"type":"layout","layout":"theatre"}')
check "an unknown layout -> 400 ($r)" '[ "${r%% *}" = 400 ]'
r=$(cmd "$chair" '{"type":"layout","layout":"speaker"}')
check "the moderator chooses speaker -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "everyone gets the layout event" 'it_wait_for "$tmp/ann.sse" "^data: {\"mode\":\"speaker\""'
r=$(cmd "$ann" "{\"type\":\"floor\",\"participant\":\"$chair_id\",\"on\":true}")
check "an attendee cannot give the floor -> 403 ($r)" '[ "${r%% *}" = 403 ]'
r=$(cmd "$ann" "{\"type\":\"remove\",\"participant\":\"$chair_id\"}")
check "an attendee cannot remove -> 403 ($r)" '[ "${r%% *}" = 403 ]'
r=$(cmd "$chair" '{"type":"mute_participant","participant":"0123456789abcdef"}')
check "mute an unknown participant -> 404 ($r)" '[ "${r%% *}" = 404 ]'
r=$(cmd "$chair" "{\"type\":\"mute_participant\",\"participant\":\"$ann_id\"}")
check "the moderator mutes Ann -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "roster shows Ann muted" 'wait_entry chair "$ann_id" "\"muted\":true"'
r=$(cmd "$ann" '{"type":"mute","audio":false}')
check "outside a lecture Ann may unmute herself -> 204 ($r)" '[ "${r%% *}" = 204 ]'

# ---- the room's creator, its token, the lecture layout ----
r=$(join "/rooms/open1/whip?name=Host")
host=$(loc)
token=$(header Conclave-Moderator-Token)
check "the first into a room without a moderator password -> 201 with a token ($r)" \
    '[ "$r" = 201 ] && [[ "$token" =~ ^[0-9a-f]{32}$ ]]'
r=$(join "/rooms/open1/whip?name=Bob")
bob=$(loc)
check "the second -> 201 without a token ($r)" '[ "$r" = 201 ] && [ -z "$(header Conclave-Moderator-Token)" ]'
listen host "$host"
listen bob "$bob"
host_id=$(me host)
bob_id=$(me bob)
check "the creator's hello carries the token, to it alone" \
    'grep -q "\"moderator\":true,\"token\":\"$token\"" "$tmp/host.sse" && ! grep -q "$token" "$tmp/bob.sse"'
r=$(cmd "$bob" '{"type":"layout","layout":"lecture"}')
check "an attendee cannot choose lecture -> 403 ($r)" '[ "${r%% *}" = 403 ]'
r=$(cmd "$host" '{"type":"layout","layout":"lecture"}')
check "the creator chooses lecture -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "lecture layout event names the lecturer" \
    'it_wait_for "$tmp/bob.sse" "^data: {\"mode\":\"lecture\",\"screen\":null,\"lecturer\":\"$host_id\"}"'
check "Bob is muted by the lecture" 'wait_entry host "$bob_id" "\"muted\":true"'
r=$(cmd "$bob" '{"type":"mute","audio":false}')
check "Bob cannot unmute without the floor -> 403 ($r)" \
    '[ "${r%% *}" = 403 ] && [[ "$r" == *"you do not have the floor"* ]]'
r=$(join "/rooms/open1/whip?role=screen" "" "${bob##*/}")
check "nor share a screen -> 403 ($r)" '[ "$r" = 403 ]'
r=$(join "/rooms/open1/whip?name=Cat")
cat_loc=$(loc)
listen cat "$cat_loc"
cat_id=$(me cat)
check "Cat joining the lecture is muted at once" 'wait_entry host "$cat_id" "\"muted\":true"'
r=$(cmd "$cat_loc" '{"type":"mute","audio":false}')
check "Cat cannot unmute -> 403 ($r)" '[ "${r%% *}" = 403 ]'
r=$(cmd "$host" '{"type":"mute","audio":false}')
check "the lecturer may unmute -> 204 ($r)" '[ "${r%% *}" = 204 ]'
r=$(cmd "$bob" '{"type":"hand","raised":true}')
check "Bob raises his hand -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "roster shows the hand" 'wait_entry host "$bob_id" "\"hand\":true"'
r=$(cmd "$host" "{\"type\":\"floor\",\"participant\":\"$bob_id\",\"on\":true}")
check "the moderator gives Bob the floor -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "roster: Bob unmuted, with the floor, hand down" \
    'wait_entry cat "$bob_id" "\"muted\":false,\"camera\":true,\"hand\":false,\"moderator\":false,\"floor\":true"'
r=$(cmd "$bob" '{"type":"mute","audio":true}')
r2=$(cmd "$bob" '{"type":"mute","audio":false}')
check "with the floor Bob mutes and unmutes himself -> 204, 204" \
    '[ "${r%% *}" = 204 ] && [ "${r2%% *}" = 204 ]'
r=$(cmd "$host" "{\"type\":\"floor\",\"participant\":\"$bob_id\",\"on\":false}")
check "the moderator takes the floor back -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "roster: Bob muted, no floor" 'wait_entry cat "$bob_id" "\"muted\":true,.*\"floor\":false"'
r=$(cmd "$bob" '{"type":"mute","audio":false}')
check "Bob cannot unmute again -> 403 ($r)" '[ "${r%% *}" = 403 ]'

# the creator comes back with its token (still a moderator); a wrong token is refused
r=$(join "/rooms/open1/whip?name=Host2" "Bearer $token")
host2=$(loc)
check "the token enters -> 201 ($r)" '[ "$r" = 201 ]'
listen host2 "$host2"
check "and makes a moderator" 'grep -q "^data: {\"you\":\"[0-9a-f]*\",\"moderator\":true" "$tmp/host2.sse"'
r=$(join "/rooms/open1/whip" "Bearer 0123456789abcdef0123456789abcdef")
check "a wrong token -> 403 ($r)" '[ "$r" = 403 ]'
c -o /dev/null -X DELETE "$base$host2"

# ---- remove ----
r=$(cmd "$host" "{\"type\":\"remove\",\"participant\":\"$host_id\"}")
check "removing oneself -> 400 ($r)" '[ "${r%% *}" = 400 ]'
r=$(cmd "$host" "{\"type\":\"remove\",\"participant\":\"$cat_id\"}")
check "the moderator removes Cat -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "Cat's stream says removed" 'it_wait_for "$tmp/cat.sse" "^event: removed"'
check "Cat's event stream ends" 'it_ended "$cat_sse_pid" 5'
r=$(c -o /dev/null -w '%{http_code}' -X DELETE "$base$cat_loc")
check "Cat's DELETE -> 404 (the session is gone)" '[ "$r" = 404 ]'
check "roster no longer lists Cat" \
    'sleep 0.2; ! last_roster host | grep -q "$cat_id"'

# ---- a room emptied starts afresh ----
for l in "$host" "$bob"; do c -o /dev/null -X DELETE "$base$l"; done
r=$(join "/rooms/open1/whip" "Bearer $token")
check "after the room emptied, the old token is refused -> 403 ($r)" '[ "$r" = 403 ]'
r=$(join "/rooms/lect/whip?name=First")
first=$(loc)
check "[room lect] layout = lecture: the creator -> 201 ($r)" '[ "$r" = 201 ]'
r=$(join "/rooms/lect/whip?name=Second")
second=$(loc)
listen second "$second"
check "the ini's lecture layout applies" 'grep -q "^data: {\"mode\":\"lecture\"" "$tmp/second.sse"'
r=$(cmd "$second" '{"type":"mute","audio":false}')
check "the second is an attendee without the floor -> 403 ($r)" '[ "${r%% *}" = 403 ]'
check "no session id in any stream" \
    '! cat "$tmp"/*.sse | grep -q "${ann##*/}\|${chair##*/}\|${host##*/}\|${bob##*/}\|${cat_loc##*/}"'

kill -0 "$it_pid" 2>/dev/null && ok "daemon still running" || bad "daemon died: $(tail -5 "$tmp/err")"
it_stop
rc=$it_rc
check "SIGTERM: exit 0 (got $rc)" '[ "$rc" = 0 ]'
it_finish
