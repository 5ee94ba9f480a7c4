#!/usr/bin/env bash
# GET /metrics: a valid Prometheus exposition (checked by promcheck.py) with
# aggregates only. A participant with a distinctive room and name joins (a
# WHIP offer that never connects); the scrape shows 1 room and 1 participant
# and names neither them nor any address nor the session id; after the
# DELETE both gauges are back to 0. Runs in its own network namespace
# (unshare -n, loopback only; needs root). Ends with "metrics: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=metrics
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
command -v python3 >/dev/null || { bad "python3 is installed"; it_finish; }
it_netns "$@"
it_setup conclave-metrics
tmp=$it_tmp

port=8080
it_ini "$port" >"$tmp/conclave.ini"
base=http://127.0.0.1:$port
c() { curl -s --noproxy '*' --max-time 10 "$@"; }
it_daemon "$tmp/conclave.ini" "$base"

scrape() { c -o "$1" -D "$1.h" -w '%{http_code}' "$base/metrics"; }
# value FILE SERIES: the value of that exact series, or empty
value() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }
# wait_value SERIES VALUE: polls /metrics (5 s)
wait_value() {
    local deadline=$((SECONDS + 5))
    while [ $SECONDS -le $deadline ]; do
        scrape "$tmp/poll" >/dev/null
        [ "$(value "$tmp/poll" "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

r=$(scrape "$tmp/m0")
check "GET /metrics -> 200 ($r)" '[ "$r" = 200 ]'
check "Content-Type is the text format 0.0.4" \
    'tr -d "\r" <"$tmp/m0.h" | grep -qi "^Content-Type: text/plain; version=0.0.4"'
out=$(python3 tests/integration/promcheck.py <"$tmp/m0")
check "idle exposition is valid ($out)" '[ "${out%% *}" = ok ]'
check "idle: 0 rooms, 0 participants" \
    '[ "$(value "$tmp/m0" conclave_rooms)" = 0 ] && [ "$(value "$tmp/m0" "conclave_participants{role=\"participant\"}")" = 0 ]'

# the checker itself catches what it must (so a pass means something)
sed 's/^\(conclave_mixer_tick_seconds_bucket{media="video",le="0.001"}\) .*/\1 999/' "$tmp/m0" >"$tmp/bad1"
check "checker refuses non-cumulative buckets" '! python3 tests/integration/promcheck.py <"$tmp/bad1" >/dev/null'
sed '/^# TYPE conclave_rooms /d' "$tmp/m0" >"$tmp/bad2"
check "checker refuses a family without TYPE" '! python3 tests/integration/promcheck.py <"$tmp/bad2" >/dev/null'
printf 'conclave_stray_total 1\n' >>"$tmp/bad3"
cat "$tmp/m0" "$tmp/bad3" >"$tmp/bad4"
check "checker refuses a sample of no declared family" '! python3 tests/integration/promcheck.py <"$tmp/bad4" >/dev/null'
sed 's/^\(conclave_mixer_tick_seconds_count{media="audio"}\) .*/\1 12345/' "$tmp/m0" >"$tmp/bad5"
check "checker refuses _count != +Inf bucket" '! python3 tests/integration/promcheck.py <"$tmp/bad5" >/dev/null'

it_offer >"$tmp/offer.sdp"
room=Zanzibar_Quokka_7781
name=Ottilie_Vandermeer
r=$(c -o "$tmp/answer" -D "$tmp/h" -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
    --data-binary @"$tmp/offer.sdp" "$base/rooms/$room/whip?name=$name")
loc=$(tr -d '\r' <"$tmp/h" | sed -n 's/^Location: //Ip')
sid=${loc##*/}
check "participant joins $room -> 201 ($r)" '[ "$r" = 201 ] && [ -n "$sid" ]'
r=$(c -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/sdp' \
    --data-binary 'not sdp' "$base/rooms/$room/whip")
check "a bad offer -> 400 (counted in 4xx)" '[ "$r" = 400 ]'

scrape "$tmp/m1" >/dev/null
out=$(python3 tests/integration/promcheck.py <"$tmp/m1")
check "exposition with a participant is valid ($out)" '[ "${out%% *}" = ok ]'
check "conclave_rooms is 1" '[ "$(value "$tmp/m1" conclave_rooms)" = 1 ]'
check "conclave_participants{role=participant} is 1" \
    '[ "$(value "$tmp/m1" "conclave_participants{role=\"participant\"}")" = 1 ]'
check "conclave_sessions is 1" '[ "$(value "$tmp/m1" conclave_sessions)" = 1 ]'
check "one receiver, on tier 0" '[ "$(value "$tmp/m1" "conclave_receivers{tier=\"0\"}")" = 1 ] &&
    [ "$(value "$tmp/m1" "conclave_receivers{tier=\"-1\"}")" = 0 ]'
check "the 4xx answer is counted" \
    '[ "$(value "$tmp/m1" "conclave_http_requests_total{class=\"4xx\"}")" -ge 1 ]'
check "2xx answers counted" \
    '[ "$(value "$tmp/m1" "conclave_http_requests_total{class=\"2xx\"}")" -ge 3 ]'
check "drop reasons listed (srtp_auth, malformed_rtp, queue_full, not_wanted)" \
    'for r in srtp_auth malformed_rtp malformed_rtcp unknown_ssrc queue_full not_wanted bad_vp8 demux; do
        [ -n "$(value "$tmp/m1" "conclave_packets_dropped_total{reason=\"$r\"}")" ] || exit 1; done'
# wait_positive SERIES: polls /metrics until the series is above 0 (5 s)
wait_positive() {
    local deadline=$((SECONDS + 5)) v
    while [ $SECONDS -le $deadline ]; do
        scrape "$tmp/poll" >/dev/null
        v=$(value "$tmp/poll" "$1")
        [ -n "$v" ] && [ "${v%%.*}" -gt 0 ] && return 0
        sleep 0.1
    done
    return 1
}
check "video ticks are timed (histogram _count > 0)" \
    'wait_positive "conclave_mixer_tick_seconds_count{media=\"video\"}"'
check "audio ticks are timed (histogram _count > 0)" \
    'wait_positive "conclave_mixer_tick_seconds_count{media=\"audio\"}"'
check "composites are encoded and the time counted" \
    'wait_positive "conclave_encoded_frames_total{media=\"video\"}" &&
     [ "$(value "$tmp/poll" "conclave_encode_seconds_total{media=\"video\"}")" != 0.000000 ]'
check "the room name is nowhere in /metrics" '! grep -qi "zanzibar\|quokka" "$tmp/m1"'
check "the participant name is nowhere" '! grep -qi "ottilie\|vandermeer" "$tmp/m1"'
check "no address" '! grep -q "127\.0\.0\.1\|::1" "$tmp/m1"'
check "no session id" '! grep -q "$sid" "$tmp/m1"'

r=$(c -o /dev/null -w '%{http_code}' -X DELETE "$base$loc")
check "DELETE -> 200" '[ "$r" = 200 ]'
check "conclave_rooms back to 0" 'wait_value conclave_rooms 0'
check "conclave_participants{role=participant} back to 0" \
    'wait_value "conclave_participants{role=\"participant\"}" 0'
out=$(python3 tests/integration/promcheck.py <"$tmp/poll")
check "exposition after the leave is valid ($out)" '[ "${out%% *}" = ok ]'
r=$(c -o /dev/null -w '%{http_code}' -X POST "$base/metrics")
check "POST /metrics -> 405" '[ "$r" = 405 ]'
check "nothing about the room in the daemon's log" '! grep -qi "zanzibar\|ottilie" "$tmp/err"'
kill -0 "$it_pid" 2>/dev/null && ok "daemon still running" || bad "daemon died: $(tail -5 "$tmp/err")"
it_finish
