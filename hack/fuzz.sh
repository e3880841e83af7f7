#!/usr/bin/env bash
# Runs every Go fuzz target in the repository, one after another, each for the given time
# (go test -fuzztime: a duration such as 60s, or a count of inputs such as 300x).
# Usage: hack/fuzz.sh [FUZZTIME] [TARGET-REGEXP]
#   make test runs each briefly (a fixed count); make fuzz runs each for longer.
# A failing input is written under the package's testdata/fuzz/<Target>/: commit it with the
# fix, and plain `go test` replays it from then on.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime="${1:-60s}"
only="${2:-.}"

targets=()
while IFS= read -r file; do
	dir="./$(dirname "${file#./}")"
	while IFS= read -r name; do
		targets+=("$dir $name")
	done < <(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | cut -d' ' -f2)
done < <(find . -name '*_test.go' -not -path './bin/*' -not -path './.local/*' -print0 | xargs -0 grep -l '^func Fuzz' | sort)

failed=0
start=$SECONDS
for t in "${targets[@]}"; do
	read -r dir name <<<"$t"
	[[ "$name" =~ $only ]] || continue
	echo "fuzz: $dir $name ($fuzztime)"
	if ! go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$dir" >/tmp/fuzz.$$.log 2>&1; then
		cat /tmp/fuzz.$$.log
		failed=$((failed + 1))
	fi
done
rm -f /tmp/fuzz.$$.log
echo "fuzz: ${#targets[@]} targets, $failed failed, $((SECONDS - start)) s"
[[ $failed -eq 0 ]]
