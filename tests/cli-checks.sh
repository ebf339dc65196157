#!/usr/bin/env bash
# tests/cli-checks.sh FLEETSIM - end-to-end checks of the command line:
# exit statuses, whole outputs, traces and their fingerprint, diff, report,
# signals, the out folder's lock, checks made before the first event.
# Prints one line per check and ends with "N passed, N failed".
set -u
bin=${1:?usage: cli-checks.sh FLEETSIM}
. "$(dirname "$0")/check-lib.sh" # $tmp, pass/fail, check()
scn=tests/scenarios/basic-attest.yaml

"$bin" run "$scn" --quiet --trace --out "$tmp/a"; rc_a=$?
"$bin" run "$scn" --quiet --trace --out "$tmp/b"; rc_b=$?
"$bin" run "$scn" --quiet --trace --out "$tmp/c" --seed 99 >/dev/null; rc_c=$?
check "run exits 0 when expectations hold" test "$rc_a" = 0 -a "$rc_b" = 0
check "outputs are whole" test -s "$tmp/a/summary.json" -a -s "$tmp/a/fleet.db" -a -s "$tmp/a/report.html" -a -s "$tmp/a/trace.zst"
check "no temporary files left" test -z "$(ls -A "$tmp/a" | grep tmp)"
check "same seed, same database" cmp -s "$tmp/a/fleet.db" "$tmp/b/fleet.db"
check "same seed, same report" cmp -s "$tmp/a/report.html" "$tmp/b/report.html"
check "same seed, same trace" cmp -s "$tmp/a/trace.zst" "$tmp/b/trace.zst"
"$bin" diff "$tmp/a/trace.zst" "$tmp/b/trace.zst" >/dev/null; rc=$?
check "diff of equal traces exits 0" test "$rc" = 0
"$bin" diff "$tmp/a/trace.zst" "$tmp/c/trace.zst" >/dev/null; rc=$?
check "diff of different seeds exits 1" test "$rc" = 1
"$bin" diff "$tmp/a/trace.zst" "$scn" >/dev/null 2>&1; rc=$?
check "diff of a non-trace exits 2" test "$rc" = 2
"$bin" report "$tmp/a/fleet.db" -o "$tmp/a-again.html"; rc=$?
check "report from fleet.db exits 0" test "$rc" = 0
check "report from fleet.db is the run's report" cmp -s "$tmp/a/report.html" "$tmp/a-again.html"
cp "$tmp/b/report.html" "$tmp/b-run.html"; rm "$tmp/b/report.html"
"$bin" report "$tmp/b/fleet.db"; rc=$?
check "report writes report.html beside the database" cmp -s "$tmp/b-run.html" "$tmp/b/report.html"
check "report leaves no temporary file" test -z "$(ls -A "$tmp/b" | grep tmp)"
"$bin" report "$tmp/nothing.db" 2>"$tmp/report.err"; rc=$?
check "report of a missing file exits 2" test "$rc" = 2
check "report names the missing file" grep -q "$tmp/nothing.db" "$tmp/report.err"
"$bin" report "$scn" -o "$tmp/x.html" 2>"$tmp/report.err"; rc=$?
check "report of a non-database exits 2" test "$rc" = 2 -a ! -e "$tmp/x.html"
check "report names the non-database" grep -q "$scn: error: not a fleet database" "$tmp/report.err"
"$bin" report 2>/dev/null; rc=$?
check "report without a file exits 2" test "$rc" = 2
"$bin" run "$scn" --quiet --out "$tmp/a" >/dev/null; rc=$?
check "a run without --trace into a folder leaves no earlier trace" test "$rc" = 0 -a ! -e "$tmp/a/trace.zst"
mkdir -p "$tmp/j"
cp "$scn" "$tmp/j/a-pass.yaml"
sed 's/^  - \(.*\) >= \(.*\)$/  - \1 < 0/' "$scn" >"$tmp/j/b-fail.yaml"
printf 'scenario: broken\n' >"$tmp/j/c-broken.yaml"
"$bin" test --junit "$tmp/junit.xml" "$tmp/j" >/dev/null 2>&1; rc=$?
check "test --junit exits as test does (2: one did not load)" test "$rc" = 2
check "junit counts cases, failures, errors" grep -q 'tests="3" failures="1" errors="1"' "$tmp/junit.xml"
check "junit has one testcase per scenario" test "$(grep -c '<testcase ' "$tmp/junit.xml")" = 3
check "junit names the failed expectation with its line" grep -q "b-fail.yaml:[0-9]*: expected .* &lt; 0, seen" "$tmp/junit.xml"
check "junit marks the broken scenario as an error" grep -q '<error message=' "$tmp/junit.xml"
check "junit leaves no temporary file" test -z "$(ls -A "$tmp" | grep 'junit.*tmp')"
"$bin" test --junit "$tmp/nodir/junit.xml" "$tmp/j/a-pass.yaml" >/dev/null 2>"$tmp/junit.err"; rc=$?
check "junit into a missing folder exits 2 naming it" test "$rc" = 2 && grep -q "$tmp/nodir/junit.xml" "$tmp/junit.err"
"$bin" test --junit 2>/dev/null; rc=$?
check "test --junit without FILE exits 2" test "$rc" = 2
fa=$(grep -o '"fingerprint": "[0-9a-f]*"' "$tmp/a/summary.json")
fc=$(grep -o '"fingerprint": "[0-9a-f]*"' "$tmp/c/summary.json")
check "another seed, another fingerprint" test "$fa" != "$fc"

"$bin" validate tests/bad/missing-unit.yaml 2>/dev/null; rc=$?
check "validate exits 2 on bad input" test "$rc" = 2
"$bin" run tests/bad/missing-unit.yaml --out "$tmp/bad" 2>/dev/null; rc=$?
check "run exits 2 on bad input" test "$rc" = 2
check "bad input writes nothing" test ! -e "$tmp/bad"
"$bin" run 2>/dev/null; rc=$?
check "missing argument exits 2" test "$rc" = 2
"$bin" frobnicate 2>/dev/null; rc=$?
check "unknown command exits 2" test "$rc" = 2
for c in run test validate bench diff report replay merge; do
    "$bin" $c --help >/dev/null; rc=$?
    check "$c --help exits 0" test "$rc" = 0
done
for c in run test validate bench diff report replay merge; do
    "$bin" help $c >"$tmp/help-$c.out"; rc=$?
    "$bin" $c --help >"$tmp/help2-$c.out"
    check "help $c prints $c --help" test "$rc" = 0 && cmp -s "$tmp/help-$c.out" "$tmp/help2-$c.out"
done
check "no help text prints a doubled %" test -z "$(cat "$tmp"/help-*.out | grep -F '%%')"
"$bin" bench rollout --devices 50 >"$tmp/bench.out"
check "bench rollout prints time to 99% as a duration" grep -q "time to 99%  *[0-9.]*[smhd]\+ simulated" "$tmp/bench.out"
check "--version names the scenario format 1.1" sh -c "'$bin' --version | grep -q 'scenario format 1.1'"
"$bin" run "$scn" --out "$tmp/named" >"$tmp/named.out"
check "run names the report it wrote" grep -q "$tmp/named/report.html" "$tmp/named.out"
# A pinned digest records its seed: another --seed is not checked against it,
# a pin for that seed is.
cp "$scn" "$tmp/pin.yaml"
"$bin" test --write-digests "$tmp/pin.yaml" >/dev/null
"$bin" test --seed 5 "$tmp/pin.yaml" >"$tmp/pin.out"; rc=$?
check "test --seed N passes a scenario pinned for its own seed only" test "$rc" = 0
check "and says the fingerprint was not checked" grep -q "pins no fingerprint for seed 5" "$tmp/pin.out"
"$bin" test --seed 5 --write-digests "$tmp/pin.yaml" >/dev/null
check "a digest file pins one fingerprint per seed" test "$(grep -c '^seed=[0-9]* [0-9a-f]\{64\}$' "$tmp/pin.digest")" = 2
sed -i "s/^seed=5 .*/seed=5 $(printf '0%.0s' $(seq 64))/" "$tmp/pin.digest"
"$bin" test --seed 5 "$tmp/pin.yaml" >/dev/null; rc=$?
check "a wrong pin for the seed used fails" test "$rc" = 1
"$bin" test "$tmp/pin.yaml" >/dev/null; rc=$?
check "the scenario's own seed still passes" test "$rc" = 0
"$bin" --version >/dev/null; rc=$?
check "--version exits 0" test "$rc" = 0

# Expectations that fail give 1.
sed 's/devices == [0-9]*/devices == 1/' "$scn" > "$tmp/failing.yaml"
"$bin" test "$tmp/failing.yaml" > "$tmp/failing.out"; rc=$?
check "test exits 1 when an expectation fails" test "$rc" = 1
check "test ends with the count line" grep -qx '0 passed, 1 failed' "$tmp/failing.out"

# SIGINT, SIGTERM and SIGHUP stop at an event boundary, write the outputs
# marked incomplete and exit 128+N; at several points of the run.
dw=scenarios/dw100-fleet.yaml
for spec in INT:130:2 TERM:143:2 HUP:129:2 TERM:143:0.3 INT:130:4; do
    IFS=: read -r sig code at <<<"$spec"
    d="$tmp/sig-$sig-$at"
    "$bin" run "$dw" --quiet --trace --out "$d" 2>"$d.err" & pid=$!
    sleep "$at"; kill -"$sig" "$pid"; wait "$pid"; rc=$?
    check "SIG$sig after ${at}s exits $code" test "$rc" = "$code"
    check "SIG$sig after ${at}s writes the outputs marked incomplete" \
        grep -q '"completed": false' "$d/summary.json"
    check "SIG$sig after ${at}s writes every output" test -s "$d/fleet.db" -a -s "$d/report.html" -a -s "$d/trace.zst"
    check "SIG$sig after ${at}s leaves no temporary or lock file" test -z "$(ls -A "$d" | grep -v -x -e fleet.db -e report.html -e trace.zst -e summary.json)"
    check "SIG$sig after ${at}s says so, as a duration" grep -q "stopped by SIG$sig at simulated [0-9.]*[a-z]*;" "$d.err"
done
# A second signal stops at once: nothing of the run, no temporary file.
d="$tmp/sig-twice"
"$bin" run "$dw" --quiet --trace --out "$d" 2>/dev/null & pid=$!
# Back to back, so the second lands before the first's outputs can be
# written (with a pause between them a fast machine had already finished
# writing). Both pending at once, the kernel may deliver either first: the
# exit is 128 + whichever came second.
sleep 2; kill -TERM "$pid"; kill -HUP "$pid"; wait "$pid"; rc=$?
check "a second signal exits 128+N at once" test "$rc" = 129 -o "$rc" = 143
check "a second signal writes nothing and leaves no temporary file" test -z "$(ls -A "$d")"

# One run owns its folder: a second run into it refuses at once (exit 2),
# or with --wait waits for it and then writes its own outputs.
d="$tmp/owned"
"$bin" run "$dw" --quiet --out "$d" & pid=$!
sleep 1
"$bin" run "$scn" --quiet --out "$d" 2>"$tmp/owned.err"; rc=$?
check "a second run into a folder in use exits 2" test "$rc" = 2
check "it says another run holds the folder" grep -q "another fleetsim run is writing to this folder" "$tmp/owned.err"
"$bin" run "$scn" --quiet --wait --out "$d" --seed 7; rc_w=$?
wait "$pid"; rc=$?
check "the first run is undisturbed" test "$rc" = 0
check "--wait runs after the holder let go" test "$rc_w" = 0 && grep -q '"seed": 7' "$d/summary.json"
check "no lock file is left behind" test ! -e "$d/.fleetsim.lock"

# A bad --out is found before the first event.
touch "$tmp/a-file"
for bad in "$tmp/a-file" "$tmp/a-file/sub" /proc/fleetsim-cannot-be; do
    "$bin" run "$dw" --quiet --out "$bad" 2>"$tmp/badout.err"; rc=$?
    check "--out $bad exits 2" test "$rc" = 2
    check "--out $bad is refused naming it, before simulating" grep -q "^$bad: error: " "$tmp/badout.err"
done
check "a refused --out leaves the file as it was" test -f "$tmp/a-file" -a ! -s "$tmp/a-file"
# Memory: --max-memory, and the address-space limit (ulimit -v).
"$bin" run "$dw" --quiet --max-memory 64MiB --out "$tmp/mem" 2>"$tmp/mem.err"; rc=$?
check "a fleet over --max-memory exits 2" test "$rc" = 2
check "it names the estimate and the limit" grep -q "needs about .* MiB of memory; --max-memory allows 64.0 MiB" "$tmp/mem.err"
check "a refused run creates no folder" test ! -e "$tmp/mem"
"$bin" run "$dw" --quiet --max-memory 1GiB --out "$tmp/mem-ok"; rc=$?
check "the same fleet under a large enough --max-memory runs" test "$rc" = 0
# --sample: the spacing of fleet.db's metric samples.
for bad in 0s -1h bogus 1s; do
    "$bin" run "$scn" --quiet --sample "$bad" --out "$tmp/sample-bad" 2>"$tmp/sample.err"; rc=$?
    check "--sample $bad exits 2" test "$rc" = 2
    check "--sample $bad is refused with a message" grep -q -e "--sample" "$tmp/sample.err"
done
check "a refused --sample creates no folder" test ! -e "$tmp/sample-bad"
"$bin" run "$scn" --quiet --sample 12h --out "$tmp/sample"; rc=$?
check "--sample 12h runs" test "$rc" = 0
if command -v sqlite3 >/dev/null; then
    n=$(sqlite3 "$tmp/sample/fleet.db" 'SELECT count(DISTINCT t_us) FROM metric_samples')
    check "--sample 12h over 3d takes 7 samples (0, every 12h, the end)" test "$n" = 7
fi
sed 's/count: 60$/count: 9999960/' "$scn" >"$tmp/huge.yaml"
# (An AddressSanitizer build cannot start under 4 GB of address space: its
# shadow memory alone is larger; there the check is left to the normal build.)
if (ulimit -v 4000000; "$bin" --version >/dev/null 2>&1); then
    (ulimit -v 4000000; "$bin" run "$tmp/huge.yaml" --quiet --out "$tmp/huge" 2>"$tmp/huge.err"); rc=$?
    check "10M devices under a 4 GB address-space limit exits 2, not an abort" test "$rc" = 2
    check "it names the address-space limit" grep -q "the address-space limit (ulimit -v) allows" "$tmp/huge.err"
else
    echo "skipped: ulimit -v check (this build cannot start under 4 GB of address space)"
fi
# A full disk: on a small tmpfs (mounted when root), a run whose estimate
# does not fit is refused before simulating; one whose trace outgrows the
# space fails with a message and leaves neither outputs nor temporaries.
if [ "$(id -u)" = 0 ] && mkdir -p "$tmp/full" && mount -t tmpfs -o size=2m tmpfs "$tmp/full" 2>/dev/null; then
    "$bin" run "$dw" --quiet --trace --out "$tmp/full/a" 2>"$tmp/full.err"; rc=$?
    check "outputs larger than the free space are refused before the first event" test "$rc" = 2
    check "the refusal names the need and the free space" grep -q "the outputs need about .* MiB; .* MiB free" "$tmp/full.err"
    check "the refusal leaves no folder" test ! -e "$tmp/full/a"
    "$bin" run "$scn" --quiet --trace --out "$tmp/full/b" >/dev/null 2>&1; rc=$?
    check "a small run fits on the small disk" test "$rc" = 0
    rm -rf "$tmp/full/b"
    sed 's/count: 10000$/count: 2000/' "$dw" >"$tmp/dw2k.yaml"
    "$bin" run "$tmp/dw2k.yaml" --quiet --trace --out "$tmp/full/c" 2>"$tmp/full2.err"; rc=$?
    check "a disk filling up during the run exits 2" test "$rc" = 2
    check "it says why" grep -qi "no space left" "$tmp/full2.err"
    check "a full disk leaves no temporary file" test -z "$(ls -A "$tmp/full/c" 2>/dev/null | grep -i -e tmp -e lock)"
    umount "$tmp/full"
else
    echo "skipped: full-disk checks (need root to mount a tmpfs)"
fi
"$bin" run "$dw" --max-memory lots 2>/dev/null; rc=$?
check "--max-memory without a size exits 2" test "$rc" = 2

# summary.json: the documented keys and types, deployments[] against fleet.db
# (a rollout with a halt and a cancel, a three-wave rollout, an attestation
# run); a tampered summary must fail the checker.
"$bin" run scenarios/app-halt-fix.yaml --quiet --out "$tmp/s-halt" >/dev/null 2>&1
"$bin" run scenarios/os-rollout-3waves.yaml --quiet --out "$tmp/s-waves" >/dev/null 2>&1
check "summary.json has the documented keys and agrees with fleet.db" \
    python3 tests/summary-check.py "$tmp/a" "$tmp/s-halt" "$tmp/s-waves"
cp -r "$tmp/s-halt" "$tmp/s-bad"
sed -i 's/"halts": 1/"halts": 0/' "$tmp/s-bad/summary.json"
check "the summary checker catches a wrong halt count" \
    sh -c '! python3 tests/summary-check.py "$1" >/dev/null' _ "$tmp/s-bad"
# A run into a folder with an earlier summary removes it before its own
# outputs go in place: a run that fails while writing leaves none.
# (The stale file carries a marker: a copy of an earlier run of the same
# scenario may differ from the new one only in wall_s, which can round equal.)
mkdir -p "$tmp/s-stale"
sed 's/"seed": /"stale_marker": 1, "seed": /' "$tmp/a/summary.json" >"$tmp/s-stale/summary.json"
check "the stale summary carries its marker" grep -q stale_marker "$tmp/s-stale/summary.json"
"$bin" run "$scn" --quiet --out "$tmp/s-stale" >/dev/null; rc=$?
check "a new run replaces an earlier summary.json" sh -c "test $rc = 0 && ! grep -q stale_marker '$tmp/s-stale/summary.json' && grep -q '\"fingerprint\"' '$tmp/s-stale/summary.json'"
mkdir -p "$tmp/s-fail/fleet.db/x"; cp "$tmp/a/summary.json" "$tmp/s-fail/summary.json"
"$bin" run "$scn" --quiet --out "$tmp/s-fail" >/dev/null 2>&1; rc=$?
check "a run that cannot write its outputs leaves no earlier summary.json" test "$rc" = 2 -a ! -e "$tmp/s-fail/summary.json"

# Traces that prove themselves: diff exits 2 on anything that is not a
# complete valid trace (cut at many offsets, a flipped byte, empty, a folder,
# /dev/null, a newer format), names kinds; replay re-runs the header's
# scenario and seed.
t="$tmp/b/trace.zst"
check "diff names record kinds" sh -c "'$bin' diff '$t' '$tmp/c/trace.zst' | grep -q 'device_[a-z_]* (kind [0-9]*)'"
check "diff says the seeds differ" sh -c "'$bin' diff '$t' '$tmp/c/trace.zst' | grep -q 'seeds differ: 11 and 99'"
: >"$tmp/empty.zst"
for x in "$tmp/empty.zst" "$tmp" /dev/null "$tmp/missing.zst"; do
    "$bin" diff "$x" "$x" >/dev/null 2>"$tmp/diff.err"; rc=$?
    check "diff of $x exits 2 naming it" test "$rc" = 2 && grep -q "^$x: error" "$tmp/diff.err"
done
cut_ok=0 cut_n=0 size=$(stat -c %s "$t")
for off in $(seq 0 $((size / 40 + 1)) "$size") $((size - 1)) $((size - 2)) $((size - 5)); do
    [ "$off" -ge "$size" ] && continue
    head -c "$off" "$t" >"$tmp/cut.zst"
    "$bin" diff "$tmp/cut.zst" "$tmp/cut.zst" >/dev/null 2>&1 && :
    rc=$?; cut_n=$((cut_n + 1)); [ "$rc" = 2 ] && cut_ok=$((cut_ok + 1))
done
check "diff of a trace cut at $cut_n offsets exits 2 each time" test "$cut_ok" = "$cut_n"
flip_ok=0 flip_n=0
for off in $(seq 0 $((size / 25 + 1)) $((size - 1))); do
    python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[2])] ^= 0x10; open(sys.argv[3], "wb").write(b)' "$t" "$off" "$tmp/flip.zst"
    "$bin" diff "$tmp/flip.zst" "$t" >/dev/null 2>&1; rc=$?
    flip_n=$((flip_n + 1)); [ "$rc" = 2 ] && flip_ok=$((flip_ok + 1))
done
check "diff of a trace with one flipped byte ($flip_n places) exits 2" test "$flip_ok" = "$flip_n"
# A valid trace of a newer format, and one whose end record lies.
python3 - "$t" "$tmp" <<'PY'
import hashlib, struct, subprocess, sys
raw = subprocess.run(["zstd", "-dc", sys.argv[1]], capture_output=True, check=True).stdout
hl = struct.unpack_from("<I", raw, 12)[0]
body = raw[16 + hl:-56]
def write(name, data):
    subprocess.run(["zstd", "-q", "--check", "-f", "-o", sys.argv[2] + "/" + name], input=data, check=True)
write("newer.zst", raw[:8] + struct.pack("<I", 2) + raw[12:])
write("badend.zst", raw[:-1] + bytes([raw[-1] ^ 1]))
# Doctored but valid: one value changed, the end record made to agree.
recs = bytearray(body)
v = struct.unpack_from("<q", recs, 16)[0]
struct.pack_into("<q", recs, 16, v + 1)
end = raw[-56:-32] + hashlib.blake2b(bytes(recs), digest_size=32).digest()
write("doctored.zst", raw[:16 + hl] + bytes(recs) + end)
PY
"$bin" diff "$tmp/newer.zst" "$t" >/dev/null 2>"$tmp/diff.err"; rc=$?
check "diff of a newer trace format exits 2 and says so" test "$rc" = 2 && grep -q "format 2 is newer" "$tmp/diff.err"
"$bin" diff "$tmp/badend.zst" "$t" >/dev/null 2>"$tmp/diff.err"; rc=$?
check "diff of a trace whose fingerprint lies exits 2" test "$rc" = 2 && grep -q "fingerprint does not match" "$tmp/diff.err"
"$bin" diff "$tmp/doctored.zst" "$t" >/dev/null 2>&1; rc=$?
check "diff of a valid but different trace exits 1" test "$rc" = 1
"$bin" replay "$t" >"$tmp/replay.out"; rc=$?
check "replay of a run's trace reproduces (exit 0)" test "$rc" = 0 && grep -q reproduced "$tmp/replay.out"
"$bin" replay "$tmp/c/trace.zst" >/dev/null; rc=$?
check "replay uses the recorded --seed" test "$rc" = 0
# --set: a run with a --set option has another fingerprint than without
# it, and its trace replays to its own (so replay applied the option).
"$bin" run "$scn" --quiet --trace --set duration=2d --out "$tmp/rs" >/dev/null 2>&1; rc=$?
# (exit 1: the shorter run no longer meets the file's attestation counts)
check "a run with --set and --trace completes (exit 0 or 1)" test "$rc" -le 1 -a -s "$tmp/rs/trace.zst"
fp_plain=$(sqlite3 "$tmp/a/fleet.db" "select value from run where key='fingerprint'")
fp_set=$(sqlite3 "$tmp/rs/fleet.db" "select value from run where key='fingerprint'")
check "the --set run has its own fingerprint" test -n "$fp_set" -a -n "$fp_plain" -a "$fp_set" != "$fp_plain"
"$bin" replay "$tmp/rs/trace.zst" >"$tmp/replay-set.out"; rc=$?
check "replay of a --set run reproduces it with its option" test "$rc" = 0 && grep -q "1 --set" "$tmp/replay-set.out" && grep -q "$fp_set" "$tmp/replay-set.out"
# --crypto: a bad value is a usage error on each command that takes it;
# a model run's trace says so and replay reruns it under the model.
for c in run test; do
    "$bin" $c "$scn" --crypto fast >/dev/null 2>"$tmp/crypto.err"; rc=$?
    check "$c --crypto fast exits 2 naming the choices" test "$rc" = 2 && grep -q "real or model" "$tmp/crypto.err"
done
"$bin" bench rollout --devices 10 --crypto >/dev/null 2>"$tmp/crypto.err"; rc=$?
check "bench rollout --crypto without a value exits 2" test "$rc" = 2 && grep -q "real or model" "$tmp/crypto.err"
"$bin" run "$scn" --quiet --trace --crypto model --out "$tmp/cm"; rc=$?
check "run --crypto model exits 0 and records it" test "$rc" = 0 && grep -q '"crypto": "model"' "$tmp/cm/summary.json" && grep -q '"crypto": "real"' "$tmp/a/summary.json"
"$bin" replay "$tmp/cm/trace.zst" >"$tmp/replay.out"; rc=$?
check "replay of a model trace reruns it under the model" test "$rc" = 0 && grep -q "crypto model," "$tmp/replay.out"
"$bin" bench rollout --devices 20 --crypto model --json >"$tmp/bench.json"; rc=$?
check "bench rollout --json says which crypto" test "$rc" = 0 && grep -q '"crypto": "model"' "$tmp/bench.json"
"$bin" replay "$tmp/doctored.zst" >/dev/null; rc=$?
check "replay of a trace that does not reproduce exits 1" test "$rc" = 1
cp "$scn" "$tmp/moved.yaml"
"$bin" replay "$t" --scenario "$tmp/moved.yaml" >/dev/null; rc=$?
check "replay --scenario FILE with the same bytes reproduces" test "$rc" = 0
printf '# edited\n' >>"$tmp/moved.yaml"
"$bin" replay "$t" --scenario "$tmp/moved.yaml" >/dev/null 2>"$tmp/replay.err"; rc=$?
check "replay of an edited scenario exits 2 naming the hash" test "$rc" = 2 && grep -q "BLAKE2b" "$tmp/replay.err"
"$bin" replay "$t" --scenario "$tmp/gone.yaml" >/dev/null 2>&1; rc=$?
check "replay with a missing scenario exits 2" test "$rc" = 2
"$bin" replay "$tmp/cut.zst" >/dev/null 2>&1; rc=$?
check "replay of a cut trace exits 2" test "$rc" = 2

echo "$pass passed, $fail failed"
test "$fail" = 0
