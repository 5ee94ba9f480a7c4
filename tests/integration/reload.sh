#!/usr/bin/env bash
# SIGHUP reloads the -c file: [rooms] max_participants 1 -> 2 lets a second
# participant in, a file with an error is refused whole (file:line logged,
# the daemon keeps running with the old values), keys that need a restart
# are named in one warning each, [http] max_body, [rooms] open/names and
# [log] level take effect. Runs in its own network namespace (unshare -n,
# loopback only; needs root). Ends with "reload: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=reload
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-reload
tmp=$it_tmp
ini=$tmp/conclave.ini
# write_ini MAX_PARTICIPANTS [extra lines for [rooms]] [log level] [threads] [max_body]
write_ini() {
    cat >"$ini.new" <<EOF2
[http]
port = 8080
max_body = ${5:-65536}
[ice]
addresses = 127.0.0.1
timeout = 60
check_timeout = 60
[mixer]
threads = ${4:-1}
width = 320
height = 180
[rooms]
max_participants = $1
${2:-}
[log]
level = ${3:-warn}
EOF2
    mv "$ini.new" "$ini"
}
write_ini 1
base=http://127.0.0.1:8080
c() { curl -s --noproxy '*' --max-time 10 "$@"; }
it_daemon "$ini" "$base"
pid=$it_pid
it_offer >"$tmp/offer.sdp"
join() { # room -> status
    c -o "$tmp/answer" -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
        --data-binary @"$tmp/offer.sdp" "$base/rooms/$1/whip"
}
# hup: sends SIGHUP and waits until the daemon has dealt with it (its
# "reload:" lines at warn or error, or a probe that tells)
hup() { kill -HUP "$pid"; }

r=$(join lab)
check "first participant joins (max_participants 1) -> 201 ($r)" '[ "$r" = 201 ]'
r=$(join lab)
check "second participant refused -> 503 ($r)" '[ "$r" = 503 ]'

write_ini 2
hup
check "after max_participants = 2 and SIGHUP, the second joins -> 201" \
    'it_until "[ \"\$(join lab)\" = 201 ]"'
r=$(join lab)
check "a third is refused -> 503 ($r)" '[ "$r" = 503 ]'
check "nothing logged at warn for a reload of reloadable keys" '! grep -q "reload" "$tmp/err"'

# a broken file: refused whole, even the good lines before the error
write_ini 5 "max_rooms = lots"
hup
check "the error is logged with file:line" \
    'it_until "grep -q \"reload: $ini:14: max_rooms: .lots. is not an integer\" \"$tmp/err\""'
check "and says the settings in force are kept" 'grep -q "settings in force are kept" "$tmp/err"'
kill -0 "$pid" 2>/dev/null && ok "daemon still running after a bad file" || bad "daemon died"
r=$(join lab)
check "old limit still in force (max_participants = 5 before the error was not applied) -> 503 ($r)" \
    '[ "$r" = 503 ]'
check "/healthz still answers" '[ "$(c -o /dev/null -w "%{http_code}" "$base/healthz")" = 200 ]'

head -c 2000 /dev/zero | tr '\0' x >"$tmp/big"
r=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
    --data-binary @"$tmp/big" "$base/rooms/lab/whip")
check "a 2000-byte body under the default max_body -> 400, not 413 ($r)" '[ "$r" = 400 ]'

# a key that needs a restart: one warning, the rest applied
write_ini 2 "" warn 2 1024
hup
check "[mixer] threads: one warning that it needs a restart" \
    'it_until "grep -q \"reload: \[mixer\] threads changed, needs a restart\" \"$tmp/err\""'
check "exactly one such line" '[ "$(grep -c "needs a restart" "$tmp/err")" = 1 ]'
head -c 2000 /dev/zero | tr '\0' x >"$tmp/big"
post_big() {
    c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
        --data-binary @"$tmp/big" "$base/rooms/lab/whip"
}
check "max_body 1024 in force: a 2000-byte body -> 413" 'it_until "[ \"\$(post_big)\" = 413 ]"'

# rooms closed except one: another room is refused, and so are new joins of
# a room that is no longer allowed
write_ini 10 "open = no
names = annex"
hup
check "open = no: a room not in names -> 404" 'it_until "[ \"\$(join lab)\" = 404 ]"'
r=$(join annex)
check "a room in names -> 201 ($r)" '[ "$r" = 201 ]'

# log level: info lines appear only once the reload set level = info
check "no info line yet" '! grep -q "conclave: info:" "$tmp/err"'
write_ini 10 "open = no
names = annex" info
hup
check "level = info: the reload's own info line shows" \
    'it_until "grep -q \"conclave: info: reload: settings of $ini in force (0 changes need a restart)\" \"$tmp/err\""'
check "the changed key is named at info" 'grep -q "conclave: info: reload: \[log\] level changed" "$tmp/err"'
lines=$(grep -c "conclave: info:" "$tmp/err")
write_ini 10 "open = no
names = annex" warn
hup
check "level = warn again: the daemon takes it (annex still joins)" 'it_until "[ \"\$(join annex)\" = 201 ]"'
sleep 0.2
check "and no more info lines" '[ "$(grep -c "conclave: info:" "$tmp/err")" = "$lines" ]'
check "no room name in the log" '! grep -q "lab\|annex" "$tmp/err"'

it_stop
rc=$it_rc
check "SIGTERM after reloads: exit 0 (got $rc)" '[ "$rc" = 0 ]'
it_finish
