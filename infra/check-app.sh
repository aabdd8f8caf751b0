#!/usr/bin/env bash
# Checks a deployed relay the way deploy.sh does after publishing, rather than trusting the Azure
# CLI's own health poll: every function is listed, the Key Vault references resolve after the
# documented refresh, and the send URL answers 401 to a request without a function key. Each check
# waits with back-off (new role assignments take up to 10 minutes to apply). Exits 1 when a function
# is missing or the send URL does not ask for a key; an unresolved Key Vault reference is a warning.
#
# Usage: infra/check-app.sh --resource-group RG --name APP --site-id ID --send-url URL FUNCTION...
#   ID is the app's resource id (/subscriptions/.../providers/Microsoft.Web/sites/APP).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/deploy-lib.sh
source "$here/deploy-lib.sh"

resource_group="" function_app="" site_id="" send_url=""
expected_functions=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --resource-group | --name | --site-id | --send-url)
      [[ $# -ge 2 ]] || fail "$1 needs a value"
      case "$1" in
        --resource-group) resource_group="$2" ;;
        --name) function_app="$2" ;;
        --site-id) site_id="$2" ;;
        --send-url) send_url="$2" ;;
      esac
      shift 2
      ;;
    -*) fail "check-app.sh: unknown option '$1'" ;;
    *)
      expected_functions+=("$1")
      shift
      ;;
  esac
done
[[ -n $resource_group && -n $function_app && -n $site_id && -n $send_url && ${#expected_functions[@]} -gt 0 ]] ||
  fail "usage: infra/check-app.sh --resource-group RG --name APP --site-id ID --send-url URL FUNCTION..."

say "waiting for the functions to be listed: ${expected_functions[*]}"
attempt=1
while true; do
  listed="$(az_bounded 60 functionapp function list --resource-group "$resource_group" --name "$function_app" \
    --query '[].name' --output json 2>/dev/null || true)"
  missing="$(LISTED="$listed" node -e '
    let names = [];
    try { names = JSON.parse(process.env.LISTED || "[]").map((n) => String(n).split("/").pop()); } catch {}
    console.log(process.argv.slice(1).filter((f) => !names.includes(f)).join(" "));' "${expected_functions[@]}")"
  [[ -z $missing ]] && break
  ((attempt < max_attempts)) || fail "the app does not list these functions: $missing (see its logs in Application Insights)"
  back_off "$attempt"
  attempt=$((attempt + 1))
done

# A wrong or unresolved Key Vault reference looks like a wrong password and defers every delivery,
# so make the platform resolve the references now (the documented refresh) and look at each one.
say "resolving the app's Key Vault references"
attempt=1
while true; do
  az_bounded 60 rest --method post --uri "$site_id/config/configreferences/appsettings/refresh?api-version=2022-03-01" \
    --output none >/dev/null 2>&1 || true
  references="$(az_bounded 60 rest --method get --uri "$site_id/config/configreferences/appsettings?api-version=2022-03-01" \
    --output json 2>/dev/null || true)"
  unresolved="$(REFERENCES="$references" node -e '
    let doc;
    try { doc = JSON.parse(process.env.REFERENCES || ""); } catch { console.log("(the references could not be read)"); process.exit(); }
    const bad = (doc.value || [])
      .map((r) => ({ name: String(r.name || "").split("/").pop(), p: r.properties || {} }))
      .filter((r) => r.p.status !== "Resolved")
      .map((r) => `${r.name}: ${r.p.status || "no status"}${r.p.details ? ` (${r.p.details})` : ""}`);
    console.log(bad.join("; "));')"
  [[ -z $unresolved ]] && break
  if ((attempt >= max_attempts)); then
    say "WARNING: Key Vault references not resolved: $unresolved"
    say "WARNING: until they resolve the app sees no password and every delivery is deferred; check the app identity's Key Vault Secrets User role and the secret"
    break
  fi
  back_off "$attempt"
  attempt=$((attempt + 1))
done
[[ -n $unresolved ]] || say "every Key Vault reference is resolved"

# The send endpoint must refuse a caller without a function key. Until the host is up it may answer
# 404 or 5xx, or not at all; anything else (a 2xx, a 400) means the key is not being asked for.
say "checking that $send_url refuses a request without a function key"
attempt=1
while true; do
  answer="$(node -e '
    fetch(process.argv[1], { method: "POST", headers: { "content-type": "application/json" }, body: "{}", signal: AbortSignal.timeout(30000) })
      .then((r) => console.log(r.status), (e) => console.log(`no answer (${e.cause?.code || e.name})`));' "$send_url")"
  [[ $answer == 401 ]] && break
  if [[ $answer =~ ^[0-9]+$ ]] && ((answer != 404 && answer < 500)); then
    fail "$send_url answered $answer to a request without a function key instead of 401"
  fi
  ((attempt < max_attempts)) || fail "$send_url did not answer 401 to a request without a function key (last: $answer)"
  back_off "$attempt"
  attempt=$((attempt + 1))
done
say "a request without a key gets 401"
