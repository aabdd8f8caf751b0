#!/usr/bin/env bash
# Packages the built function app as a zip for Flex Consumption's one-deploy:
#   the compiled app (dist/) without what only development needs -- the compiled tests, the bench
#   and the local host with its development smart host (src/local) --, host.json, relay-policy.json
#   when the project has one, package.json,
#   package-lock.json and the production node_modules only, installed from the lock file into a
#   staging folder so the developer's own node_modules (with dev dependencies) stays untouched.
#
# Usage: infra/package.sh [--dist DIR] OUTPUT.zip
#   --dist DIR   the compiled app to package (default: dist/; deploy.sh passes a fresh build)
# Run `npm run build` first; deploy.sh does both.
set -euo pipefail

usage() {
  echo "Usage: infra/package.sh [--dist DIR] OUTPUT.zip" >&2
  exit 2
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dist="$root/dist"
if [[ ${1:-} == --dist ]]; then
  [[ $# -ge 2 ]] || usage
  dist="$2"
  shift 2
fi
if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then usage; fi
out="$1"
[[ $out == /* ]] || out="$PWD/$out"

for cmd in npm zip; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    echo "package.sh: '$cmd' is required but was not found on PATH" >&2
    exit 1
  fi
done
if ! compgen -G "$dist/functions/*.js" >/dev/null; then
  echo "package.sh: no compiled functions in $dist/functions: run 'npm run build' first" >&2
  exit 1
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

cp -R "$dist" "$stage/dist"
# Compiled alongside the app, but no part of it: nothing the functions load imports these (the
# package test loads every function from the zip to hold that).
rm -rf "$stage/dist/test" "$stage/dist/bench" "$stage/dist/src/local"
cp "$root/host.json" "$root/package.json" "$root/package-lock.json" "$stage/"
# The delivery policy, when the project has one: the app reads relay-policy.json at its root
# (docs/policy.md). Checked before it ships, so a bad policy fails here rather than at start-up.
if [[ -f "$root/relay-policy.json" ]]; then
  node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$root/relay-policy.json" ||
    { echo "package.sh: relay-policy.json is not JSON; fix it before packaging" >&2; exit 1; }
  cp "$root/relay-policy.json" "$stage/"
fi

# --ignore-scripts: nothing in production needs an install script, so none gets to run.
# --prefer-offline: cached tarballs are fine, the lock file pins their integrity hashes.
(cd "$stage" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >&2)

rm -f "$out"
(cd "$stage" && zip -q -r -X "$out" .)
echo "package.sh: wrote $out ($(du -h "$out" | cut -f1))" >&2
