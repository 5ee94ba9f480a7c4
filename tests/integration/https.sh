#!/usr/bin/env bash
# https.sh - HTTPS built in ([http] cert and key): pages and API answers over
# TLS with the security headers (also on errors and redirects), plain HTTP to
# the TLS port refused, one-line errors for unusable certificate files, and
# plain HTTP kept on loopback when no certificate is configured
# (conclave(8) HTTPS). In its own network namespace; ends with
# "https: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=https
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-https

command -v openssl >/dev/null || {
    bad "the openssl command is installed"
    it_finish
}
it_cert "$it_tmp" || bad "openssl makes a self-signed certificate"
it_cert "$it_tmp" other
port=18443
root=$PWD

write_ini() { # listen cert key
    {
        printf '[http]\nlisten = %s\nport = %s\nwww = %s/www\n' "$1" "$port" "$root"
        [ -n "$2" ] && printf 'cert = %s\nkey = %s\n' "$2" "$3"
        printf '[ice]\naddresses = 127.0.0.1\nport_min = 40000\nport_max = 40099\n'
        printf '[mixer]\nthreads = 1\nwidth = 320\nheight = 180\n'
    } >"$it_tmp/conclave.ini"
}

# ---- serving HTTPS ----
write_ini 127.0.0.1 "$it_tmp/server.crt" "$it_tmp/server.key"
it_start "$it_tmp/conclave.ini"
base=https://localhost:$port
TLS=(--cacert "$it_tmp/server.crt" --resolve "localhost:$port:127.0.0.1")
if ! it_wait_ready "$base/healthz" "${TLS[@]}"; then
    bad "the daemon answers https://localhost:$port/healthz"
    it_finish
fi
ok "GET /healthz over HTTPS with the self-signed certificate -> 200"
check "start-up line says https://" 'grep -q "serving https://127.0.0.1:$port/" "$it_tmp/err"'

# fetch <what> <path> [curl args]: headers in $it_tmp/h.<what>, status in $code
fetch() {
    local what=$1 path=$2
    shift 2
    code=$(curl -s --max-time 10 "${TLS[@]}" -o "$it_tmp/b.$what" -D "$it_tmp/h.$what" \
        -w '%{http_code}' "$@" "$base$path")
    tr -d '\r' <"$it_tmp/h.$what" >"$it_tmp/h.$what.txt"
}
has() { # what header-regex
    grep -qiE "^$2" "$it_tmp/h.$1.txt"
}
headers() { # what label no-store
    local w=$1 l=$2 hdr
    for hdr in "Content-Security-Policy: .*default-src 'self'" \
        "Content-Security-Policy: .*frame-ancestors 'none'" \
        "Content-Security-Policy: .*base-uri 'none'" \
        "Content-Security-Policy: .*form-action 'self'" \
        'Referrer-Policy: no-referrer$' 'X-Frame-Options: DENY$' \
        'X-Content-Type-Options: nosniff$' 'Strict-Transport-Security: max-age=[0-9]{7,}'; do
        if has "$w" "$hdr"; then ok "$l has $hdr"; else bad "$l lacks $hdr"; fi
    done
    if [ "$3" = 1 ]; then
        check "$l has Cache-Control: no-store" 'has "$w" "Cache-Control: no-store$"'
    fi
    # only the server's own origin: no other scheme or host in the policy
    local csp
    csp=$(grep -i '^Content-Security-Policy:' "$it_tmp/h.$w.txt")
    check "$l: the policy names no other origin" \
        '! printf "%s" "$csp" | grep -qiE "https?:|\*|unsafe-inline|unsafe-eval"'
}

fetch page /
check "GET / over HTTPS -> 200 with the client" '[ "$code" = 200 ] && grep -qi "<html" "$it_tmp/b.page"'
headers page "GET /" 0
fetch health /healthz
check "GET /healthz -> 200 ok" '[ "$code" = 200 ] && [ "$(cat "$it_tmp/b.health")" = ok ]'
headers health "GET /healthz" 1
fetch err /rooms/team/whip -X POST -H 'Content-Type: application/sdp' --data-binary 'hello'
check "bad offer over HTTPS -> 400 with one line" \
    '[ "$code" = 400 ] && [ "$(grep -c . "$it_tmp/b.err")" = 1 ]'
headers err "the 400 answer" 1
fetch nf /no-such-page
check "GET /no-such-page -> 404" '[ "$code" = 404 ]'
headers nf "the 404 answer" 1
fetch redir /r/team-1
check "GET /r/team-1 -> 302 to /#/r/team-1" \
    '[ "$code" = 302 ] && has redir "Location: /#/r/team-1$"'
headers redir "the redirect" 1
head -c 70000 /dev/zero | tr '\0' a >"$it_tmp/big"
fetch big /echo/whip -X POST -H 'Content-Type: application/sdp' --data-binary @"$it_tmp/big"
check "a body over max_body -> 413" '[ "$code" = 413 ]'
headers big "the 413 answer" 1

# ---- plain HTTP to the TLS port gets no answer ----
code=$(curl -s --max-time 5 -o "$it_tmp/plain" -w '%{http_code}' "http://127.0.0.1:$port/healthz")
check "plain HTTP to the TLS port gets no HTTP answer (status '$code')" \
    '[ "$code" = 000 ] && ! grep -q ok "$it_tmp/plain" 2>/dev/null'
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "https://localhost:$port/healthz" \
    --resolve "localhost:$port:127.0.0.1")
check "a client that does not trust the certificate is refused (status '$code')" '[ "$code" = 000 ]'
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "${TLS[@]}" --tlsv1.1 --tls-max 1.1 \
    "$base/healthz")
check "TLS 1.1 is refused (status '$code')" '[ "$code" = 000 ]'

it_stop
check "SIGTERM: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'

# ---- unusable certificate files: one line naming the file, exit != 0 ----
bad_start() { # label cert key file-in-message
    write_ini 127.0.0.1 "$2" "$3"
    timeout 20 "$it_bin" -c "$it_tmp/conclave.ini" >"$it_tmp/bad.out" 2>"$it_tmp/bad.err"
    local rc=$? lines file=$4
    lines=$(grep -c . "$it_tmp/bad.err")
    check "$1: exit status != 0 (got $rc)" '[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]'
    check "$1: one line on stderr naming $(basename "$4") ($(head -c 160 "$it_tmp/bad.err"))" \
        '[ "$lines" = 1 ] && grep -qF "$file" "$it_tmp/bad.err"'
}
bad_start "missing key file" "$it_tmp/server.crt" "$it_tmp/missing.key" "$it_tmp/missing.key"
bad_start "missing cert file" "$it_tmp/missing.crt" "$it_tmp/server.key" "$it_tmp/missing.crt"
echo 'not a certificate' >"$it_tmp/junk.pem"
bad_start "a cert file without a certificate" "$it_tmp/junk.pem" "$it_tmp/server.key" \
    "$it_tmp/junk.pem"
bad_start "a key that is not the certificate's" "$it_tmp/server.crt" "$it_tmp/other.key" \
    "$it_tmp/other.key"

# ---- no certificate: plain HTTP on loopback only ----
ip addr add 10.99.0.1/32 dev lo
write_ini 0.0.0.0 "" ""
it_start "$it_tmp/conclave.ini"
if it_wait_ready "http://127.0.0.1:$port/healthz"; then
    ok "listen = 0.0.0.0 without cert: answers on 127.0.0.1"
else
    bad "listen = 0.0.0.0 without cert: answers on 127.0.0.1"
fi
check "one warning line says it listens on 127.0.0.1 only" \
    '[ "$(grep -c "no \[http\] cert: listening on 127.0.0.1 only" "$it_tmp/err")" = 1 ]'
listening=$(ss -ltnH "sport = :$port" | awk '{print $4}')
check "ss: bound to 127.0.0.1:$port only ($listening)" '[ "$listening" = "127.0.0.1:$port" ]'
code=$(curl -s --max-time 3 -o /dev/null -w '%{http_code}' "http://10.99.0.1:$port/healthz")
check "no answer on another address of the machine (status '$code')" '[ "$code" = 000 ]'
it_stop

# with the certificate, 0.0.0.0 stays 0.0.0.0
write_ini 0.0.0.0 "$it_tmp/server.crt" "$it_tmp/server.key"
it_start "$it_tmp/conclave.ini"
if it_wait_ready "https://10.99.0.1:$port/healthz" --cacert "$it_tmp/server.crt"; then
    ok "listen = 0.0.0.0 with cert: answers HTTPS on 10.99.0.1"
else
    bad "listen = 0.0.0.0 with cert: answers HTTPS on 10.99.0.1"
fi
check "no loopback warning with a certificate" '! grep -q "no \[http\] cert" "$it_tmp/err"'
it_stop
it_finish
