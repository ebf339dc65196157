#!/usr/bin/env bash
# tests/fuzz/run.sh FUZZ_BUILD SECONDS FLEETSIM - run every libFuzzer target.
#
# For each target T (build by `make fuzz-build`): first every kept crasher
# in tests/fuzz/crashers/T/ is replayed (a regression input must now pass),
# then T runs for SECONDS from the seeds in tests/fuzz/corpus/T/ (plus the
# scenario files and a fresh trace), in a scratch copy so the repository is
# not changed. A crash is copied into tests/fuzz/crashers/T/ to be kept.
# Prints the executions per target; exits 1 on any finding.
set -u
build=${1:?usage: run.sh FUZZ_BUILD SECONDS FLEETSIM}
secs=${2:?seconds}
bin=${3:?fleetsim binary}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
targets="fuzz_scn fuzz_expect fuzz_units fuzz_trace fuzz_svc_msg fuzz_dev_msg"
"$bin" run tests/scenarios/basic-attest.yaml --quiet --trace --out "$tmp/trace" >/dev/null 2>&1
failed=0
for t in $targets; do
    exe=$build/$t
    [ -x "$exe" ] || { echo "$t: not built ($exe)"; failed=1; continue; }
    work=$tmp/$t
    mkdir -p "$work/corpus" "$work/crash"
    [ -d "$here/corpus/$t" ] && cp -r "$here/corpus/$t/." "$work/corpus/"
    case $t in
    fuzz_scn)
        cp tests/scenarios/*.yaml "$work/corpus/"
        for f in tests/bad/*.yaml; do cp "$f" "$work/corpus/bad-$(basename "$f")"; done ;;
    fuzz_trace) [ -f "$tmp/trace/trace.zst" ] && cp "$tmp/trace/trace.zst" "$work/corpus/real.zst" ;;
    esac
    if [ -d "$here/crashers/$t" ] && [ -n "$(ls -A "$here/crashers/$t")" ]; then
        if ! "$exe" "$here/crashers/$t"/* >"$work/replay.log" 2>&1; then
            echo "$t: a kept crasher fails again"; tail -20 "$work/replay.log"; failed=1
            continue
        fi
    fi
    "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/crash/" "$work/corpus" >"$work/log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
    if [ "$rc" != 0 ] || [ -n "$(ls -A "$work/crash")" ]; then
        mkdir -p "$here/crashers/$t"
        cp "$work/crash"/* "$here/crashers/$t/" 2>/dev/null
        echo "$t: FOUND a failure after ${execs:-?} executions (kept in tests/fuzz/crashers/$t/)"
        grep -m1 -A15 "ERROR\|==ERROR\|runtime error\|deadly signal" "$work/log"
        failed=1
    else
        echo "$t: ${execs:-?} executions in ${secs}s, no finding"
    fi
done
exit $failed
