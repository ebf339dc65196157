#!/usr/bin/env bash
# tests/sweep-chain.sh FLEETSIM [parallel|slurm] - one whole sweep chain:
# `fleetsim sweep` of a small rollout over seeds 1-4, the jobs run by GNU
# parallel (or, with slurm, submitted as sweep.sbatch to a Slurm that is
# already up: tests/slurm-check.sh starts one), `fleetsim merge` of the
# run databases and `fleetsim report MERGED.db --json`.
#
# Owns: the checks of the merged database and the sweep report against the
# single runs, computed here from each run's summary.json and fleet.db
# (python3, sqlite3), not by fleetsim; and the tampered inputs (a row
# deleted from one run, a merge of 3 of the 4 runs) that must fail them.
# Prints one line per failed check and ends with "N passed, N failed".
set -u
bin=${1:?usage: sweep-chain.sh FLEETSIM [parallel|slurm]}
mode=${2:-parallel}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
. "$(dirname "$0")/check-lib.sh" # $tmp, pass/fail, check()
for c in sqlite3 python3; do
    command -v $c >/dev/null || { echo "sweep-chain: $c missing (apt-get install $c)"; exit 1; }
done
scn=scenarios/app-halt-fix.yaml # 2,000 devices, two deployments, ~1.5 s
n=4

d="$tmp/sweep dir %a" # sweep.sbatch quotes a space and a % for Slurm
"$bin" sweep "$scn" --seeds 1-$n --out "$d" --emit parallel --emit slurm >/dev/null; rc=$?
check "sweep exits 0" test "$rc" = 0
t_jobs=$(date +%s.%N)
case $mode in
parallel)
    command -v parallel >/dev/null || { echo "sweep-chain: GNU parallel missing (apt-get install parallel)"; exit 1; }
    (cd "$d" && parallel -j2 --joblog joblog < jobs.txt); rc=$?
    check "parallel runs the $n jobs, exit 0" test "$rc" = 0
    check "joblog: $n jobs, each exit 0" \
        test "$(awk -F'\t' 'NR > 1 && $7 == 0 && $8 == 0' "$d/joblog" | wc -l)" = $n
    ;;
slurm)
    # Polled with scontrol: sbatch --wait backs off to 30 s between polls.
    job=$(cd "$d" && sbatch --parsable sweep.sbatch); rc=$?
    check "sbatch sweep.sbatch exits 0 with a job id" test "$rc" = 0 -a -n "$job"
    states=
    for _ in $(seq 1 1500); do # at most 5 minutes
        [ -n "$job" ] || break
        states=$(scontrol -o show job "$job" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr -s ' \n' ' ')
        [ -n "$states" ] && ! grep -qE 'PENDING|RUNNING|COMPLETING|CONFIGURING|SUSPENDED|REQUEUE' <<<"$states" && break
        sleep 0.2
    done
    check "every array task COMPLETED (${states:-no answer})" test "$(echo $states)" = "$n JobState=COMPLETED"
    got=$(for i in $(seq 0 $((n - 1))); do [ -e "$d/logs/$i.out" ] && echo "$i"; done | wc -l)
    check "Slurm ran tasks 0-$((n - 1)) (logs/N.out)" test "$got" = $n
    ;;
*) echo "sweep-chain: mode must be parallel or slurm, not '$mode'"; exit 2 ;;
esac
echo "sweep-chain: the $n jobs ran ($mode) in $(echo "$(date +%s.%N) $t_jobs" | awk '{printf "%.1f", $1 - $2}') s," \
    "the last summary.json written at $(python3 -c '
import glob, os, sys
print("%.1f" % (max(os.path.getmtime(f) for f in glob.glob(sys.argv[1] + "/runs/*/summary.json")) - float(sys.argv[2])))' "$d" "$t_jobs" 2>/dev/null) s"

# The run folders in job order, from sweep.json.
mapfile -t dirs < <(python3 -c '
import json, sys
for j in json.load(open(sys.argv[1]))["jobs"]:
    print(sys.argv[2] + "/" + j["run_dir"])' "$d/sweep.json" "$d")
dbs=() sums=()
for r in "${dirs[@]}"; do dbs+=("$r/fleet.db"); sums+=("$r/summary.json"); done
check "sweep.json names $n run folders, each with fleet.db and summary.json" \
    test "${#dirs[@]}" = $n -a "$(ls "${dbs[@]}" "${sums[@]}" 2>/dev/null | wc -l)" = $((2 * n))

"$bin" merge "$tmp/merged.db" "${dbs[@]}"; rc=$?
check "merge of the $n runs exits 0" test "$rc" = 0
"$bin" report "$tmp/merged.db" --json -o "$tmp/report.json"; rc=$?
check "report --json of the merged database exits 0" test "$rc" = 0 -a -s "$tmp/report.json"
if [ "$fail" != 0 ]; then # nothing below can be checked
    echo "sweep chain ($mode): $pass passed, $fail failed (stopped before the comparisons)"
    exit 1
fi

json_get() { # file, python expression on j
    python3 -c "import json,sys; j=json.load(open(sys.argv[1])); v=$2; print('null' if v is None else v)" "$1"
}
# The runs table: run k is job k, seed k, no parameters, and the
# fingerprint of its summary.json.
runs_match() { # merged db, then the summary.json files in job order
    local m=$1; shift
    local k=1 ok=0
    [ "$(sqlite3 "$m" "SELECT count(*) FROM runs")" = "$#" ] || { echo "  runs: not $# rows"; ok=1; }
    for s in "$@"; do
        local want got
        want="$k||$(json_get "$s" "j['fingerprint']")"
        got=$(sqlite3 "$m" "SELECT seed, parameters, fingerprint FROM runs WHERE run = $k")
        [ "$want" = "$got" ] || { echo "  run $k: want $want, merged $got"; ok=1; }
        [ "$(json_get "$s" "j['seed']")" = "$k" ] || { echo "  $s: seed is not $k"; ok=1; }
        k=$((k + 1))
    done
    return $ok
}
check "runs: $n rows, seeds 1-$n, fingerprints of each summary.json" runs_match "$tmp/merged.db" "${sums[@]}"
# Every table of a run: the merged rows are the sum of the single runs'.
rows_sum() { # merged db, then the single dbs
    local m=$1; shift
    local ok=0
    for t in $(sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'run' ORDER BY name"); do
        local want=0 got
        for db in "$@"; do want=$((want + $(sqlite3 "$db" "SELECT count(*) FROM \"$t\""))); done
        got=$(sqlite3 "$m" "SELECT count(*) FROM \"$t\"")
        [ "$want" = "$got" ] || { echo "  table $t: $want rows in the runs, $got merged"; ok=1; }
    done
    return $ok
}
check "every table: merged rows = sum over the single runs" rows_sum "$tmp/merged.db" "${dbs[@]}"

# Nearest-rank percentile q over the runs of deployment ID's time to p%
# confirmed as the service saw it (fleet.db: the k-th confirmed_us, k =
# ceil(p% of targets), minus the start; not reached sorts last and reads
# null), or with q=nr the count not reached. summary.json's time_to_*_s
# are the devices' times (earlier: a device reports at its next check-in).
want_pct() { # id, p, q, then the fleet.db files
    python3 - "$@" <<'EOF'
import sqlite3, sys
dep, p, q = sys.argv[1], int(sys.argv[2]), sys.argv[3]
vals = []
for f in sys.argv[4:]:
    db = sqlite3.connect("file:" + f + "?mode=ro", uri=True)
    idx, start, targets = db.execute(
        "SELECT idx, start_us, targets FROM deployments WHERE id = ?",
        (dep,)).fetchone()
    t = sorted(r[0] for r in db.execute(
        "SELECT confirmed_us FROM device_deployments"
        " WHERE deployment = ? AND confirmed_us IS NOT NULL", (idx,)))
    k = (p * targets + 99) // 100
    vals.append(t[k - 1] - start if len(t) >= k else None)
if q == "nr":
    print(vals.count(None))
    sys.exit(0)
vals.sort(key=lambda v: (v is None, v or 0))
v = vals[(int(q) * len(vals) + 99) // 100 - 1]
print("null" if v is None else v)
EOF
}
got_pct() { # report json, id, p, q
    local key
    case $4 in 50) key=median_us ;; nr) key=not_reached ;; *) key=p$4_us ;; esac
    json_get "$1" "[x for x in j['groups'][0]['deployments'] if x['id'] == '$2'][0]['time_to']['$3']['$key']"
}
pct_all() { # report json, then the fleet.db files: all percentiles agree
    local rep=$1; shift
    local ok=0
    for id in $(sqlite3 "$1" "SELECT id FROM deployments ORDER BY idx"); do
        for p in 50 90 99; do
            for q in 50 5 95 nr; do
                local want got
                want=$(want_pct "$id" $p $q "$@"); got=$(got_pct "$rep" "$id" $p $q)
                [ "$want" = "$got" ] || { echo "  $id time to $p%, $q: by hand $want, report $got"; ok=1; }
            done
        done
    done
    return $ok
}
for id in $(sqlite3 "${dbs[0]}" "SELECT id FROM deployments ORDER BY idx"); do
    for p in 50 90; do
        for q in 50 5 95; do
            want=$(want_pct "$id" $p $q "${dbs[@]}"); got=$(got_pct "$tmp/report.json" "$id" $p $q)
            check "$id time to $p%, percentile $q: by hand ($want) = report ($got)" test "$want" = "$got"
        done
    done
done
check "all deployments, 50/90/99%, median/p5/p95/not reached agree" pct_all "$tmp/report.json" "${dbs[@]}"
check "time to 50% of app-1.5.1: a figure, not null" test "$(want_pct app-1.5.1-rollout 50 50 "${dbs[@]}")" != null
check "time to 50% of app-1.5.0 (halted): not reached in all $n runs" \
    test "$(got_pct "$tmp/report.json" app-1.5.0-rollout 50 nr)" = $n
dev_first() { # each run's summary.json (device) times <= fleet.db's (service)
    local k=0 ok=0
    for id in $(sqlite3 "${dbs[0]}" "SELECT id FROM deployments ORDER BY idx"); do
        for p in 50 90 99; do
            for k in $(seq 0 $((n - 1))); do
                local dev svc
                dev=$(json_get "${sums[$k]}" "None if [x for x in j['deployments'] if x['id'] == '$id'][0]['time_to_${p}_s'] is None else round([x for x in j['deployments'] if x['id'] == '$id'][0]['time_to_${p}_s'] * 1e6)")
                svc=$(want_pct "$id" $p 50 "${dbs[$k]}")
                [ "$dev" = null -a "$svc" = null ] && continue
                [ "$dev" != null -a "$svc" != null ] && [ "$dev" -le "$svc" ] && continue
                echo "  run $((k + 1)) $id $p%: device $dev, service $svc"; ok=1
            done
        done
    done
    return $ok
}
check "each run: summary.json's time to 50/90/99% (device) <= fleet.db's (service)" dev_first
want=$(for s in "${sums[@]}"; do json_get "$s" "sum(x['halts'] for x in j['deployments'])"; done | awk '{s += $1} END {print s}')
got=$(json_get "$tmp/report.json" "sum(x['halts']['total'] for x in j['groups'][0]['deployments'])")
check "halts: total by hand ($want) = report ($got)" test "$want" = "$got" -a "$want" -gt 0
check "report: one group of $n runs" test "$(json_get "$tmp/report.json" "j['groups'][0]['runs']")" = $n

# Tampered inputs: the same checks must fail.
mkdir -p "$tmp/t"
cp "${dbs[1]}" "$tmp/t/fleet.db"
sqlite3 "$tmp/t/fleet.db" "DELETE FROM events WHERE rowid = (SELECT max(rowid) FROM events)"
check "tamper: one event row deleted from run 2 is seen" \
    eval '! rows_sum "$tmp/merged.db" "${dbs[0]}" "$tmp/t/fleet.db" "${dbs[@]:2}" >/dev/null'
"$bin" merge "$tmp/m3.db" "${dbs[@]:0:3}" && "$bin" report "$tmp/m3.db" --json -o "$tmp/m3.json"
check "tamper: a merge of 3 runs fails the runs check" \
    eval '! runs_match "$tmp/m3.db" "${sums[@]}" >/dev/null'
check "tamper: a merge of 3 runs fails the row sums" \
    eval '! rows_sum "$tmp/m3.db" "${dbs[@]}" >/dev/null'
check "tamper: a merge of 3 runs fails the percentiles" \
    eval '! pct_all "$tmp/m3.json" "${dbs[@]}" >/dev/null'
cp "${sums[2]}" "$tmp/t/summary.json"
sed -i 's/"fingerprint": "./"fingerprint": "x/' "$tmp/t/summary.json"
check "tamper: a changed fingerprint in run 3's summary.json is seen" \
    eval '! runs_match "$tmp/merged.db" "${sums[@]:0:2}" "$tmp/t/summary.json" "${sums[3]}" >/dev/null'

echo "sweep chain ($mode): $pass passed, $fail failed"
[ "$fail" = 0 ]
