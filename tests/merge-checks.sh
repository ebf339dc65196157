#!/usr/bin/env bash
# tests/merge-checks.sh FLEETSIM - fleetsim merge and the sweep report,
# checked against the single runs they were made from.
#
# Owns: a 4-seed and a 12-seed merge of a small scenario with a rollout and
# an attack (tamper-in-transit, 40 devices), a sweep with two parameter
# values and unreached times, and the refusals (exit 2, file named, no
# output left). Figures are recomputed by hand from each run's fleet.db
# with sqlite3 and compared with the merged database and sweep-report.json.
# Prints one line per failed check and ends with "N passed, N failed".
set -u
bin=${1:?usage: merge-checks.sh FLEETSIM}
. "$(dirname "$0")/check-lib.sh" # $tmp, pass/fail, check()
command -v sqlite3 >/dev/null || { echo "merge-checks: sqlite3 missing (apt-get install sqlite3)"; exit 1; }
scn=scenarios/attacks/tamper-in-transit.yaml

for s in $(seq 1 12); do
    "$bin" run "$scn" --quiet --seed "$s" --out "$tmp/r$s" >/dev/null || { echo "run of seed $s failed"; exit 1; }
done
four=("$tmp"/r{1..4}/fleet.db)
twelve=()
for s in $(seq 1 12); do twelve+=("$tmp/r$s/fleet.db"); done

"$bin" merge "$tmp/m4.db" "${four[@]}"; rc=$?
check "merge of 4 runs exits 0" test "$rc" = 0
"$bin" merge "$tmp/m4-again.db" "${four[@]}"
check "the same inputs give the same bytes" cmp -s "$tmp/m4.db" "$tmp/m4-again.db"
check "merge leaves no temporary file" test -z "$(ls -A "$tmp" | grep tmp)"
check "merge table says schema_version 1" test "$(sqlite3 "$tmp/m4.db" "SELECT value FROM merge WHERE key = 'schema_version'")" = 1
check "merged database has no run table" test "$(sqlite3 "$tmp/m4.db" "SELECT count(*) FROM sqlite_master WHERE name = 'run'")" = 0

# Every per-run table: the rows of run k are the rows of input k.
rows_match() { # merged db, then the inputs in order
    local m=$1; shift
    local k=1 ok=0
    for db in "$@"; do
        for t in $(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'run' ORDER BY name"); do
            local a b
            a=$(sqlite3 "$db" "SELECT count(*) FROM \"$t\"")
            b=$(sqlite3 "$m" "SELECT count(*) FROM \"$t\" WHERE run = $k")
            [ "$a" = "$b" ] || { echo "  run $k table $t: $a rows in the run, $b merged"; ok=1; }
        done
        local fa fb
        fa=$(sqlite3 "$db" "SELECT value FROM run WHERE key = 'fingerprint'")
        fb=$(sqlite3 "$m" "SELECT fingerprint FROM runs WHERE run = $k")
        [ "$fa" = "$fb" ] || { echo "  run $k fingerprint $fa, merged $fb"; ok=1; }
        [ "$(sqlite3 "$m" "SELECT path FROM runs WHERE run = $k")" = "$db" ] || { echo "  run $k path"; ok=1; }
        k=$((k + 1))
    done
    [ "$(sqlite3 "$m" "SELECT count(*) FROM runs")" = "$#" ] || { echo "  runs count"; ok=1; }
    return $ok
}
check "4 runs: rows per table per run and fingerprints equal the single runs'" rows_match "$tmp/m4.db" "${four[@]}"
check "a table's contents come across whole (events of run 3)" test \
    "$(sqlite3 "${four[2]}" "SELECT * FROM events ORDER BY seq" | md5sum)" = \
    "$(sqlite3 "$tmp/m4.db" "SELECT seq, t_us, name, deployment, wave, kind, target, outcome, rule, rate, devices, detail FROM events WHERE run = 3 ORDER BY seq" | md5sum)"
check "indexes lead with run" test "$(sqlite3 "$tmp/m4.db" "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE '%(run, %'")" = 0

"$bin" merge "$tmp/m12.db" "${twelve[@]}"; rc=$?
check "merge of 12 runs (two batches of attachments) exits 0" test "$rc" = 0
check "12 runs: rows per table per run and fingerprints equal the single runs'" rows_match "$tmp/m12.db" "${twelve[@]}"

# Time to P% of deployment 0 in one run (docs/fleet-db.md's question), or NULL.
reach() { # db, pct
    sqlite3 "$1" "WITH c AS (SELECT confirmed_us, row_number() OVER (ORDER BY confirmed_us, device) AS n FROM device_deployments WHERE deployment = 0 AND confirmed_us IS NOT NULL) SELECT (SELECT min(confirmed_us) FROM c WHERE n >= ($2 * d.targets + 99) / 100) - d.start_us FROM deployments d WHERE idx = 0"
}
# Nearest rank p of the values on stdin (empty = not reached, sorted last).
nearest() { # p, n
    sed 's/^$/9223372036854775807/' | sort -n | sed -n "$(( ($1 * $2 + 99) / 100 ))p" |
        sed 's/^9223372036854775807$/null/'
}
json_get() { # file, python expression on j
    python3 -c "import json,sys; j=json.load(open(sys.argv[1])); v=$2; print('null' if v is None else v)" "$1"
}
"$bin" report "$tmp/m12.db" --json; rc=$?
check "report --json of a merged database exits 0" test "$rc" = 0 -a -s "$tmp/sweep-report.json"
for p in 50 90 99; do
    for q in 50 5 95; do
        want=$(for db in "${twelve[@]}"; do reach "$db" $p; done | nearest $q 12)
        key=$([ $q = 50 ] && echo median_us || echo p${q}_us)
        got=$(json_get "$tmp/sweep-report.json" "j['groups'][0]['deployments'][0]['time_to']['$p']['$key']")
        check "time to $p%: percentile $q by hand ($want) equals sweep-report.json ($got)" test "$want" = "$got"
    done
done
want=$(for db in "${twelve[@]}"; do sqlite3 "$db" "SELECT count(*) FROM events WHERE name = 'attack_ended' AND outcome = 'blocked'"; done | nearest 50 12)
got=$(json_get "$tmp/sweep-report.json" "[a for a in j['groups'][0]['attacks'] if a['outcome'] == 'blocked'][0]['attempts']['median']")
check "blocked attacks: median by hand ($want) equals sweep-report.json ($got)" test "$want" = "$got"
got=$(json_get "$tmp/sweep-report.json" "j['groups'][0]['runs']")
check "one group of 12 runs" test "$got" = 12
"$bin" report "$tmp/m12.db"; rc=$?
check "report of a merged database writes sweep.html beside it" test "$rc" = 0 -a -s "$tmp/sweep.html"
check "sweep.html has no external URL" test -z "$(grep -oE '(src|href)="(https?:)?//' "$tmp/sweep.html")"
cp "$tmp/sweep.html" "$tmp/sweep-1.html"
"$bin" report "$tmp/m12.db" -o "$tmp/sweep-2.html"
check "sweep.html is the same bytes again" cmp -s "$tmp/sweep-1.html" "$tmp/sweep-2.html"
"$bin" report "$tmp/m12.db" "${four[0]}" -o "$tmp/cmp.html" 2>"$tmp/err"; rc=$?
check "comparing a merged database exits 2, says why" test "$rc" = 2 -a ! -e "$tmp/cmp.html"
check "... naming it" grep -q "$tmp/m12.db: error: a merged database" "$tmp/err"
cp "$tmp/m4.db" "$tmp/m-future.db"
sqlite3 "$tmp/m-future.db" "UPDATE merge SET value = '9' WHERE key = 'schema_version'"
"$bin" report "$tmp/m-future.db" -o "$tmp/future.html" 2>"$tmp/err"; rc=$?
check "a merged database of a later format: exit 2, named, nothing written" \
    test "$rc" = 2 -a ! -e "$tmp/future.html" -a -n "$(grep "$tmp/m-future.db: error: a merged database of format 9" "$tmp/err")"

# Two parameter values (the run table's parameters key, as fleetsim sweep's
# runs carry it) and a cut-short copy where 99% is not always reached.
for s in 1 2 3 4; do
    mkdir -p "$tmp/p$s"
    cp "${four[$((s - 1))]}" "$tmp/p$s/fleet.db"
    v=$([ $s -le 2 ] && echo 1Gbps || echo 10Gbps)
    sqlite3 "$tmp/p$s/fleet.db" "INSERT OR REPLACE INTO run VALUES('parameters', 'service.egress=$v')"
done
sed -e 's/^duration: 4h/duration: 93m/' -e '/^expect:/,$d' "$scn" >"$tmp/cut.yaml"
for s in 1 2 3 4; do
    "$bin" run "$tmp/cut.yaml" --quiet --seed "$s" --out "$tmp/c$s" >/dev/null 2>&1
done
"$bin" merge "$tmp/mp.db" "$tmp"/p{1..4}/fleet.db "$tmp"/c{1..4}/fleet.db; rc=$?
check "merge of runs with parameters exits 0" test "$rc" = 0
check "parameters come into runs" test "$(sqlite3 "$tmp/mp.db" "SELECT group_concat(parameters, '|') FROM (SELECT parameters FROM runs ORDER BY run)")" = \
    "service.egress=1Gbps|service.egress=1Gbps|service.egress=10Gbps|service.egress=10Gbps||||"
"$bin" report "$tmp/mp.db" --json -o "$tmp/mp.json"; rc=$?
check "report --json -o FILE exits 0" test "$rc" = 0 -a -s "$tmp/mp.json"
check "three groups, in the order of their first run" test \
    "$(json_get "$tmp/mp.json" "'|'.join(g['parameters'] + ':' + str(g['runs']) for g in j['groups'])")" = \
    "service.egress=1Gbps:2|service.egress=10Gbps:2|:4"
want=0
for s in 1 2 3 4; do [ -z "$(reach "$tmp/c$s/fleet.db" 99)" ] && want=$((want + 1)); done
got=$(json_get "$tmp/mp.json" "j['groups'][2]['deployments'][0]['time_to']['99']['not_reached']")
check "runs that never reached 99% are counted ($want by hand, $got)" test "$want" = "$got" -a "$want" -gt 0
want=$(for s in 1 2 3 4; do reach "$tmp/c$s/fleet.db" 99; done | nearest 95 4)
got=$(json_get "$tmp/mp.json" "j['groups'][2]['deployments'][0]['time_to']['99']['p95_us']")
check "an unreached percentile is null ($want by hand, $got)" test "$want" = "$got" -a "$got" = null
"$bin" report "$tmp/mp.db" -o "$tmp/mp.html"
check "sweep.html shows not reached" grep -q "not reached in $(json_get "$tmp/mp.json" "j['groups'][2]['deployments'][0]['time_to']['99']['not_reached']") of 4" "$tmp/mp.html"

# Refusals: exit 2, the file named, no output and no temporary file.
refused() { # name, expected text in the message, then merge's arguments
    local name=$1 text=$2; shift 2
    rm -f "$tmp/bad.db" "$tmp/err"
    "$bin" merge "$@" 2>"$tmp/err"; local rc=$?
    check "$name: exit 2" test "$rc" = 2
    check "$name: says '$text'" grep -qF -- "$text" "$tmp/err"
    check "$name: no output left" test ! -e "$tmp/bad.db" -a -z "$(ls -A "$tmp" | grep tmp)"
}
printf 'scenario: x\n' >"$tmp/not.db"
refused "a file that is not a database" "$tmp/not.db: error: not a fleet database" "$tmp/bad.db" "${four[0]}" "$tmp/not.db"
refused "a missing input" "$tmp/none.db: error: cannot open" "$tmp/bad.db" "${four[0]}" "$tmp/none.db"
refused "a folder" "$tmp/r1: error: not a fleet database" "$tmp/bad.db" "$tmp/r1"
cp "${four[1]}" "$tmp/v2.db"
sqlite3 "$tmp/v2.db" "PRAGMA user_version = 2"
refused "a database of schema 2" "$tmp/v2.db: error: not a fleet database of schema 3" "$tmp/bad.db" "${four[0]}" "$tmp/v2.db"
sqlite3 "$tmp/empty.db" "CREATE TABLE t(x)"
refused "an SQLite file that is no fleet.db" "$tmp/empty.db: error: not a fleet database" "$tmp/bad.db" "$tmp/empty.db"
refused "a merged database as input" "$tmp/m4.db: error: a merged database" "$tmp/bad.db" "${four[0]}" "$tmp/m4.db"
refused "an input given twice" "given twice" "$tmp/bad.db" "${four[0]}" "${four[1]}" "${four[0]}"
refused "an input given twice by another path" "given twice" "$tmp/bad.db" "${four[0]}" "$tmp/r1/../r1/fleet.db"
cp "${four[0]}" "$tmp/out-in.db"; sum=$(md5sum <"$tmp/out-in.db")
"$bin" merge "$tmp/out-in.db" "${four[1]}" "$tmp/out-in.db" 2>"$tmp/err"; rc=$?
check "OUT that is an input: exit 2, input untouched" test "$rc" = 2 -a "$(md5sum <"$tmp/out-in.db")" = "$sum"
check "OUT that is an input: said" grep -q "the output is input 2" "$tmp/err"
cp "${four[2]}" "$tmp/extra.db"
sqlite3 "$tmp/extra.db" "CREATE TABLE extra(x)"
refused "tables that differ from the first input's" "tables or indexes differ" "$tmp/bad.db" "${four[0]}" "$tmp/extra.db"
"$bin" merge "$tmp/nodir/out.db" "${four[0]}" 2>"$tmp/err"; rc=$?
check "an OUT that cannot be written: exit 2, named" test "$rc" = 2 -a -n "$(grep "$tmp/nodir/out.db" "$tmp/err")"
"$bin" merge "$tmp/bad.db" 2>/dev/null; rc=$?
check "merge without inputs exits 2" test "$rc" = 2
"$bin" merge 2>/dev/null; rc=$?
check "merge without arguments exits 2" test "$rc" = 2
"$bin" merge --bogus "$tmp/bad.db" "${four[0]}" 2>/dev/null; rc=$?
check "merge with an unknown option exits 2" test "$rc" = 2 -a ! -e "$tmp/bad.db"
"$bin" merge --help >/dev/null; rc=$?
check "merge --help exits 0" test "$rc" = 0
"$bin" report "${four[0]}" --json 2>/dev/null; rc=$?
check "report --json of a single run exits 2" test "$rc" = 2

# A signal while merging: the temporary file goes, OUT.db is left as it
# was. The input is made large enough (a million extra samples) for the
# merge to take about two seconds.
cp "${four[0]}" "$tmp/big.db"
sqlite3 "$tmp/big.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) INSERT INTO metric_samples SELECT 1000000000 + i, 0, i FROM n"
printf 'earlier\n' >"$tmp/sig.db"
"$bin" merge "$tmp/sig.db" "$tmp/big.db" "${four[1]}" 2>/dev/null &
pid=$!
for _ in $(seq 1 100); do [ -e "$tmp/.sig.db.tmp" ] && break; sleep 0.02; done
sleep 0.2
kill -TERM "$pid"; wait "$pid"; rc=$?
check "SIGTERM while merging: exit 143" test "$rc" = 143
check "SIGTERM while merging: temporary file removed, OUT.db as it was" \
    test ! -e "$tmp/.sig.db.tmp" -a "$(cat "$tmp/sig.db")" = earlier

echo "merge checks: $pass passed, $fail failed"
[ "$fail" = 0 ]
