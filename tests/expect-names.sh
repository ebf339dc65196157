#!/bin/sh
# tests/expect-names.sh - expectation labels must name what the scenario
# defines (scenario format 1.1, "expect").
#
# usage: tests/expect-names.sh FLEETSIM_BINARY
#
# For every free-form label (product, group, os, app, image, deployment id,
# ticket reason) and every metric that has it, a scenario is generated twice
# from one base: once naming a thing the base defines (validate must accept
# it, so the check is not refusing everything) and once with a typo (validate
# must exit 2 with FILE:LINE:COLUMN pointing at the label's value and a "did
# you mean" hint naming the right thing). Prints `N passed, N failed`.
set -u
bin=${1:?usage: tests/expect-names.sh FLEETSIM_BINARY}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

base() {
    cat <<'YAML'
scenario: names
duration: 1d
products: [{name: DW100}]
groups: [{name: field-a}]
images:
  - {id: os-23.04, version: "23.04", size: 4MiB}
  - {id: os-24.01, version: "24.01", size: 4MiB}
  - {id: app-1.5.0, kind: app, name: dw, product: DW100, version: 1.5.0, size: 300KiB}
fleet:
  - {product: DW100, count: 10, group: field-a, os: os-23.04, app: app-1.5.0,
     wear: {heater: 10%}}
timeline:
  - at: 1h
    deploy: {id: os-field, image: os-24.01}
expect:
YAML
}

# metric|label|a defined value|a typo of it
cases='devices|product|DW100|DW1000
devices|group|field-a|field-b
devices|os|24.01|24.1
devices|os|os-24.01|os-24.1
devices|app|app-1.5.0|app-1.6.0
devices|app|1.5.0|1.5.1
updates|image|app-1.5.0|app-1.6.0
updates|image|os-24.01|os-24.02
error_reports|image|os-23.04|os-23.4
rollout_state|id|os-field|os-feild
rollout_wave|id|os-field|os-fielt
rollout_time|id|os-field|os-feld
tickets|reason|heater|heaters'

check() { # name expected-status file [substring]
    "$bin" validate "$3" >"$tmp/out" 2>"$tmp/err"
    st=$?
    ok=1
    [ "$st" = "$2" ] || ok=0
    if [ -n "${4:-}" ] && ! grep -qF -- "$4" "$tmp/err"; then ok=0; fi
    if [ $ok = 1 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $1: exit $st (wanted $2${4:+, stderr with '$4'})"
        sed 's/^/    /' "$tmp/err"
    fi
}

i=0
while IFS='|' read -r metric label good typo; do
    i=$((i + 1))
    value=0
    more=
    [ "$metric" = rollout_state ] && value='"halted"'
    [ "$metric" = rollout_time ] && value=1d && more=', reached="99%"'
    line=$(($(base | wc -l) + 1))
    { base; printf '  - %s{%s="%s"%s} != %s\n' "$metric" "$label" "$good" "$more" "$value"; } >"$tmp/good$i.yaml"
    check "$metric{$label=\"$good\"}" 0 "$tmp/good$i.yaml"
    { base; printf '  - %s{%s="%s"%s} != %s\n' "$metric" "$label" "$typo" "$more" "$value"; } >"$tmp/typo$i.yaml"
    column=$((5 + ${#metric} + 1 + ${#label} + 1))
    check "$metric{$label=\"$typo\"} position" 2 "$tmp/typo$i.yaml" "typo$i.yaml:$line:$column:"
    check "$metric{$label=\"$typo\"} hint" 2 "$tmp/typo$i.yaml" "did you mean"
done <<EOF2
$cases
EOF2
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
