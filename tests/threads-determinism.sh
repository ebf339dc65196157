#!/usr/bin/env bash
# tests/threads-determinism.sh FLEETSIM - the same scenario run with
# --threads 1, 2 and 4 writes the same bytes (issue 12).
#
# Owns: seven existing scenarios (a two-wave rollout, a deployment halted
# by error reports and rolled back, error reports from crashes, and four
# attack kinds: replayed evidence, a cloned identity, a rollback image and
# an undefended tamper in transit), each run with --trace --no-timing on
# 1, 2 and 4 threads. Compared with cmp against the 1-thread run:
# fleet.db, report.html and trace.zst whole (the trace header records no
# thread count), summary.json with its "threads" line removed (it differs
# by design); the fingerprint printed, in summary.json and in fleet.db
# against the scenario's pinned digest. Guards against a vacuous pass:
# every file exists, each scenario did what it was picked for (waves
# opened, a halt, error reports, attack attempts), summary.json records
# the thread count asked for, a 2- and 4-thread rollout bench handed jobs
# to its workers (jobs_started > 0; none on 1 thread), and another seed
# does make every compared file differ.
# Prints one line per failed check and ends with "N passed, N failed".
set -u
bin=${1:?usage: threads-determinism.sh FLEETSIM}
. "$(dirname "$0")/check-lib.sh" # $tmp, pass/fail, check()
command -v sqlite3 >/dev/null || { echo "threads-determinism: sqlite3 missing (apt-get install sqlite3)"; exit 1; }

# scenario, then what it was picked for (checked on its 1-thread run)
scenarios=(
    "tests/scenarios/anchors.yaml waves"
    "scenarios/app-halt-fix.yaml halt"
    "tests/scenarios/app-crashes.yaml errors"
    "scenarios/attacks/replay-attestation.yaml attack"
    "scenarios/attacks/clone-identity.yaml attack"
    "scenarios/attacks/rollback.yaml attack"
    "scenarios/attacks/tamper-in-transit-nodefense.yaml attack"
)

# run SCENARIO DIR [ARGS...]: outputs into DIR, stdout into DIR.stdout
run() {
    local scn=$1 dir=$2; shift 2
    "$bin" run "$scn" --trace --no-timing --out "$dir" "$@" >"$dir.stdout"
}
# The summary without its "threads" line, which must be there exactly once.
unthreaded() {
    test "$(grep -c '^  "threads": [0-9]*,$' "$1/summary.json")" = 1 &&
        grep -v '^  "threads": [0-9]*,$' "$1/summary.json" >"$1.unthreaded"
}
q() { sqlite3 "$1/fleet.db" "$2"; }
attempts() { q "$1" "SELECT coalesce(sum(value), 0) FROM metrics WHERE metric = 'attacks' AND labels LIKE '%outcome=\"attempted\"%'"; }

attacks_total=0
for entry in "${scenarios[@]}"; do
    read -r scn kind <<<"$entry"
    name=$(basename "$scn" .yaml)
    mkdir -p "$tmp/$name"
    seed=$(sed -n 's/^seed: *\([0-9]*\).*/\1/p' "$scn")
    pinned=$(sed -n "s/^seed=$seed \([0-9a-f]*\)$/\1/p" "${scn%.yaml}.digest")
    check "$name: has a pinned fingerprint for seed $seed" test -n "$pinned"
    for t in 1 2 4; do
        d=$tmp/$name/t$t
        run "$scn" "$d" --threads "$t"; rc=$?
        check "$name, $t threads: run exits 0" test "$rc" = 0
        check "$name, $t threads: outputs are whole" test -s "$d/summary.json" -a -s "$d/fleet.db" -a -s "$d/report.html" -a -s "$d/trace.zst"
        check "$name, $t threads: summary records $t threads" grep -q "^  \"threads\": $t,\$" "$d/summary.json"
        check "$name, $t threads: summary has one threads line" unthreaded "$d"
        fp_out=$(sed -n 's/^fingerprint  *\([0-9a-f]*\)$/\1/p' "$d.stdout")
        fp_sum=$(sed -n 's/^  "fingerprint": "\([0-9a-f]*\)",$/\1/p' "$d/summary.json")
        fp_db=$(q "$d" "SELECT value FROM run WHERE key = 'fingerprint'")
        check "$name, $t threads: printed fingerprint is the pinned one" test "$fp_out" = "$pinned"
        check "$name, $t threads: summary fingerprint is the pinned one" test "$fp_sum" = "$pinned"
        check "$name, $t threads: fleet.db fingerprint is the pinned one" test "$fp_db" = "$pinned"
        if [ "$t" != 1 ]; then
            b=$tmp/$name/t1
            check "$name: fleet.db, 1 vs $t threads" cmp -s "$b/fleet.db" "$d/fleet.db"
            check "$name: report.html, 1 vs $t threads" cmp -s "$b/report.html" "$d/report.html"
            check "$name: trace.zst, 1 vs $t threads" cmp -s "$b/trace.zst" "$d/trace.zst"
            check "$name: summary.json but threads, 1 vs $t threads" cmp -s "$b.unthreaded" "$d.unthreaded"
        fi
    done
    b=$tmp/$name/t1
    case $kind in
    waves)
        check "$name: a deployment opened 2 waves" test "$(q "$b" "SELECT max(waves_opened) FROM deployments")" -ge 2 ;;
    halt)
        check "$name: a deployment halted" grep -q '"halts": [1-9]' "$b/summary.json"
        check "$name: a device rolled back" grep -q '"rolled_back": [1-9]' "$b/summary.json"
        check "$name: error reports reached the service" test "$(q "$b" "SELECT coalesce(sum(count), 0) FROM error_reports")" -gt 0 ;;
    errors)
        check "$name: error reports reached the service" test "$(q "$b" "SELECT coalesce(sum(count), 0) FROM error_reports")" -gt 0 ;;
    attack)
        n=$(attempts "$b")
        check "$name: attacks were attempted" test "$n" -gt 0
        attacks_total=$((attacks_total + n)) ;;
    esac
done
check "attacks attempted over all scenarios" test "$attacks_total" -gt 0

# The comparison can fail: another seed changes every compared file.
differ() { ! cmp -s "$1" "$2"; }
a=$tmp/rollback/t1 b=$tmp/rollback/seed22
run scenarios/attacks/rollback.yaml "$b" --threads 1 --seed 22; rc=$?
check "rollback, seed 22: run exits 0" test "$rc" = 0
check "rollback, seed 22: summary has one threads line" unthreaded "$b"
for f in fleet.db report.html trace.zst; do
    check "another seed, another $f" differ "$a/$f" "$b/$f"
done
check "another seed, another summary.json but threads" differ "$a.unthreaded" "$b.unthreaded"

# Workers are used: with 2 and 4 threads the rollout bench hands jobs to
# the pool, as many with either count (the hand-over is decided on the
# main thread, in event order); on 1 thread it hands none.
for t in 1 2 4; do
    "$bin" bench rollout --devices 200 --threads "$t" --json >"$tmp/bench$t.json"; rc=$?
    check "bench rollout, $t threads, exits 0" test "$rc" = 0
    check "bench rollout, $t threads: records $t threads" grep -q "\"threads\": $t," "$tmp/bench$t.json"
done
started() { sed -n 's/.*"jobs_started": \([0-9]*\),.*/\1/p' "$tmp/bench$1.json"; }
bfp() { sed -n 's/.*"fingerprint": "\([0-9a-f]*\)".*/\1/p' "$tmp/bench$1.json"; }
check "bench rollout, 1 thread: no job handed to a pool" test "$(started 1)" = 0
check "bench rollout, 2 threads: jobs handed to workers" test "$(started 2)" -gt 0
check "bench rollout, 4 threads: as many jobs as with 2" test "$(started 4)" = "$(started 2)"
check "bench rollout: a fingerprint" test -n "$(bfp 1)"
check "bench rollout: same fingerprint on 1, 2 and 4 threads" test "$(bfp 1)" = "$(bfp 2)" -a "$(bfp 1)" = "$(bfp 4)"

echo "$pass passed, $fail failed"
test "$fail" = 0
