# tests/check-lib.sh - sourced by the shell checks (tests/*-checks.sh and
# the like) before their first check.
#
# Owns: $tmp, a temporary folder removed when the script exits; the pass
# and fail counts; check NAME CMD..., which runs CMD and counts it, naming
# NAME when it fails.
# Does not: print the totals or choose the exit status (each script ends
# with its own "N passed, N failed" line), or run any check itself.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, then a command that must succeed
    local name=$1
    shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $name"; fi
}
