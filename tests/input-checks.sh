#!/usr/bin/env bash
# tests/input-checks.sh FLEETSIM - what is read as a scenario: regular files
# and '-' (standard input) only; a FIFO with no writer, a folder or a device
# is refused at once with exit 2, never read or waited on.
# Prints one line per failed check and ends with "N passed, N failed".
set -u
bin=${1:?usage: input-checks.sh FLEETSIM}
. "$(dirname "$0")/check-lib.sh" # $tmp, pass/fail, check()
scn=tests/scenarios/basic-attest.yaml

mkfifo "$tmp/fifo"
for cmd in validate run; do
    for what in fifo dir dev; do
        case $what in
        fifo) path=$tmp/fifo; word="a FIFO" ;;
        dir) path=$tmp; word="a directory" ;;
        dev) path=/dev/null; word="a device" ;;
        esac
        timeout 10 "$bin" "$cmd" "$path" --out "$tmp/out-$what" >/dev/null 2>"$tmp/err"
        rc=$?
        check "$cmd of $word exits 2 at once" test "$rc" = 2
        check "$cmd of $word says why" grep -q "$path: error: not a regular file ($word)" "$tmp/err"
        check "$cmd of $word writes nothing" test ! -e "$tmp/out-$what/summary.json"
    done
done
"$bin" validate - <"$scn" >"$tmp/out" 2>&1; rc=$?
check "validate - reads standard input" test "$rc" = 0
check "validate - names the scenario" grep -q "ok (basic-attest" "$tmp/out"
"$bin" run - --quiet --out "$tmp/stdin" <"$scn" >/dev/null 2>&1; rc=$?
check "run - runs standard input" test "$rc" = 0 -a -s "$tmp/stdin/summary.json"
"$bin" run "$scn" --quiet --out "$tmp/file" >/dev/null 2>&1
fp_stdin=$(grep -o '"fingerprint": *"[0-9a-f]\{64\}"' "$tmp/stdin/summary.json")
fp_file=$(grep -o '"fingerprint": *"[0-9a-f]\{64\}"' "$tmp/file/summary.json")
check "run - gives the same fingerprint as the file" \
    test -n "$fp_file" -a "$fp_stdin" = "$fp_file"
printf 'scenario: x\nduration: [\n' | "$bin" validate - >/dev/null 2>"$tmp/err"; rc=$?
check "a bad scenario on stdin exits 2" test "$rc" = 2
check "a bad scenario on stdin names '-' with line and column" grep -q "^-:[0-9]*:[0-9]*: error" "$tmp/err"

# Anchors, aliases and merge keys mean what they would written out in full.
"$bin" run tests/scenarios/anchors.yaml --quiet --out "$tmp/anch" >/dev/null 2>&1
"$bin" run tests/data/anchors-expanded.yaml --quiet --out "$tmp/full" >/dev/null 2>&1
fp_a=$(grep -o '"fingerprint": *"[0-9a-f]\{64\}"' "$tmp/anch/summary.json")
fp_f=$(grep -o '"fingerprint": *"[0-9a-f]\{64\}"' "$tmp/full/summary.json")
check "anchored and written-out scenario give the same fingerprint" \
    test -n "$fp_a" -a "$fp_a" = "$fp_f"
check "the anchored scenario really uses aliases" grep -q '\*net' tests/scenarios/anchors.yaml
start=$(date +%s%N)
"$bin" validate tests/bad/billion-laughs.yaml >/dev/null 2>&1; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "a billion laughs is refused with exit 2" test "$rc" = 2
check "a billion laughs is refused in well under a second (${ms} ms)" test "$ms" -lt 1000

echo "$pass passed, $fail failed"
test "$fail" = 0
