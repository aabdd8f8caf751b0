#!/usr/bin/env bash
# The memo in front of the real Bicep CLI that test/infra/bicepCache.ts describes. REAL_BICEP is the
# command of the real CLI, BICEP_MEMO_DIR where answers are kept, BICEP_MEMO_SOURCES the infra/ folder.
set -euo pipefail
read -r -a real <<<"$REAL_BICEP"
cache="$BICEP_MEMO_DIR"
# build FILE --outfile OUT, or snapshot FILE.bicepparam OPTIONS...: anything else is not kept.
case "$#:${1:-}:${3:-}" in
  4:build:--outfile) out="$4" input=() ;;
  *:snapshot:*) out="${2%.bicepparam}.snapshot.json" input=("$2") ;;
  *) exec "${real[@]}" "$@" ;;
esac
key="$({
  find "$BICEP_MEMO_SOURCES" -path "$BICEP_MEMO_SOURCES/.bicep" -prune -o \( -name '*.bicep' -o -name bicepconfig.json \) -type f -print0 |
    sort -z | xargs -0 cat
  cat "${input[@]}" /dev/null
  [[ $1 == build ]] && printf '%s\n' "$1" "$2" || printf '%s\n' "$@"
} | sha256sum | cut -c1-64)"
entry="$cache/$key"
if [[ ! -d $entry ]]; then
  status=0
  "${real[@]}" "$@" >"$entry.stdout.$$" 2>"$entry.stderr.$$" || status=$?
  if ((status != 0)); then
    cat "$entry.stdout.$$"
    cat "$entry.stderr.$$" >&2
    rm -f "$entry.stdout.$$" "$entry.stderr.$$"
    exit "$status"
  fi
  mkdir -p "$entry.$$"
  mv "$entry.stdout.$$" "$entry.$$/stdout"
  mv "$entry.stderr.$$" "$entry.$$/stderr"
  cp "$out" "$entry.$$/out"
  mv -T "$entry.$$" "$entry" 2>/dev/null || rm -rf "$entry.$$"
fi
cp "$entry/out" "$out"
cat "$entry/stdout"
cat "$entry/stderr" >&2
