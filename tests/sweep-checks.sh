#!/usr/bin/env bash
# tests/sweep-checks.sh FLEETSIM - `run --set` and `fleetsim sweep` end to
# end: the fingerprint is a function of the effective scenario, parameters
# are recorded, the emitted job files (jobs.txt, sweep.sbatch, job.yaml,
# sweep.json) have the right shape, the jobs run (GNU parallel when
# installed, else bash line by line), a job re-run writes the same bytes,
# and bad input exits 2 without output.
# Prints one line per failed check and ends with "N passed, N failed".
set -u
bin=${1:?usage: sweep-checks.sh FLEETSIM}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
. "$(dirname "$0")/check-lib.sh" # $tmp, pass/fail, check()
scn=tests/scenarios/anchors.yaml # 500 devices, one OS rollout, < 1 s
fp() { sed -n 's/.*"fingerprint": "\([0-9a-f]*\)".*/\1/p' "$1/summary.json"; }

# --- run --set
"$bin" run "$scn" --quiet --out "$tmp/plain"
"$bin" run "$scn" --quiet --out "$tmp/same" --set service.egress=10Gbps
"$bin" run "$scn" --quiet --out "$tmp/slow" --set service.egress=1Mbps
"$bin" run "$scn" --quiet --out "$tmp/sd" --seed 9
"$bin" run "$scn" --quiet --out "$tmp/ss" --set seed=9
check "a --set that changes nothing keeps the fingerprint" \
    test "$(fp "$tmp/plain")" = "$(fp "$tmp/same")"
check "a --set that changes the model changes the fingerprint" \
    test "$(fp "$tmp/plain")" != "$(fp "$tmp/slow")"
check "--set seed=9 gives the fingerprint of --seed 9" \
    test "$(fp "$tmp/sd")" = "$(fp "$tmp/ss")" -a "$(fp "$tmp/sd")" != "$(fp "$tmp/plain")"
check "summary.json records the parameters" \
    grep -q '"parameters": {"service.egress": "1Mbps"}' "$tmp/slow/summary.json"
check "summary.json without --set has empty parameters" \
    grep -q '"parameters": {}' "$tmp/plain/summary.json"
"$bin" run "$scn" --quiet --out "$tmp/two" --set service.probation=10m --set timeline.0.at=1h
got=$(sqlite3 "$tmp/two/fleet.db" "SELECT value FROM run WHERE key='parameters'")
check "fleet.db run.parameters: KEY=VALUE lines in order" \
    test "$got" = "$(printf 'service.probation=10m\ntimeline.0.at=1h')"
got=$(sqlite3 "$tmp/plain/fleet.db" "SELECT quote(value) FROM run WHERE key='parameters'")
check "fleet.db run.parameters is '' without --set" test "$got" = "''"
bad_set() { # name, --set argument, text the message must hold
    local out rc
    out=$("$bin" run "$scn" --quiet --out "$tmp/bad" --set "$2" 2>&1); rc=$?
    check "$1: exit 2" test "$rc" = 2
    check "$1: message" grep -qF -- "$3" <<<"$out"
    check "$1: nothing written" test ! -e "$tmp/bad"
}
bad_set "bad --set value" service.egress=fast "(the value given by --set service.egress)"
bad_set "unknown --set path" nope.x=1 "--set nope.x: the top level has no key 'nope'"
bad_set "--set through a scalar" seed.x=1 "--set seed.x: 'seed' is a single value"
bad_set "--set at a mapping" service=1 "--set service: 'service' is a mapping"
bad_set "--set index out of range" fleet.7.count=1 "'fleet' is a list of 3 entries"
bad_set "--set without =" service.egress "--set needs KEY=VALUE"
"$bin" validate --set fleet.0.count=0 "$scn" >/dev/null 2>&1; rc=$?
check "validate --set checks the value" test "$rc" = 2

# --- sweep: 2 seeds x 2 values
d=$tmp/sweep
"$bin" sweep "$scn" --seeds 3-4 --set service.egress=1Mbps,10Gbps --out "$d" \
    --emit parallel --emit slurm,k8s >/dev/null; rc=$?
check "sweep exits 0" test "$rc" = 0
check "jobs.txt has 4 lines" test "$(wc -l <"$d/jobs.txt")" = 4
check "every job is an absolute fleetsim run, quiet, into runs/" \
    test "$(grep -c "^'$bin' run '$PWD/$scn' --seed [34] --set 'service.egress=[0-9a-zA-Z]*' --out 'runs/seed=[34],service.egress=[0-9a-zA-Z]*' --quiet --no-timing\$" "$d/jobs.txt")" = 4
check "job order: seed slowest, values fastest" \
    test "$(sed -n 's/.*--seed \([0-9]*\) --set .service.egress=\([0-9a-zA-Z]*\).*/\1 \2/p' "$d/jobs.txt" | tr '\n' ' ')" = "3 1Mbps 3 10Gbps 4 1Mbps 4 10Gbps "
check "sbatch: array 0-3" grep -qx '#SBATCH --array=0-3' "$d/sweep.sbatch"
check "sbatch: task output in DIR/logs, quoted (a DIR with spaces)" grep -qxF "#SBATCH --output=\"$d/logs/%a.out\"" "$d/sweep.sbatch"
check "sbatch: task i runs line i+1" grep -qF 'sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" jobs.txt' "$d/sweep.sbatch"
check "job.yaml parses as an Indexed Job of 4" python3 -c '
import sys, yaml
j = yaml.safe_load(open(sys.argv[1]))
s = j["spec"]
assert j["apiVersion"] == "batch/v1" and j["kind"] == "Job"
assert s["completionMode"] == "Indexed" and s["completions"] == 4
assert s["parallelism"] >= 1
c = s["template"]["spec"]["containers"][0]
assert "JOB_COMPLETION_INDEX + 1" in c["command"][2]
assert c["workingDir"] == sys.argv[2]
' "$d/job.yaml" "$d"
check "sweep.json lists 4 jobs with seed, parameters and run dir" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
j = s["jobs"]
assert len(j) == 4 and s["jobs_count"] == 4
assert [x["index"] for x in j] == [0, 1, 2, 3]
assert [(x["seed"], x["parameters"]["service.egress"]) for x in j] == \
    [(3, "1Mbps"), (3, "10Gbps"), (4, "1Mbps"), (4, "10Gbps")]
assert j[1]["run_dir"] == "runs/seed=3,service.egress=10Gbps"
' "$d/sweep.json"
# the sbatch task and the k8s index pick the same line as jobs.txt
line2=$(cd "$d" && SLURM_ARRAY_TASK_ID=2 sh -c 'sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" jobs.txt')
check "task 2 is job 2" test "$line2" = "$(sed -n 3p "$d/jobs.txt")"

if command -v parallel >/dev/null; then
    (cd "$d" && parallel -j2 --joblog joblog < jobs.txt); rc=$?
    runner=parallel
else
    (cd "$d" && while IFS= read -r line; do bash -c "$line" || exit 1; done < jobs.txt); rc=$?
    runner=bash
fi
check "the jobs run ($runner)" test "$rc" = 0
n=0; for r in "$d"/runs/*/; do [ -s "$r/summary.json" ] && n=$((n + 1)); done
check "every run folder has summary.json" test "$n" = 4
one="$d/runs/seed=4,service.egress=1Mbps"
check "a job's summary records its seed and value" \
    grep -q '"parameters": {"service.egress": "1Mbps"}' "$one/summary.json"
cp "$one/fleet.db" "$tmp/db.before"; cp "$one/summary.json" "$tmp/sum.before"
(cd "$d" && bash -c "$(sed -n 3p jobs.txt)"); rc=$?
check "a job re-run exits 0" test "$rc" = 0
check "a job re-run writes the same fleet.db" cmp -s "$tmp/db.before" "$one/fleet.db"
check "a job re-run writes the same summary.json" cmp -s "$tmp/sum.before" "$one/summary.json"
if [ "$runner" = parallel ]; then
    (cd "$d" && parallel -j2 --joblog joblog --resume < jobs.txt); rc=$?
    check "parallel --resume has nothing left to run" test "$rc" = 0
fi

# --- sweep: bad input exits 2 and writes nothing
bad_sweep() { # name, then the arguments after FILE
    local name=$1; shift
    "$bin" sweep "$scn" "$@" >/dev/null 2>&1; local rc=$?
    check "$name: exit 2" test "$rc" = 2
}
o=$tmp/none
bad_sweep "--seeds A>B" --seeds 5-1 --out "$o"
bad_sweep "--seeds not numbers" --seeds a-b --out "$o"
bad_sweep "--seeds missing" --out "$o"
bad_sweep "an empty value list" --seeds 1-2 --set service.egress= --out "$o"
bad_sweep "an empty value in the list" --seeds 1-2 --set service.egress=1Mbps,,2Mbps --out "$o"
bad_sweep "too many jobs" --seeds 1-100001 --out "$o"
bad_sweep "too many jobs through values" --seeds 1-1000 --set service.egress=1Mbps,2Mbps,3Mbps,4Mbps,5Mbps,6Mbps,7Mbps,8Mbps,9Mbps,10Mbps,11Mbps,12Mbps,13Mbps,14Mbps,15Mbps,16Mbps,17Mbps,18Mbps,19Mbps,20Mbps,21Mbps,22Mbps,23Mbps,24Mbps,25Mbps,26Mbps,27Mbps,28Mbps,29Mbps,30Mbps,31Mbps,32Mbps,33Mbps,34Mbps,35Mbps,36Mbps,37Mbps,38Mbps,39Mbps,40Mbps,41Mbps,42Mbps,43Mbps,44Mbps,45Mbps,46Mbps,47Mbps,48Mbps,49Mbps,50Mbps,51Mbps,52Mbps,53Mbps,54Mbps,55Mbps,56Mbps,57Mbps,58Mbps,59Mbps,60Mbps,61Mbps,62Mbps,63Mbps,64Mbps,65Mbps,66Mbps,67Mbps,68Mbps,69Mbps,70Mbps,71Mbps,72Mbps,73Mbps,74Mbps,75Mbps,76Mbps,77Mbps,78Mbps,79Mbps,80Mbps,81Mbps,82Mbps,83Mbps,84Mbps,85Mbps,86Mbps,87Mbps,88Mbps,89Mbps,90Mbps,91Mbps,92Mbps,93Mbps,94Mbps,95Mbps,96Mbps,97Mbps,98Mbps,99Mbps,100Mbps,101Mbps --out "$o"
bad_sweep "an unknown --emit" --seeds 1-2 --emit pbs --out "$o"
bad_sweep "--set seed" --seeds 1-2 --set seed=1,2 --out "$o"
bad_sweep "a value that does not validate" --seeds 1-2 --set service.egress=1Mbps,fast --out "$o"
check "bad sweeps write nothing" test ! -e "$o"
out=$("$bin" sweep "$scn" --seeds 1-2 --set service.egress=1Mbps,fast --out "$o" 2>&1)
check "a job that does not validate is named" grep -qF "job 1 (seed=1,service.egress=fast) does not validate" <<<"$out"
bad_sweep "an existing non-empty DIR" --seeds 1-2 --out "$d"
"$bin" sweep "$scn" --seeds 1-2 --out "$d" --force >/dev/null; rc=$?
check "--force rewrites the job files and keeps runs/" test "$rc" = 0 -a "$(wc -l <"$d/jobs.txt")" = 2 -a -s "$one/summary.json"
check "no temporary files left" test -z "$(ls -A "$d" | grep tmp)"
"$bin" sweep --help >/dev/null; rc=$?
check "sweep --help exits 0" test "$rc" = 0

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
