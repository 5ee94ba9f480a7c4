#!/usr/bin/env bash
# TURN credentials ([turn], TURN REST scheme) in a network namespace of its
# own: GET /rooms/{room}/ice-servers answers only to whom may join (401
# without the room's password, 403 with a wrong one or once the room is
# locked, 404 for a room that may not be opened) and never without [turn];
# the credential is "<expiry>:<random>" with expiry = now + ttl and the
# password is base64(HMAC-SHA1(secret, username)) as openssl computes it; a
# WHIP 201 carries the same as RFC 9725 Link headers, exposed to scripts.
# A coturn started here (use-auth-secret, the same secret from secret_file)
# grants an allocation with the daemon's credential, and refuses one whose
# expiry has passed, one signed with another secret and one whose username
# was changed. Ends with "turn: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=turn
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
for t in turnserver turnutils_uclient openssl python3; do
    command -v $t >/dev/null || { bad "$t is installed (make deps: coturn, openssl)"; it_finish; }
done
it_netns "$@"
it_setup conclave-turn
tmp=$it_tmp
turn_ip=127.0.0.3
secret=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$secret" >"$tmp/secret"
ttl=600
{
    it_ini 8080 60 44000 44099
    cat <<EOF2
[rooms]
open = no
names = open1,secret,lockme
[turn]
urls = turn:$turn_ip:3478?transport=udp, turn:$turn_ip:3478?transport=tcp
secret_file = $tmp/secret
ttl = $ttl
[room secret]
password = open sesame
[log]
level = info
EOF2
} >"$tmp/conclave.ini"
base=http://127.0.0.1:8080
c() { curl -s --noproxy '*' --max-time 10 "$@"; }
it_daemon "$tmp/conclave.ini" "$base"

# ice ROOM [curl args...] -> status; body in $tmp/b, headers in $tmp/h
ice() {
    local room=$1
    shift
    c -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' "$@" "$base/rooms/$room/ice-servers"
}
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$tmp/b" "$1"; }
hmac() { printf '%s' "$1" | openssl dgst -sha1 -hmac "$2" -binary | base64; }

now=$(date +%s)
st=$(ice open1)
check "GET ice-servers of an open room -> 200 ($st)" '[ "$st" = 200 ]'
check "answered as JSON, not stored" \
    'grep -qi "^content-type: application/json" "$tmp/h" && grep -qi "^cache-control: no-store" "$tmp/h"'
urls=$(json 'd["iceServers"][0]["urls"]')
user=$(json 'd["iceServers"][0]["username"]')
cred=$(json 'd["iceServers"][0]["credential"]')
check "both [turn] urls are listed ($urls)" \
    '[ "$urls" = "['"'"'turn:$turn_ip:3478?transport=udp'"'"', '"'"'turn:$turn_ip:3478?transport=tcp'"'"']" ]'
expiry=${user%%:*}
check "username is <expiry>:<16 hex> ($user)" '[[ $user =~ ^[0-9]+:[0-9a-f]{16}$ ]]'
check "expiry = now + ttl ($expiry vs $now + $ttl)" \
    '[ "$expiry" -ge $((now + ttl)) ] && [ "$expiry" -le $((now + ttl + 5)) ]'
check "expires field is the same ($(json 'd["expires"]'))" '[ "$(json "d[\"expires\"]")" = "$expiry" ]'
check "credential = base64(HMAC-SHA1(secret, username)) per openssl" '[ "$cred" = "$(hmac "$user" "$secret")" ]'
ice open1 >/dev/null
check "each request gets a fresh username" '[ "$(json "d[\"iceServers\"][0][\"username\"]")" != "$user" ]'

st=$(ice secret)
check "room with a password, none given -> 401 with a Bearer challenge ($st)" \
    '[ "$st" = 401 ] && grep -qi "^www-authenticate: Bearer" "$tmp/h" && ! grep -q iceServers "$tmp/b"'
st=$(ice secret -H 'Authorization: Bearer wrong one')
check "wrong password -> 403, no credential ($st)" '[ "$st" = 403 ] && ! grep -q iceServers "$tmp/b"'
st=$(ice secret -H 'Authorization: Bearer open sesame')
check "right password -> 200 with the servers ($st)" '[ "$st" = 200 ] && grep -q "\"username\"" "$tmp/b"'
st=$(ice nosuchroom)
check "a room that may not be opened -> 404 ($st)" '[ "$st" = 404 ] && ! grep -q iceServers "$tmp/b"'
st=$(ice open1 -X POST -d x)
check "POST -> 405 ($st)" '[ "$st" = 405 ]'
st=$(ice 'bad%20name')
check "bad room name -> 400 ($st)" '[ "$st" = 400 ]'

# a WHIP join: Link headers (RFC 9725 §4.6) and the lock
it_offer >"$tmp/offer.sdp"
st=$(c -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
    --data-binary @"$tmp/offer.sdp" "$base/rooms/lockme/whip")
check "join -> 201 ($st)" '[ "$st" = 201 ]'
link=$(tr -d '\r' <"$tmp/h" | sed -n 's/^link: //Ip')
check "the 201 has a Link header per TURN server with rel=ice-server" \
    '[ "$(printf "%s" "$link" | grep -o "rel=\"ice-server\"" | wc -l)" = 2 ] &&
     [[ $link == "<turn:$turn_ip:3478?transport=udp>; rel=\"ice-server\"; username=\""* ]]'
luser=$(printf '%s' "$link" | sed -n 's/.*username="\([^"]*\)".*/\1/p')
lcred=$(printf '%s' "$link" | sed -n 's/.*credential="\([^"]*\)".*/\1/p')
check "its credential is the HMAC of its username ($luser)" \
    '[ -n "$luser" ] && [ "$lcred" = "$(hmac "$luser" "$secret")" ] && [[ $link == *"credential-type=\"password\""* ]]'
check "Link is exposed to browser scripts" \
    'tr -d "\r" <"$tmp/h" | grep -qiE "^access-control-expose-headers: (.*, )?Link(, .*)?$"'
loc=$(tr -d '\r' <"$tmp/h" | sed -n 's/^location: //Ip')
r=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "Conclave-Session: ${loc##*/}" --data '{"type":"lock","locked":true}' \
    "$base${loc%/sessions/*}/command")
check "the room's creator locks it -> 204 ($r)" '[ "$r" = 204 ]'
st=$(ice lockme)
check "locked room -> 403, no credential ($st)" '[ "$st" = 403 ] && ! grep -q iceServers "$tmp/b"'
c -o /dev/null -X DELETE "$base$loc"
st=$(c -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
    --data-binary @"$tmp/offer.sdp" "$base/echo/whip")
check "the echo check (no room) -> 201 without credentials ($st)" \
    '[ "$st" = 201 ] && ! grep -qi "^link:" "$tmp/h"'
loc=$(tr -d '\r' <"$tmp/h" | sed -n 's/^location: //Ip')
c -o /dev/null -X DELETE "$base$loc"

# coturn checks the credentials on its own
turnserver --listening-ip=$turn_ip --listening-port=3478 --relay-ip=127.0.0.4 \
    --min-port=49300 --max-port=49340 --use-auth-secret --static-auth-secret="$secret" \
    --realm=conclave.test --no-tls --no-dtls --no-cli --no-multicast-peers \
    --allow-loopback-peers --fingerprint --pidfile="$tmp/turn.pid" --log-file=stdout --simple-log \
    >"$tmp/turn.log" 2>&1 &
it_bg+=($!)
it_until "(exec 3<>/dev/tcp/$turn_ip/3478) 2>/dev/null" 10 || bad "coturn listens on $turn_ip:3478"
# allocate USER PASSWORD: 0 when coturn grants a TCP allocation and relays
allocate() {
    timeout 20 turnutils_uclient -t -y -n 1 -m 1 -l 100 -u "$1" -w "$2" $turn_ip >"$tmp/uc" 2>&1
    ! grep -q "Cannot complete Allocation" "$tmp/uc" && grep -q "Total lost packets 0" "$tmp/uc"
}
ice open1 >/dev/null
user=$(json 'd["iceServers"][0]["username"]')
cred=$(json 'd["iceServers"][0]["credential"]')
check "coturn grants an allocation with the daemon's credential" 'allocate "$user" "$cred"'
old="$(($(date +%s) - 5)):0123456789abcdef"
check "coturn refuses a credential whose expiry has passed" '! allocate "$old" "$(hmac "$old" "$secret")"'
check "coturn refuses one signed with another secret" '! allocate "$user" "$(hmac "$user" "not-$secret")"'
check "coturn refuses a username changed after signing" '! allocate "$((expiry + 3600)):${user#*:}" "$cred"'
it_stop
check "daemon exits cleanly (status $it_rc)" '[ "$it_rc" -eq 0 ]'
it_finish
