#!/usr/bin/env bash
# tests/crypto-model-check.sh - `--crypto model` changes key and signature
# bytes and nothing else.
#
# usage: tests/crypto-model-check.sh FLEETSIM [SCENARIO...]
#
# Runs each scenario (default: every scenario of scenarios/attacks/, which
# holds every attack kind defended and undefended and every fault kind,
# plus a few rollouts of scenarios/ and tests/scenarios/) with --trace
# under --crypto real and --crypto model, and asserts per scenario:
#   - the model run really used the model: summary.json, fleet.db's run
#     table and the trace header say crypto=model, and the signer public
#     keys in fleet.db differ from the real run's (so the two are not the
#     same run twice);
#   - the same exit status, and summary.json identical apart from crypto,
#     threads (model runs default to 1, real ones to the cores) and the
#     measured wall_s and peak_rss_bytes: expectations with their
#     values and verdicts, deployments, every metric, the fingerprint;
#   - fleet.db identical table by table, row by row, apart from the
#     columns holding key bytes (service_devices.public_key,
#     signers.public_key, secrets.public_key, secrets.sealed) and the run
#     row crypto;
#   - the trace's records identical byte for byte (fleetsim diff finds no
#     difference, and the decompressed traces differ only in the header's
#     crypto= line), so the fingerprints are equal;
#   - report.html identical apart from its crypto row.
# Prints one line per failing check and ends with "N passed, N failed".
set -u
bin=${1:?usage: tests/crypto-model-check.sh FLEETSIM [SCENARIO...]}
shift
if [ $# -gt 0 ]; then
    scenarios=("$@")
else
    scenarios=(scenarios/attacks/*.yaml scenarios/canary-halts.yaml
        scenarios/app-and-os.yaml tests/scenarios/basic-attest.yaml
        tests/scenarios/revoke-device.yaml tests/scenarios/wear-tickets.yaml)
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, then a command that must succeed
    local name=$1
    shift
    if "$@"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAILED: $name"
    fi
}

# summary.json of A and B equal apart from the keys a run cannot pin; B
# must say crypto=model and A crypto=real.
summary_same() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
if a.get("crypto") != "real" or b.get("crypto") != "model":
    print("  crypto keys:", a.get("crypto"), b.get("crypto"))
    sys.exit(1)
for d in (a, b):
    for k in ("crypto", "threads", "wall_s", "peak_rss_bytes"):
        d.pop(k, None)
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print("  summary.json differs at", k)
    sys.exit(1)
EOF
}

# fleet.db of A and B equal apart from key bytes; the keys must differ.
db_same() {
    python3 - "$1" "$2" <<'EOF'
import sqlite3, sys
KEY_COLUMNS = {("service_devices", "public_key"), ("signers", "public_key"),
               ("secrets", "public_key"), ("secrets", "sealed")}
def dump(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    out, keys = {}, {}
    for t in tables:
        cols = [r[1] for r in db.execute("PRAGMA table_info(%s)" % t)]
        keep = [c for c in cols if (t, c) not in KEY_COLUMNS]
        rows = db.execute("SELECT %s FROM %s" % (",".join(keep), t)).fetchall()
        if t == "run":
            crypto = [r for r in rows if r[0] == "crypto"]
            rows = [r for r in rows if r[0] != "crypto"]
            keys["crypto"] = crypto
        out[t] = (keep, sorted(rows, key=repr))
        for c in cols:
            if (t, c) in KEY_COLUMNS:
                keys[(t, c)] = db.execute(
                    "SELECT %s FROM %s" % (c, t)).fetchall()
    schema = db.execute("SELECT type, name, sql FROM sqlite_master "
                        "ORDER BY type, name").fetchall()
    return schema, out, keys
sa, a, ka = dump(sys.argv[1])
sb, b, kb = dump(sys.argv[2])
ok = True
if ka.get("crypto") != [("crypto", "real")] or \
   kb.get("crypto") != [("crypto", "model")]:
    print("  run.crypto:", ka.get("crypto"), kb.get("crypto"))
    ok = False
if sa != sb:
    print("  schemas differ")
    ok = False
for t in sorted(set(a) | set(b)):
    if a.get(t) != b.get(t):
        print("  table %s differs (%s rows vs %s)" % (
            t, len(a[t][1]) if t in a else "-", len(b[t][1]) if t in b else "-"))
        ok = False
if ka.get(("signers", "public_key")) == kb.get(("signers", "public_key")):
    print("  signers.public_key are the same: the model was not used")
    ok = False
sys.exit(0 if ok else 1)
EOF
}

# The decompressed traces: the same records, headers that differ only in
# the crypto= line (real in A, model in B).
trace_same() {
    python3 - "$1" "$2" <<'EOF'
import struct, subprocess, sys
def parts(path):
    raw = subprocess.run(["zstd", "-dc", path], check=True,
                         stdout=subprocess.PIPE).stdout
    hlen = struct.unpack_from("<I", raw, 12)[0]
    return raw[16:16 + hlen].decode().splitlines(), raw[16 + hlen:]
ha, ra = parts(sys.argv[1])
hb, rb = parts(sys.argv[2])
ok = True
if "crypto=real" not in ha or "crypto=model" not in hb:
    print("  trace headers lack crypto=real / crypto=model")
    ok = False
if [l for l in ha if not l.startswith("crypto=")] != \
   [l for l in hb if not l.startswith("crypto=")]:
    print("  trace headers differ beyond crypto=")
    ok = False
if ra != rb:
    n = min(len(ra), len(rb))
    i = next((i for i in range(n) if ra[i] != rb[i]), n)
    print("  trace records differ from byte %d (record %d)" % (i, i // 24))
    ok = False
sys.exit(0 if ok else 1)
EOF
}

# report.html of A and B equal once the crypto row is taken out.
report_same() {
    cmp -s <(sed 's|<tr><th>crypto</th><td>[^<]*</td></tr>||' "$1") \
        <(sed 's|<tr><th>crypto</th><td>[^<]*</td></tr>||' "$2") &&
        grep -q '<tr><th>crypto</th><td>model' "$2"
}

for scn in "${scenarios[@]}"; do
    name=$(basename "${scn%.yaml}")
    r=$tmp/real/$name m=$tmp/model/$name
    "$bin" run "$scn" --quiet --trace --crypto real --out "$r"
    rc_r=$?
    "$bin" run "$scn" --quiet --trace --crypto model --out "$m"
    rc_m=$?
    check "$name: same exit status ($rc_r, $rc_m)" test "$rc_r" = "$rc_m"
    if [ ! -s "$r/summary.json" ] || [ ! -s "$m/summary.json" ]; then
        check "$name: both runs wrote their outputs" false
        continue
    fi
    check "$name: summary.json the same apart from crypto" \
        summary_same "$r/summary.json" "$m/summary.json"
    check "$name: fleet.db the same apart from key bytes" \
        db_same "$r/fleet.db" "$m/fleet.db"
    "$bin" diff "$r/trace.zst" "$m/trace.zst" >"$tmp/diff.out"
    rc=$?
    check "$name: fleetsim diff finds the traces identical" test "$rc" = 0
    [ "$rc" = 0 ] || head -5 "$tmp/diff.out"
    check "$name: trace records byte for byte the same" \
        trace_same "$r/trace.zst" "$m/trace.zst"
    check "$name: report.html the same apart from its crypto row" \
        report_same "$r/report.html" "$m/report.html"
    rm -rf "$r" "$m"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
