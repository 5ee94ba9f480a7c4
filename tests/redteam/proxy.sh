#!/usr/bin/env bash
# proxy.sh - what a reverse proxy's access log would learn. nginx runs the
# README's "Behind a reverse proxy" snippet as shipped, with its access_log
# line turned into a log of every request URI (so that the test sees what a
# logging proxy would write): a participant joins, opens its event stream,
# sends commands and a screen share, and leaves; its session id must appear
# in no logged URI but the DELETE of its WHIP resource. The old forms with
# the id in the URL (events?session=, sessions/{id}/command,
# whip?role=screen&session=) are refused; a stream token opens one stream,
# in its room, within 10 s; the snippet as shipped logs nothing.
# Ends with "proxy: N passed, M failed".
# shellcheck disable=SC2016,SC2034 # checks are eval'd strings
set -u
cd "$(dirname "$0")/../.." || exit 1

it_name=proxy
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
for tool in unshare curl nginx openssl setpriv; do
    command -v "$tool" >/dev/null || {
        bad "$tool is installed (make deps)"
        it_finish
    }
done
it_netns "$@"
it_setup conclave-rt-proxy
tmp=$it_tmp
chmod 0755 "$tmp"
port=18191
lbport=18444
base=http://127.0.0.1:$port
c() { curl -s --noproxy '*' --max-time 10 "$@"; }

{ it_ini "$port" 60; printf '[http]\ntrust_proxy = yes\n'; } >"$tmp/conclave.ini"
it_daemon "$tmp/conclave.ini" "$base"

# ---- nginx with the README's snippet ----
ng=$tmp/nginx
mkdir -p "$ng"
awk '/^- \*\*Behind a reverse proxy\*\*/ { on = 1 } on && /^```nginx$/ { grab = 1; next }
     grab && /^```$/ { exit } grab { print }' README.md >"$ng/snippet"
check "the README's proxy snippet is found and keeps no access log" \
    'grep -q "proxy_pass http://127.0.0.1:8080;" "$ng/snippet" && grep -qx " *access_log off; .*" "$ng/snippet"'
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -keyout "$ng/key.pem" -out "$ng/cert.pem" >/dev/null 2>&1
{
    echo "server {"
    echo "    listen 127.0.0.1:$lbport ssl;"
    echo "    ssl_certificate $ng/cert.pem;"
    echo "    ssl_certificate_key $ng/key.pem;"
    sed -e "s|127.0.0.1:8080|127.0.0.1:$port|" \
        -e "s|^\( *\)access_log off;.*|\1access_log $ng/uris.log uris;|" "$ng/snippet"
    echo "}"
} >"$ng/site.conf"
cat >"$ng/nginx.conf" <<NGX
daemon off;
worker_processes 1;
pid $ng/nginx.pid;
error_log $ng/error.log warn;
events { worker_connections 64; }
http {
    log_format uris '\$request_method \$request_uri';
    access_log off;
    client_body_temp_path $ng/body;
    proxy_temp_path $ng/proxy;
    fastcgi_temp_path $ng/fastcgi;
    uwsgi_temp_path $ng/uwsgi;
    scgi_temp_path $ng/scgi;
    include $ng/site.conf;
}
NGX
chown -R 65534:65534 "$ng"
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
    --no-new-privs nginx -p "$ng" -c "$ng/nginx.conf" -e "$ng/error.log" >"$tmp/nginx.out" 2>&1 &
it_bg+=($!)
lb=https://127.0.0.1:$lbport
lbc() { c -k "$@"; }
check "nginx runs the snippet" 'it_until "[ \"\$(lbc -o /dev/null -w %{http_code} $lb/healthz)\" = 200 ]" 10'

# ---- a participant's whole life through the proxy ----
it_offer >"$tmp/offer.sdp"
join() { # path [owner] -> Location
    lbc -o /dev/null -D "$tmp/h" -H 'Content-Type: application/sdp' ${2:+-H "Conclave-Session: $2"} \
        --data-binary @"$tmp/offer.sdp" "$lb$1"
    tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip'
}
ann=$(join "/rooms/logged/whip?name=Ann")
sid=${ann##*/}
check "Ann joins through the proxy" '[ -n "$sid" ]'
url=$(it_events_url "$lb" logged "$sid" -k)
lbc -N --max-time 3 "$url" >"$tmp/sse" 2>/dev/null
check "her event stream opens with a token" 'grep -q "^event: hello" "$tmp/sse"'
r=$(lbc -o /dev/null -w '%{http_code}' -H "Conclave-Session: $sid" -H 'Content-Type: application/json' \
    --data '{"type":"hand","raised":true}' "$lb/rooms/logged/command")
check "her command through the proxy -> 204 ($r)" '[ "$r" = 204 ]'
scr=$(join "/rooms/logged/whip?role=screen" "$sid")
check "her screen share through the proxy" '[ -n "$scr" ]'
r=$(lbc -o /dev/null -w '%{http_code}' -X DELETE "$lb$ann")
check "she leaves -> 200 ($r)" '[ "$r" = 200 ]'
sleep 0.3
echo "# logged: $(tr '\n' ';' <"$ng/uris.log")"
check "the proxy logged her requests (the log works)" '[ "$(wc -l <"$ng/uris.log")" -ge 6 ]'
check "her session id is in no logged URI but the DELETE of her WHIP resource" \
    '[ "$(grep -c "$sid" "$ng/uris.log")" = 1 ] && grep -q "^DELETE /rooms/logged/sessions/$sid$" "$ng/uris.log"'

# ---- the old forms with the session id in the URL ----
bob=$(join "/rooms/logged/whip?name=Bob")
bid=${bob##*/}
r=$(c -o /dev/null -w '%{http_code}' --max-time 2 "$base/rooms/logged/events?session=$bid")
check "events?session= -> 404 ($r)" '[ "$r" = 404 ]'
r=$(c -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data '{"type":"hand","raised":true}' "$base/rooms/logged/sessions/$bid/command")
check "sessions/{id}/command -> 404 ($r)" '[ "$r" = 404 ]'
r=$(c -o /dev/null -w '%{http_code}' -H 'Content-Type: application/sdp' \
    --data-binary @"$tmp/offer.sdp" "$base/rooms/logged/whip?role=screen&session=$bid")
check "whip?role=screen&session= -> 400 ($r)" '[ "$r" = 400 ]'

# ---- stream tokens: once, in their room, within 10 s ----
url=$(it_events_url "$base" logged "$bid")
r1=$(c -o /dev/null -w '%{http_code}' --max-time 1 "$url")
r2=$(c -o /dev/null -w '%{http_code}' --max-time 1 "$url")
check "a token opens one stream ($r1), not a second ($r2)" '[ "$r1" = 200 ] && [ "$r2" = 404 ]'
url=$(it_events_url "$base" logged "$bid")
r=$(c -o /dev/null -w '%{http_code}' --max-time 1 "${url/\/logged\//\/elsewhere\/}")
check "a token in another room's URL -> 404 ($r)" '[ "$r" = 404 ]'
url=$(it_events_url "$base" logged "$bid")
sleep 10.5
r=$(c -o /dev/null -w '%{http_code}' --max-time 1 "$url")
check "a token 10.5 s old -> 404 ($r)" '[ "$r" = 404 ]'
[ "$failed" = 0 ] || sed 's/^/# nginx: /' "$tmp/nginx.out" "$ng/error.log" "$ng/site.conf" 2>/dev/null | head -40
it_stop
it_finish
