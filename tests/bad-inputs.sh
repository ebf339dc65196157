#!/bin/sh
# tests/bad-inputs.sh - every file in tests/bad/ must be rejected cleanly.
#
# usage: tests/bad-inputs.sh FLEETSIM_BINARY
#
# Each tests/bad/NAME.yaml starts with two comment lines:
#   # expect: <substring of the error message>
#   # where: LINE:COLUMN
# Files that cannot hold a comment (binary garbage, empty) are listed in the
# table below. For each file, `FLEETSIM validate FILE` must exit with status
# 2 (not a signal), and its stderr must contain `FILE:LINE:COLUMN` and the
# expected substring. Prints `N passed, N failed`; exits 1 on any failure.

set -u
bin=${1:?usage: tests/bad-inputs.sh FLEETSIM_BINARY}
dir=$(dirname "$0")/bad

# name|where|expected substring, for files without comments.
table='binary.yaml|1:1|not a text file
empty.yaml|1:1|empty scenario'

passed=0
failed=0
err=$(mktemp) || exit 1
trap 'rm -f "$err"' EXIT

fail() {
    echo "FAIL $1: $2"
    sed 's/^/    /' "$err"
    failed=$((failed + 1))
}

for file in "$dir"/*.yaml; do
    name=$(basename "$file")
    row=$(printf '%s\n' "$table" | grep "^$name|" || true)
    if [ -n "$row" ]; then
        where=$(printf '%s' "$row" | cut -d'|' -f2)
        expect=$(printf '%s' "$row" | cut -d'|' -f3-)
    else
        expect=$(sed -n '1s/^# expect: //p' "$file")
        where=$(sed -n '2s/^# where: //p' "$file")
    fi
    if [ -z "$expect" ] || [ -z "$where" ]; then
        : >"$err"
        fail "$name" "no '# expect:' / '# where:' lines and not in the table"
        continue
    fi
    "$bin" validate "$file" >/dev/null 2>"$err"
    status=$?
    if [ "$status" -ne 2 ]; then
        fail "$name" "exit status $status, expected 2"
    elif ! grep -qF -- "$file:$where:" "$err"; then
        fail "$name" "no '$file:$where:' in the error"
    elif ! grep -qF -- "$expect" "$err"; then
        fail "$name" "error does not contain '$expect'"
    else
        passed=$((passed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
