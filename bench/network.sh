#!/usr/bin/env bash
# `make bench-network`: one participant on a weak link. For each impairment
# profile of the relay (bench/relay.c: clean, loss5, loss20, burst, cap300,
# cap150, delay150, loss20+delay100, outage3) it runs tests/e2e/weak.sh in bench mode: the daemon, the relay and
# headless Chromium in one network namespace holding only lo, two
# participants, B behind the relay (each direction impaired, seed 1), A
# direct. Over WEAK_RUN_S seconds (default 25; the outage is 3 s at 10 s from
# the relay's first packet) it reads B's getStats and prints one table: audio
# concealment (concealedSamples / totalSamplesReceived), the 95th percentile of
# the audio playout delay (jitter buffer delay per sample, each 100 ms), video frames decoded
# a second and frame size (the tier's; "paused" when the server sends B audio
# only at the end, from its metrics), freezeCount, the longest stall of
# frames decoded (for outage3 the outage plus the time to the first frame
# after it; "recovery" is that minus the 3 s), NACKs B sent and packets
# the server retransmitted (its metrics; A, direct, gets none; their share of
# the video packets B got), the probes' padding packets (both participants'),
# the loss B saw, and A's (direct) concealment as a
# control for the machine's own load.
# Environment: PROFILES (default all), WEAK_RUN_S, CONCLAVE.
set -u
cd "$(dirname "$0")/.." || exit 1
profiles=${PROFILES:-clean loss5 loss20 burst cap300 cap150 delay150 loss20+delay100 outage3}
export WEAK_BENCH=1 WEAK_RUN_S=${WEAK_RUN_S:-25}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
for p in $profiles; do
    echo "== profile $p ($WEAK_RUN_S s)" >&2
    if ! WEAK_PROFILE=$p tests/e2e/weak.sh >"$out.log" 2>&1; then
        fail=1
        tail -n 20 "$out.log" >&2
    fi
    grep '^#bench ' "$out.log" | sed 's/^#bench //' >>"$out"
done
rm -f "$out.log"
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")
    .filter(Boolean).map((l) => JSON.parse(l));
const pct = (x) => (x * 100).toFixed(1) + " %";
const head = ["profile", "concealed", "p95 playout", "fps", "size", "freezes", "longest stall", "recovery",
    "NACKs", "retransmitted", "probe padding", "loss a/v", "direct A concealed"];
const recovery = (r) => r.profile === "outage3" ? Math.max(0, r.longestStallMs - 3000) + " ms" : "-";
const body = rows.map((r) => [r.profile, pct(r.concealed), r.playoutP95Ms + " ms", r.fps.toFixed(1),
    r.paused ? "paused" : r.size,
    String(r.freezes), r.longestStallMs + " ms", recovery(r), String(r.nacks),
    r.rtx + " (" + pct(r.rtx / Math.max(1, r.videoPps * r.seconds)) + ")", String(r.probePadding),
    pct(r.audioLoss) + " / " + pct(r.videoLoss), pct(r.direct.concealed)]);
const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
const line = (cells) => "| " + cells.map((c, i) => c.padEnd(w[i])).join(" | ") + " |";
console.log(line(head));
console.log("|" + w.map((n) => "-".repeat(n + 2)).join("|") + "|");
for (const b of body) console.log(line(b));
' "$out"
exit $fail
