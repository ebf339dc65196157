#!/usr/bin/env bash
# tests/lint/layers.sh - checks that #include lines follow the layers.
#
# Owns: the table saying which folder each public header belongs to, which
# folders each folder may depend on, and the check of every source file's
# quoted #include lines against both.
# Invariants: the folder graph it finds has no cycle (checked with tsort);
# device/ and service/ never include each other; report/ sees only the
# engine and the shared vocabulary (the database and trace formats).
# Does not: look at system headers (<...>) or at tests/.
set -u
cd "$(dirname "$0")/../.."

# Public header -> the folder that implements it.
header_folder() {
    case "$1" in
    bytes|diag|err|json|mem|queue|rng|sim|units) echo sim/engine ;;
    config|crypto|ctx|image|metrics|msg) echo sim/model ;;
    keystore|boot|slots|firewall|update|apps|net|repq|fleet|physical) echo device ;;
    service|registry|attest|cert|rollout|download|errrep|store|cloud|upload) echo service ;;
    scn|expect|scenario) echo sim/scenario ;;
    attack) echo sim/attack ;;
    run) echo sim/run ;;
    cli|bench) echo sim/cli ;;
    report) echo report ;;
    testing) echo tests ;;
    *) echo "" ;;
    esac
}

# Folder -> the folders it may include from (itself always).
allowed() {
    case "$1" in
    sim/engine) echo "" ;;
    sim/model) echo "sim/engine" ;;
    device | service) echo "sim/engine sim/model" ;;
    sim/scenario) echo "sim/engine sim/model device service" ;;
    sim/attack) echo "sim/engine sim/model device service sim/scenario" ;;
    sim/run) echo "sim/engine sim/model device service sim/scenario sim/attack" ;;
    report) echo "sim/engine sim/model" ;;
    sim/cli) echo "sim/engine sim/model device service sim/scenario sim/attack sim/run report" ;;
    *) echo "" ;;
    esac
}

folders="sim/engine sim/model device service sim/scenario sim/attack sim/run report sim/cli"
status=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

# The folder of a file: include/fleetsim/X.h counts as X's folder.
file_folder() {
    case "$1" in
    include/fleetsim/*.h)
        local b=${1#include/fleetsim/}
        header_folder "${b%.h}"
        ;;
    *) dirname "$1" ;;
    esac
}

files=$(ls include/fleetsim/*.h; for d in $folders; do ls $d/*.[ch] 2>/dev/null; done)
for f in $files; do
    from=$(file_folder "$f")
    if [ -z "$from" ]; then
        echo "$f: public header missing from the table in tests/lint/layers.sh"
        status=1
        continue
    fi
    [ "$from" = tests ] && continue
    while IFS=: read -r line inc; do
        inc=${inc#*\"}
        inc=${inc%%\"*}
        case "$inc" in
        fleetsim/*.h)
            b=${inc#fleetsim/}
            to=$(header_folder "${b%.h}")
            ;;
        *)
            # A private header: only beside the file that includes it.
            if [ ! -f "$(dirname "$f")/$inc" ] || [ "${f#include/}" != "$f" ]; then
                echo "$f:$line: includes private header \"$inc\" of another folder"
                status=1
            fi
            continue
            ;;
        esac
        if [ "$to" = tests ]; then
            echo "$f:$line: includes the test-only header \"$inc\""
            status=1
            continue
        fi
        [ "$to" = "$from" ] && continue
        grep -qxF "$f $inc" tests/lint/layers.allow 2>/dev/null && continue
        echo "$from $to" >>"$edges"
        ok=0
        for a in $(allowed "$from"); do [ "$a" = "$to" ] && ok=1; done
        if [ $ok = 0 ]; then
            echo "$f:$line: $from must not include \"$inc\" ($to)"
            status=1
        fi
    done < <(grep -n '^#include "' "$f")
done

# Entries of the allow list (old violations being removed) that no longer
# happen must go, so the list only shrinks.
if [ -f tests/lint/layers.allow ]; then
    while read -r f inc; do
        case "$f" in "#"* | "") continue ;; esac
        grep -q "^#include \"$inc\"" "$f" 2>/dev/null || {
            echo "tests/lint/layers.allow: '$f $inc' no longer happens; remove it"
            status=1
        }
    done <tests/lint/layers.allow
fi

# A cycle between folders fails too.
if ! sort -u "$edges" | tsort >/dev/null 2>"$edges.err"; then
    echo "cycle between folders:"
    cat "$edges.err"
    status=1
fi
rm -f "$edges.err"
[ $status = 0 ] && echo "layers ok"
exit $status
