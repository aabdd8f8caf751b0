#!/usr/bin/env bash
# Runs each test of the given compiled test files by itself (node --test --test-name-pattern), so that a
# test that only passes after another one shows up; with no arguments, every file under dist/test.
# Build first (npm run build). Prints one line per test and ends non-zero if any failed alone.
#   bash test/support/eachTestAlone.sh dist/test/functions/sendMessage.test.js dist/test/local/devSmartHost.test.js
set -uo pipefail
cd "$(dirname "$0")/../.."
files=("$@")
if [ ${#files[@]} -eq 0 ]; then mapfile -t files < <(find dist/test -name '*.test.js' | sort); fi

failed=0
for file in "${files[@]}"; do
  # The names of its tests: top-level ones, and those one level down in a describe block.
  mapfile -t names < <(node --test --test-reporter=tap "$file" 2>/dev/null | sed -n -e 's/^# Subtest: //p' -e 's/^    # Subtest: //p' | awk '!seen[$0]++')
  for name in "${names[@]}"; do
    pattern="^$(printf '%s' "$name" | sed 's/[][\.*^$?+(){}|/]/\\&/g')\$"
    started=$(date +%s)
    if output=$(node --test --test-name-pattern="$pattern" "$file" 2>&1) && grep -q '^# pass [1-9]' <<<"$output" && grep -q '^# fail 0' <<<"$output"; then
      echo "ok   $(($(date +%s) - started))s  $file: $name"
    else
      echo "FAIL $(($(date +%s) - started))s  $file: $name"
      grep -E '^# (pass|fail)|error:' <<<"$output" | head -5 | sed 's/^/       /'
      failed=1
    fi
  done
done
exit "$failed"
