#!/usr/bin/env bash
# Breakout groups, over HTTP: a moderator opens 3 groups of 6 participants at
# random for 10 s; each participant's stream gets a move to a room named from
# the parent with an unguessable suffix, with a one-time ticket; a group is
# joined with that ticket only; each group's roster holds its members only,
# its chat stays in it, a broadcast reaches every group; the moderator visits
# a group; a participant who reconnects to the parent is moved to its group
# again; at the end of the duration everyone is sent back with a ticket for
# the parent; groups placed by hand; refusals. The daemon runs in its own
# network namespace; sessions come from offers that never connect.
# Ends with "breakout: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=breakout
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-breakout
tmp=$it_tmp

port=8080
{
    it_ini 8080 120 44000 44999
    cat <<'EOF2'
[http]
joins_per_minute = 0
[mixer]
fps = 5
[rooms]
max_participants = 20
EOF2
} >"$tmp/conclave.ini"
base=http://127.0.0.1:$port
c() { curl -s --noproxy '*' --max-time 20 "$@"; }
it_daemon "$tmp/conclave.ini" "$base"
it_offer >"$tmp/offer.sdp"

# join URL [curl args...] -> status; the Location in $tmp/loc
join() {
    local url=$1
    shift
    c -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
        "$@" --data-binary @"$tmp/offer.sdp" "$base$url"
    tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip' >"$tmp/loc"
}
cmd() { # location json -> "status body"
    c -o "$tmp/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -H "Conclave-Session: ${1##*/}" --data "$2" "$base${1%/sessions/*}/command"
    printf ' %s' "$(head -c 200 "$tmp/body")"
}
# listen NAME LOCATION: the session's event stream into $tmp/NAME.sse
listen() {
    local room=${2#/rooms/}
    room=${room%%/*}
    c -N --max-time 120 "$(it_events_url "$base" "$room" "${2##*/}")" >"$tmp/$1.sse" &
    it_bg+=($!)
    it_wait_for "$tmp/$1.sse" '^event: speakers'
}
# the last "breakout" event of stream $1
last_move() { grep -A1 '^event: breakout' "$tmp/$1.sse" | grep '^data:' | tail -1; }
field() { sed -n "s/.*\"$2\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" <<<"$1"; }
last_roster() { grep '^data: {"participants"' "$tmp/$1.sse" | tail -1; }

r=$(join "/rooms/class/whip?name=Teacher")
teacher=$(cat "$tmp/loc")
check "the teacher opens the room -> 201 ($r)" '[ "$r" = 201 ]'
listen teacher "$teacher"
declare -A loc
for i in 1 2 3 4 5 6; do
    join "/rooms/class/whip?name=S$i" >/dev/null
    loc[$i]=$(cat "$tmp/loc")
    listen "s$i" "${loc[$i]}"
done
six() { [ "$(last_roster teacher | grep -o '"name":"S[1-6]"' | wc -l)" = 6 ]; }
check "six participants are in the room" 'it_until six 3'

# ---- refusals ----
r=$(cmd "${loc[1]}" '{"type":"breakout_open","groups":3}')
check "an attendee cannot open groups -> 403 ($r)" '[ "${r%% *}" = 403 ]'
r=$(cmd "$teacher" '{"type":"breakout_open","groups":1}')
check "one group -> 400 ($r)" '[ "${r%% *}" = 400 ] && [[ "$r" == *"2 to 20"* ]]'
r=$(cmd "$teacher" '{"type":"breakout_open","groups":21}')
check "21 groups -> 400 ($r)" '[ "${r%% *}" = 400 ]'
r=$(cmd "$teacher" '{"type":"breakout_open","groups":3,"duration":14401}')
check "a duration over 4 hours -> 400 ($r)" '[ "${r%% *}" = 400 ]'
r=$(cmd "$teacher" '{"type":"breakout_close"}')
check "closing groups that are not open -> 409 ($r)" '[ "${r%% *}" = 409 ]'

# ---- 3 groups at random for 10 s ----
r=$(cmd "$teacher" '{"type":"breakout_open","groups":3,"assign":"random","duration":10}')
t_open=$SECONDS
check "the teacher opens 3 groups for 10 s -> 204 ($r)" '[ "${r%% *}" = 204 ]'
r=$(cmd "$teacher" '{"type":"breakout_open","groups":2}')
check "a second opening -> 409 ($r)" '[ "${r%% *}" = 409 ]'
declare -A grp room tk
moved=0
for i in 1 2 3 4 5 6; do
    it_wait_for "$tmp/s$i.sse" '^event: breakout' && moved=$((moved + 1))
    m=$(last_move "s$i")
    grp[$i]=$(field "$m" group)
    room[$i]=$(field "$m" room)
    tk[$i]=$(field "$m" ticket)
done
check "each participant's stream gets its move ($moved of 6)" '[ "$moved" = 6 ]'
ok_names=1
for i in 1 2 3 4 5 6; do
    [[ "${room[$i]}" =~ ^class-g${grp[$i]}-[0-9a-f]{16}$ ]] && [[ "${tk[$i]}" =~ ^[0-9a-f]{32}$ ]] ||
        ok_names=0
done
check "a move names group 1..3, a room 'class-gN-' + 16 random hex digits, and a ticket" \
    '[ "$ok_names" = 1 ]'
sizes=$(for i in 1 2 3 4 5 6; do echo "${grp[$i]}"; done | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')
check "at random, as evenly as can be: 2 in each of the 3 groups ($sizes)" '[ "$sizes" = "2 2 2 " ]'
m=$(last_move s1)
left=$(field "$m" left)
check "the move says how long is left (9..10 s: $left)" '[ "$left" -ge 9 ] && [ "$left" -le 10 ]'
check "the teacher gets the groups and their members" \
    'it_wait_for "$tmp/teacher.sse" "^data: {\"state\":\"open\",\"groups\":\[{\"group\":1,"'
g1=${room[1]}
r=$(join "/rooms/$g1/whip?name=Intruder")
check "a group without a ticket -> 403 ($r)" \
    '[ "$r" = 403 ] && grep -q "ticket of a move" "$tmp/b"'
r=$(join "/rooms/$g1/whip?name=Intruder" -H "Conclave-Ticket: 0123456789abcdef0123456789abcdef")
check "with a made-up ticket -> 403 ($r)" '[ "$r" = 403 ]'
j=0
for i in 1 2 3 4 5 6; do [ "${room[$i]}" != "$g1" ] && j=$i; done
r=$(join "/rooms/$g1/whip?name=S$j" -H "Conclave-Ticket: ${tk[$j]}")
check "another group's ticket -> 403 ($r)" '[ "$r" = 403 ]'

# everyone leaves the parent and joins its group, as a client does on a move
declare -A gloc
n201=0
for i in 1 2 3 4 5 6; do
    c -o /dev/null -X DELETE "$base${loc[$i]}"
    r=$(join "/rooms/${room[$i]}/whip?name=S$i" -H "Conclave-Ticket: ${tk[$i]}")
    [ "$r" = 201 ] && n201=$((n201 + 1))
    gloc[$i]=$(cat "$tmp/loc")
done
check "each joins its group with its ticket, no password -> 201 ($n201 of 6)" '[ "$n201" = 6 ]'
r=$(join "/rooms/${room[1]}/whip?name=Again" -H "Conclave-Ticket: ${tk[1]}")
check "a ticket is good once -> 403 ($r)" '[ "$r" = 403 ]'
for i in 1 2 3 4 5 6; do listen "g$i" "${gloc[$i]}"; done
rosters_ok=1
for i in 1 2 3 4 5 6; do
    want=$(for k in 1 2 3 4 5 6; do [ "${grp[$k]}" = "${grp[$i]}" ] && echo "S$k"; done | sort | tr '\n' ' ')
    it_until "[ \"\$(last_roster g$i | grep -o '\"name\":\"[^\"]*\"' | sed 's/\"name\":\"\\(.*\\)\"/\\1/' | sort | tr '\n' ' ')\" = \"$want\" ]" 3 ||
        rosters_ok=0
done
check "each group's roster holds exactly its two members" '[ "$rosters_ok" = 1 ]'
check "nobody in a group is its moderator" '! grep -q "\"moderator\":true" "$tmp"/g[1-6].sse'
check "the parent's roster holds the teacher alone" \
    'it_until "[ \"\$(last_roster teacher | grep -o "\"name\"" | wc -l)\" = 1 ]" 3'

# ---- chat stays in its group; a broadcast reaches all ----
other=0
for i in 2 3 4 5 6; do [ "${grp[$i]}" != "${grp[1]}" ] && other=$i; done
mate=0
for i in 2 3 4 5 6; do [ "${grp[$i]}" = "${grp[1]}" ] && mate=$i; done
r=$(cmd "${gloc[1]}" '{"type":"chat","text":"group talk 41"}')
check "S1 chats in its group -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "its group mate S$mate reads it" 'it_wait_for "$tmp/g$mate.sse" "group talk 41"'
check "S$other in another group does not, nor the parent" \
    'sleep 0.3; ! grep -q "group talk 41" "$tmp/g$other.sse" "$tmp/teacher.sse"'
r=$(cmd "$teacher" '{"type":"breakout_broadcast","text":"five minutes left"}')
check "the teacher sends a message to all groups -> 204 ($r)" '[ "${r%% *}" = 204 ]'
n=0
for i in 1 2 3 4 5 6; do
    it_wait_for "$tmp/g$i.sse" '"text":"five minutes left".*"broadcast":true' 3 && n=$((n + 1))
done
check "it reaches every group ($n of 6 streams)" '[ "$n" = 6 ]'

# ---- the teacher visits a group ----
r=$(cmd "$teacher" '{"type":"breakout_visit","group":4}')
check "visiting group 4 of 3 -> 404 ($r)" '[ "${r%% *}" = 404 ]'
r=$(cmd "$teacher" '{"type":"breakout_visit","group":2}')
check "the teacher visits group 2 -> 204 ($r)" '[ "${r%% *}" = 204 ]'
it_wait_for "$tmp/teacher.sse" '"state":"visit"'
m=$(grep -A1 '^event: breakout' "$tmp/teacher.sse" | grep '"state":"visit"' | tail -1)
r=$(join "/rooms/$(field "$m" room)/whip?name=Teacher" -H "Conclave-Ticket: $(field "$m" ticket)")
visit=$(cat "$tmp/loc")
check "with the visit's ticket the teacher joins group 2 -> 201 ($r)" \
    '[ "$r" = 201 ] && [[ "$visit" == /rooms/class-g2-* ]]'
listen visit "$visit"
check "and moderates there" 'grep -q "^data: {\"you\":\"[0-9a-f]*\",\"moderator\":true" "$tmp/visit.sse"'
c -o /dev/null -X DELETE "$base$visit"

# ---- a reconnection during breakouts lands in its group ----
c -o /dev/null -X DELETE "$base${gloc[3]}"
r=$(join "/rooms/class/whip?name=S3")
back=$(cat "$tmp/loc")
listen back "$back"
m=$(last_move back)
check "S3 reconnects to the parent: its stream moves it to group ${grp[3]} at once" \
    '[ "$(field "$m" group)" = "${grp[3]}" ] && [ "$(field "$m" room)" = "${room[3]}" ]'
c -o /dev/null -X DELETE "$base$back"
r=$(join "/rooms/${room[3]}/whip?name=S3" -H "Conclave-Ticket: $(field "$m" ticket)")
gloc[3]=$(cat "$tmp/loc")
check "and rejoins it with that ticket -> 201 ($r)" '[ "$r" = 201 ]'
listen g3b "${gloc[3]}"

# ---- the duration ends: everyone is sent back ----
n=0
for i in 1 2 4 5 6; do
    it_wait_for "$tmp/g$i.sse" '"state":"return"' 14 && n=$((n + 1))
done
it_wait_for "$tmp/g3b.sse" '"state":"return"' 5 && n=$((n + 1))
took=$((SECONDS - t_open))
check "at the end of the 10 s every member is sent back ($n of 6, after about ${took} s)" \
    '[ "$n" = 6 ] && [ "$took" -ge 9 ] && [ "$took" -le 13 ]'
m=$(grep -A1 '^event: breakout' "$tmp/g1.sse" | grep '"state":"return"' | tail -1)
check "the return names the parent and a ticket" \
    '[ "$(field "$m" room)" = class ] && [[ "$(field "$m" ticket)" =~ ^[0-9a-f]{32}$ ]]'
n201=0
for i in 1 2 3 4 5 6; do
    c -o /dev/null -X DELETE "$base${gloc[$i]}"
    r=$(join "/rooms/class/whip?name=S$i")
    [ "$r" = 201 ] && n201=$((n201 + 1))
    loc[$i]=$(cat "$tmp/loc")
done
check "all six are back in the parent -> 201 ($n201 of 6)" '[ "$n201" = 6 ]'
check "the parent's roster holds all seven again" \
    'it_until "[ \"\$(last_roster teacher | grep -o "\"name\"" | wc -l)\" = 7 ]" 3'
r=$(cmd "$teacher" '{"type":"breakout_close"}')
check "the groups are closed already -> 409 ($r)" '[ "${r%% *}" = 409 ]'

# ---- by hand, then closed by the moderator ----
for i in 1 2 3; do listen "p$i" "${loc[$i]}"; done
id1=$(sed -n 's/^data: {"you":"\([0-9a-f]*\)".*/\1/p' "$tmp/p1.sse" | head -1)
id2=$(sed -n 's/^data: {"you":"\([0-9a-f]*\)".*/\1/p' "$tmp/p2.sse" | head -1)
r=$(cmd "$teacher" '{"type":"breakout_open","groups":2,"assign":{"0123456789abcdef":1}}')
check "placing an id not in the room -> 404 ($r)" '[ "${r%% *}" = 404 ]'
r=$(cmd "$teacher" "{\"type\":\"breakout_open\",\"groups\":2,\"assign\":{\"$id1\":3}}")
check "placing in group 3 of 2 -> 400 ($r)" '[ "${r%% *}" = 400 ]'
r=$(cmd "$teacher" "{\"type\":\"breakout_open\",\"groups\":2,\"assign\":{\"$id1\":2,\"$id2\":1}}")
check "the teacher places S1 in group 2 and S2 in group 1 -> 204 ($r)" '[ "${r%% *}" = 204 ]'
it_wait_for "$tmp/p1.sse" '"state":"moved"'
it_wait_for "$tmp/p2.sse" '"state":"moved"'
m1=$(last_move p1)
m2=$(last_move p2)
check "S1 goes to group 2, S2 to group 1" \
    '[ "$(field "$m1" group)" = 2 ] && [ "$(field "$m2" group)" = 1 ] && [ "$(field "$m1" left)" = null ]'
check "S3, placed nowhere, stays" 'sleep 0.3; ! grep -q "\"state\":\"moved\"" "$tmp/p3.sse"'
check "new groups get new names" '[ "$(field "$m2" room)" != "$g1" ]'
r=$(cmd "$teacher" '{"type":"breakout_visit","group":1}')
it_until '[ "$(grep -c "\"state\":\"visit\"" "$tmp/teacher.sse")" = 2 ]'
mv=$(grep -A1 '^event: breakout' "$tmp/teacher.sse" | grep '"state":"visit"' | tail -1)
r=$(join "/rooms/$(field "$m2" room)/whip?name=S2" -H "Conclave-Ticket: $(field "$m2" ticket)")
c -o /dev/null -X DELETE "$base$(cat "$tmp/loc")"
r=$(join "/rooms/$(field "$mv" room)/whip?name=Teacher" -H "Conclave-Ticket: $(field "$mv" ticket)")
check "a group that empties keeps the tickets still on their way -> 201 ($r)" '[ "$r" = 201 ]'
c -o /dev/null -X DELETE "$base$(cat "$tmp/loc")"
c -o /dev/null -X DELETE "$base${loc[1]}"
r=$(join "/rooms/$(field "$m1" room)/whip?name=S1" -H "Conclave-Ticket: $(field "$m1" ticket)")
s1g=$(cat "$tmp/loc")
listen h1 "$s1g"
r=$(cmd "$teacher" '{"type":"breakout_close"}')
check "the teacher closes the groups -> 204 ($r)" '[ "${r%% *}" = 204 ]'
check "S1 is sent back at once" 'it_wait_for "$tmp/h1.sse" "\"state\":\"return\",\"room\":\"class\"" 2'

kill -0 "$it_pid" 2>/dev/null && ok "daemon still running" || bad "daemon died: $(tail -5 "$tmp/err")"
it_stop
it_finish
