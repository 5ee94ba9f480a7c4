#!/usr/bin/env bash
# scale-out.sh - two conclave daemons behind nginx with the shipped
# man/examples/nginx-scale-out.conf (conclave(8) SCALING OUT): only its listen
# port and certificate paths are replaced for the test (it fails if they
# cannot be found); the daemons run with the [http] section the example
# gives them, on its backend addresses 10.0.0.11 and 10.0.0.12 (plain HTTP to
# [http] proxy_networks, trust_proxy). Joins of several room names through nginx
# land on both daemons (their /metrics), one room's further participants, its
# event stream and its DELETEs all reach the daemon that holds it, an echo
# check's DELETE reaches its server, static files and /healthz are served,
# the X-Forwarded-For header reaches the daemon (two clients behind nginx are
# counted apart by the joins limit), and a peer outside proxy_networks gets
# no plain HTTP. The same again through HAProxy with
# man/examples/haproxy-scale-out.cfg. Runs inside its own network namespace
# (lo with the example's addresses), nginx as nobody with everything under a
# temp dir.
# Ends with "scale-out: N passed, M failed".
# shellcheck disable=SC2016,SC2034,SC2317 # checks are eval'd strings
set -u
cd "$(dirname "$0")/../.." || exit 1
src=$PWD

it_name=scale-out
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

for tool in unshare nginx openssl setpriv curl; do
    command -v "$tool" >/dev/null || {
        bad "$tool is installed (make deps)"
        it_finish
    }
done
it_netns "$@"

# Fixed addresses and ports: the namespace is ours alone, and they make the
# hash of each room name to a server the same on every run. The backends are
# the example's; clients 10.0.1.x stand for browsers behind the balancer, and
# 10.0.2.9 for a host outside the backend network.
addr_a=10.0.0.11
addr_b=10.0.0.12
port_lb=18443
for a in "$addr_a" "$addr_b" 10.0.1.21 10.0.1.22 10.0.1.31 10.0.1.32 10.0.2.9; do
    ip addr add "$a/32" dev lo
done
it_setup conclave-scale-out
tmp=$it_tmp
chmod 0755 "$tmp"
pids=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

c() { curl -s --noproxy '*' --max-time 10 "$@"; }

# ---- two daemons, each with the [http] section the example gives it ----
conf=man/examples/nginx-scale-out.conf
# the indented block of comment lines from "#   [http]" to the next "#" alone
example_http() { sed -n '/^#   \[http\]$/,/^#$/{/^#$/d;s/^#   //p}' "$1"; }
example_http "$conf" >"$tmp/http.ini"
check "the nginx example gives the daemons' [http] section (listen $addr_a, proxy_networks, trust_proxy)" \
    'grep -qx "listen = $addr_a" "$tmp/http.ini" && grep -qx "trust_proxy = yes" "$tmp/http.ini" &&
     grep -q "^proxy_networks = " "$tmp/http.ini" && grep -qx "port = 8080" "$tmp/http.ini"'
check "the HAProxy example gives the same [http] section" \
    'cmp -s "$tmp/http.ini" <(example_http man/examples/haproxy-scale-out.cfg)'
metrics_token=scale-out-metrics-$RANDOM$RANDOM
start_daemon() { # name address ice-min ice-max
    {
        sed "s/^listen = $addr_a\$/listen = $2/" "$tmp/http.ini"
        cat <<EOF
www = $src/www
joins_per_minute = 3
metrics_token = $metrics_token
[ice]
addresses = 127.0.0.1
port_min = $3
port_max = $4
timeout = 60
check_timeout = 60
[mixer]
threads = 1
width = 320
height = 180
fps = 10
EOF
    } >"$tmp/$1.ini"
    it_ran "$it_bin"
    "$it_bin" -c "$tmp/$1.ini" >"$tmp/$1.log" 2>&1 &
    pids+=($!)
    echo "# started $it_bin (pid $!)"
}
start_daemon a "$addr_a" 40000 40099
start_daemon b "$addr_b" 40100 40199
port_a=$addr_a:8080 # host:port of each daemon
port_b=$addr_b:8080

# ---- nginx in front, with the shipped config ----
ng=$tmp/nginx
mkdir -p "$ng"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=meet.example.org \
    -keyout "$ng/key.pem" -out "$ng/cert.pem" >/dev/null 2>&1
sed -e "s|^\( *listen \)443 ssl;|\1$port_lb ssl;|" \
    -e "s|^\( *listen \)\[::\]:443 ssl;|\1[::]:$port_lb ssl;|" \
    -e "s|^\( *ssl_certificate \).*;|\1$ng/cert.pem;|" \
    -e "s|^\( *ssl_certificate_key \).*;|\1$ng/key.pem;|" "$conf" >"$ng/scale-out.conf"
check "the shipped config has the 4 server lines of the daemons, 2 listen lines and the certificate paths the test replaces" \
    '[ "$(grep -c "server \($port_a\|$port_b\);" "$ng/scale-out.conf")" = 4 ] &&
     [ "$(grep -c "$port_lb ssl;" "$ng/scale-out.conf")" = 2 ] &&
     [ "$(grep -c "$ng/[a-z]*\.pem;" "$ng/scale-out.conf")" = 2 ]'
check "the shipped config hashes rooms with hash \$room consistent" \
    'grep -qx " *hash \$room consistent;" "$ng/scale-out.conf"'
check "the shipped config sends X-Forwarded-For" \
    'grep -qx " *proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;" "$ng/scale-out.conf"'
cat >"$ng/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $ng/nginx.pid;
error_log $ng/error.log warn;
events { worker_connections 256; }
http {
    access_log $ng/access.log;
    client_body_temp_path $ng/body;
    proxy_temp_path $ng/proxy;
    fastcgi_temp_path $ng/fastcgi;
    uwsgi_temp_path $ng/uwsgi;
    scgi_temp_path $ng/scgi;
    include $ng/scale-out.conf;
}
EOF
chown -R 65534:65534 "$ng"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all
    --bounding-set=-all --no-new-privs)
"${nobody[@]}" nginx -t -q -p "$ng" -c "$ng/nginx.conf" -e "$ng/error.log" >"$tmp/nginx-t.out" 2>&1
rc=$?
check "nginx -t accepts the config" '[ "$rc" = 0 ]'
[ "$rc" = 0 ] || sed 's/^/# /' "$tmp/nginx-t.out" "$ng/error.log" | head
"${nobody[@]}" nginx -p "$ng" -c "$ng/nginx.conf" -e "$ng/error.log" >"$tmp/nginx.out" 2>&1 &
pids+=($!)

lb=https://127.0.0.1:$port_lb
lbc() { c -k "$@"; }
up() { # url: true once it answers 200
    for _ in $(seq 200); do
        [ "$(c -k -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
        sleep 0.05
    done
    return 1
}
check "daemon a, daemon b and nginx are up" \
    'up "http://$port_a/healthz" && up "http://$port_b/healthz" && up "$lb/healthz"'

# server host:port, name -> sum over labels; the daemons are not on loopback,
# so /metrics wants their [http] metrics_token
metric() { it_metric "http://$1" "$2" -H "Authorization: Bearer $metrics_token"; }
it_offer >"$tmp/offer.sdp"
join() { # room -> Location of the session, through nginx
    lbc -o /dev/null -D "$tmp/h" -H 'Content-Type: application/sdp' \
        --data-binary @"$tmp/offer.sdp" "$lb/rooms/$1/whip"
    tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip'
}

# The checks through one load balancer at $lb, named $1 in messages; $2 is
# put before each room name, so that each balancer makes new rooms.
lb_checks() {
    local lbname=$1 prefix=$2
    # ---- several rooms: each lands on one server, and both servers get some ----
    local -A where
    local r loc ra rb da db
    room_a=
    room_b=
    all_one=1
    for r in alpha bravo charlie delta echo foxtrot golf hotel; do
        r=$prefix$r
        ra=$(metric "$port_a" conclave_rooms)
        rb=$(metric "$port_b" conclave_rooms)
        loc=$(join "$r")
        da=$(($(metric "$port_a" conclave_rooms) - ra))
        db=$(($(metric "$port_b" conclave_rooms) - rb))
        if [ -n "$loc" ] && [ "$da" = 1 ] && [ "$db" = 0 ]; then
            where[$r]=a
            [ -z "$room_a" ] && room_a=$r
        elif [ -n "$loc" ] && [ "$da" = 0 ] && [ "$db" = 1 ]; then
            where[$r]=b
            [ -z "$room_b" ] && room_b=$r
        else
            all_one=0
            echo "# room $r: Location '$loc', rooms +$da on a, +$db on b"
        fi
    done
    check "each of 8 joins through $lbname made its room on exactly one server" '[ "$all_one" = 1 ]'
    echo "# rooms on a: $(for r in "${!where[@]}"; do [ "${where[$r]}" = a ] && printf '%s ' "$r"; done)"
    check "two rooms are on different servers ($room_a on a, $room_b on b)" \
        '[ -n "$room_a" ] && [ -n "$room_b" ]'

    # ---- one room: its participants, events and DELETEs reach its server ----
    r=${room_a:-${prefix}alpha}
    pa=$(metric "$port_a" conclave_participants)
    pb=$(metric "$port_b" conclave_participants)
    na=$(metric "$port_a" conclave_rooms)
    l1=$(join "$r")
    l2=$(join "$r")
    check "two more participants of $r land on a (participants +2 on a, +0 on b, no new room)" \
        '[ -n "$l1" ] && [ -n "$l2" ] &&
         [ "$(metric "$port_a" conclave_participants)" = $((pa + 2)) ] &&
         [ "$(metric "$port_b" conclave_participants)" = "$pb" ] &&
         [ "$(metric "$port_a" conclave_rooms)" = "$na" ]'
    sid=${l1##*/}
    lbc -N --max-time 3 "$(it_events_url "$lb" "$r" "$sid" -k)" >"$tmp/events" 2>/dev/null
    check "its event stream through $lbname opens (hello, roster with 3 participants)" \
        'grep -q "^event: hello" "$tmp/events" &&
         [ "$(grep "^data: {\"participants\"" "$tmp/events" | head -1 | grep -o "\"role\":" | wc -l)" = 3 ]'
    code_a=$(c -o /dev/null -w "%{http_code}" -X POST -H "Conclave-Session: $sid" "http://$port_a/rooms/$r/events")
    code_b=$(c -o /dev/null -w "%{http_code}" -X POST -H "Conclave-Session: $sid" "http://$port_b/rooms/$r/events")
    check "the session is known on a and not on b (stream tokens asked directly: $code_a / $code_b)" \
        '[ "$code_a" = 200 ] && [ "$code_b" = 404 ]'
    st1=$(lbc -o /dev/null -w '%{http_code}' -X DELETE "$lb$l1")
    st2=$(lbc -o /dev/null -w '%{http_code}' -X DELETE "$lb$l2")
    check "DELETEs of both through $lbname -> 200 ($st1 $st2), participants back on a" \
        '[ "$st1" = 200 ] && [ "$st2" = 200 ] &&
         [ "$(metric "$port_a" conclave_participants)" = "$pa" ] &&
         [ "$(metric "$port_b" conclave_participants)" = "$pb" ]'
    check "the room link /r/$r through $lbname -> 302 to /#/r/$r" \
        '[ "$(lbc -o /dev/null -w "%{http_code} %{redirect_url}" "$lb/r/$r")" = "302 $lb/#/r/$r" ]'

    # ---- anything else: any server, one per client ----
    lbc -o /dev/null -D "$tmp/h" -H 'Content-Type: application/sdp' --data-binary @"$tmp/offer.sdp" "$lb/echo/whip"
    echo_loc=$(tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip')
    st=$(lbc -o /dev/null -w '%{http_code}' -X DELETE "$lb$echo_loc")
    check "an echo check through $lbname, and its DELETE -> 200 ($st): the same server" \
        '[ -n "$echo_loc" ] && [ "$st" = 200 ]'

    lbc -o "$tmp/index.html" "$lb/"
    check "GET / through $lbname is the browser client" 'cmp -s "$tmp/index.html" www/index.html'
    check "GET /healthz through $lbname -> ok" '[ "$(lbc "$lb/healthz")" = ok ]'

    # ---- X-Forwarded-For: clients behind the balancer are counted apart ----
    local one=$3 two=$4 codes k
    local url=https://$one:${lb##*:}/rooms/${prefix}xff/whip
    codes=
    for k in 1 2 3 4; do
        codes="$codes $(lbc --interface "$one" -o /dev/null -w '%{http_code}' \
            -H 'Content-Type: application/sdp' --data-binary @"$tmp/offer.sdp" "$url")"
    done
    check "4 joins from client $one through $lbname with joins_per_minute = 3 ->$codes: the 4th is 429" \
        '[ "$codes" = " 201 201 201 429" ]'
    k=$(lbc --interface "$two" -o /dev/null -w '%{http_code}' \
        -H 'Content-Type: application/sdp' --data-binary @"$tmp/offer.sdp" "$url")
    check "then a join of client $two through $lbname -> 201 ($k): counted on its own" '[ "$k" = 201 ]'
}

lb_checks nginx "" 10.0.1.21 10.0.1.22

check "nginx logged no request line naming a room or a session" \
    '! grep -q "/rooms/\|/r/\|session" "$ng/access.log" 2>/dev/null'

# ---- plain HTTP only to the backend network ----
k=$(c -o /dev/null -w '%{http_code}' --interface 10.0.2.9 "http://$port_a/healthz")
check "a peer outside proxy_networks (10.0.2.9) gets no answer from a daemon ($k)" '[ "$k" = 000 ]'
k=$(c -o /dev/null -w '%{http_code}' "http://$port_a/healthz")
check "a peer in proxy_networks gets one ($k)" '[ "$k" = 200 ]'

all_run() {
    local p
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || return 1; done
}
check "both daemons and nginx still run" all_run

# ---- the same through HAProxy with the shipped haproxy-scale-out.cfg ----
if command -v haproxy >/dev/null; then
    hp=$tmp/haproxy
    port_hp=18444
    mkdir -p "$hp"
    cat "$ng/cert.pem" "$ng/key.pem" >"$hp/site.pem"
    sed -e "s|^\( *bind \):443 ssl crt .*|\1:$port_hp ssl crt $hp/site.pem|" \
        man/examples/haproxy-scale-out.cfg >"$hp/haproxy.cfg"
    check "the shipped HAProxy config has the 4 server lines of the daemons, the bind line the test replaces and option forwardfor" \
        '[ "$(grep -c " \($port_a\|$port_b\)$" "$hp/haproxy.cfg")" = 4 ] &&
         [ "$(grep -c "bind :$port_hp ssl" "$hp/haproxy.cfg")" = 1 ] &&
         grep -qx " *option forwardfor" "$hp/haproxy.cfg"'
    chown -R 65534:65534 "$hp"
    "${nobody[@]}" haproxy -c -f "$hp/haproxy.cfg" >"$tmp/haproxy-c.out" 2>&1
    rc=$?
    check "haproxy -c accepts the config, with no warning" \
        '[ "$rc" = 0 ] && ! grep -qi "warning\|alert" "$tmp/haproxy-c.out"'
    [ "$rc" = 0 ] || sed 's/^/# /' "$tmp/haproxy-c.out" | head
    "${nobody[@]}" haproxy -db -f "$hp/haproxy.cfg" >"$hp/haproxy.log" 2>&1 &
    pids+=($!)
    lb=https://127.0.0.1:$port_hp
    check "haproxy is up" 'up "$lb/healthz"'
    lb_checks haproxy h- 10.0.1.31 10.0.1.32
    check "both daemons, nginx and haproxy still run" all_run
else
    echo "# haproxy is not installed (make deps): its example is not tested"
fi
[ "$failed" = 0 ] || for f in "$tmp/a.log" "$tmp/b.log" "$ng/error.log"; do
    echo "# --- $f"
    tail -5 "$f" | sed 's/^/# /'
done
it_finish
