#!/usr/bin/env bash
# tests/cli-checks.sh FLEETSIM - end-to-end checks of the command line:
# exit statuses, whole outputs, traces and their fingerprint, diff, report,
# SIGINT.
# Prints one line per check and ends with "N passed, N failed".
set -u
bin=${1:?usage: cli-checks.sh FLEETSIM}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, then a command that must succeed
    local name=$1; shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $name"; fi
}
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
for c in run test validate bench diff report; do
    "$bin" $c --help >/dev/null; rc=$?
    check "$c --help exits 0" test "$rc" = 0
done
"$bin" --version >/dev/null; rc=$?
check "--version exits 0" test "$rc" = 0

# Expectations that fail give 1.
sed 's/devices == [0-9]*/devices == 1/' "$scn" > "$tmp/failing.yaml"
"$bin" test "$tmp/failing.yaml" > "$tmp/failing.out"; rc=$?
check "test exits 1 when an expectation fails" test "$rc" = 1
check "test ends with the count line" grep -qx '0 passed, 1 failed' "$tmp/failing.out"

# SIGINT stops at an event boundary, writes outputs, exits 130.
"$bin" run scenarios/dw100-fleet.yaml --quiet --out "$tmp/int" & pid=$!
sleep 2; kill -INT "$pid"; wait "$pid"; rc=$?
check "SIGINT exits 130" test "$rc" = 130
check "SIGINT still writes the summary" grep -q '"completed": false' "$tmp/int/summary.json"

echo "$pass passed, $fail failed"
test "$fail" = 0
