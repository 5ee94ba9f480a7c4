#!/usr/bin/env bash
# Red team: HTTPS and /metrics. TLS 1.2 is offered with ECDHE and AEAD
# suites only (a CBC or SHA-1 suite is refused, TLS 1.1 too), TLS 1.3 is
# accepted. GET /metrics answers this machine (a loopback peer that forwards
# no one: no X-Forwarded-For) and whoever presents [http] metrics_token as a
# Bearer token; anyone else gets 401 (a token is set) or 403 (none is).
# In its own network namespace (10.99.0.1 on lo stands for an outside
# address); ends with "tls-metrics: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=tls-metrics
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-tls-metrics
tmp=$it_tmp
command -v openssl >/dev/null || {
    bad "the openssl command is installed"
    it_finish
}
ip addr add 10.99.0.1/32 dev lo || bad "10.99.0.1 added to lo"
it_cert "$tmp" || bad "openssl makes a self-signed certificate"
port=$((18000 + RANDOM % 400))
token=metrics-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
write_ini() { # metrics_token
    {
        printf '[http]\nlisten = 0.0.0.0\nport = %s\nwww = %s/www\n' "$port" "$PWD"
        printf 'cert = %s\nkey = %s\n' "$tmp/server.crt" "$tmp/server.key"
        [ -n "$1" ] && printf 'metrics_token = %s\n' "$1"
        printf '[ice]\naddresses = 127.0.0.1\nport_min = 40000\nport_max = 40099\n'
        printf '[mixer]\nthreads = 1\nwidth = 320\nheight = 180\n'
    } >"$tmp/conclave.ini"
}
write_ini "$token"
it_start "$tmp/conclave.ini"
TLS=(--cacert "$tmp/server.crt")
it_wait_ready "https://127.0.0.1:$port/healthz" "${TLS[@]}" ||
    bad "the daemon answers https://127.0.0.1:$port/healthz: $(tail -3 "$tmp/err")"

# ---- TLS versions and suites ----
# hello <openssl s_client args>: the cipher agreed, or "(NONE)"
hello() {
    echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost "$@" 2>&1 |
        sed -n 's/.*Cipher is \(.*\)$/\1/p' | head -1
}
for s in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA ECDHE-ECDSA-AES128-SHA256 \
    ECDHE-ECDSA-AES256-SHA384; do
    got=$(hello -tls1_2 -cipher "$s")
    check "TLS 1.2 with the CBC suite $s is refused (${got:-no answer})" \
        '[ -z "$got" ] || [ "$got" = "(NONE)" ]'
done
for s in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305; do
    got=$(hello -tls1_2 -cipher "$s")
    check "TLS 1.2 with $s is accepted ($got)" '[ "$got" = "$s" ]'
done
got=$(hello -tls1_2)
check "TLS 1.2 with the client's defaults agrees on an AEAD suite ($got)" \
    '[[ "$got" == *GCM* || "$got" == *CHACHA20* ]]'
got=$(hello -tls1_3)
check "TLS 1.3 is accepted ($got)" '[[ "$got" == TLS_* ]]'
got=$(hello -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')
check "TLS 1.1 is refused (${got:-no answer})" '[ -z "$got" ] || [ "$got" = "(NONE)" ]'

# ---- /metrics ----
m() { # url [curl args] -> status, body in $tmp/m, headers in $tmp/mh
    local url=$1
    shift
    curl -s --noproxy '*' --max-time 10 "${TLS[@]}" -o "$tmp/m" -D "$tmp/mh" -w '%{http_code}' \
        "$@" "$url"
}
local_url=https://127.0.0.1:$port/metrics
remote_url=https://10.99.0.1:$port/metrics
st=$(m "$local_url")
check "from loopback: 200 with the metrics ($st)" '[ "$st" = 200 ] && grep -q "^conclave_" "$tmp/m"'
st=$(m "$local_url" -H 'X-Forwarded-For: 198.51.100.7')
check "from loopback forwarding a client (X-Forwarded-For): 401 ($st)" '[ "$st" = 401 ]'
st=$(m "$local_url" -H 'Forwarded: for=198.51.100.7')
check "from loopback with Forwarded: 401 ($st)" '[ "$st" = 401 ]'
st=$(m "$remote_url" --interface 10.99.0.1)
check "from another address without a token: 401 ($st)" \
    '[ "$st" = 401 ] && ! grep -q "^conclave_" "$tmp/m"'
check "with WWW-Authenticate: Bearer" 'tr -d "\r" <"$tmp/mh" | grep -qi "^WWW-Authenticate: Bearer"'
st=$(m "$remote_url" --interface 10.99.0.1 -H "Authorization: Bearer ${token}x")
check "with a wrong token: 401 ($st)" '[ "$st" = 401 ]'
st=$(m "$remote_url" --interface 10.99.0.1 -H "Authorization: Bearer ${token:0:20}")
check "with a prefix of the token: 401 ($st)" '[ "$st" = 401 ]'
st=$(m "$remote_url" --interface 10.99.0.1 -H "Authorization: Basic $token")
check "with another scheme: 401 ($st)" '[ "$st" = 401 ]'
st=$(m "$remote_url" --interface 10.99.0.1 -H "Authorization: Bearer $token")
check "with the token: 200 with the metrics ($st)" '[ "$st" = 200 ] && grep -q "^conclave_" "$tmp/m"'
st=$(m "https://10.99.0.1:$port/healthz" --interface 10.99.0.1)
check "other routes are not affected (/healthz from another address: $st)" '[ "$st" = 200 ]'

# without a token (a reload takes it away): 403 to anyone but this machine
write_ini ""
kill -HUP "$it_pid"
it_until '[ "$(m "$remote_url" --interface 10.99.0.1 -H "Authorization: Bearer $token")" = 403 ]' 10
st=$(m "$remote_url" --interface 10.99.0.1 -H "Authorization: Bearer $token")
check "after a reload without metrics_token, another address gets 403 ($st)" \
    '[ "$st" = 403 ] && grep -q "this machine only" "$tmp/m"'
st=$(m "$local_url")
check "and this machine still 200 ($st)" '[ "$st" = 200 ]'

kill -0 "$it_pid" 2>/dev/null && ok "daemon still running" || bad "daemon died: $(tail -5 "$tmp/err")"
it_stop
check "SIGTERM: exit 0 (got $it_rc)" '[ "$it_rc" = 0 ]'
it_finish
