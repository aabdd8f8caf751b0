#!/usr/bin/env bash
# One-command deployment of the SMTP relay into an existing resource group:
# checks prerequisites, builds the app from scratch and packages it, compiles infra/main.bicep with
# the pinned Bicep CLI and checks the settings it would give the app with the app's own loadConfig,
# deploys it, publishes the package with Flex Consumption's one-deploy, then checks the running app:
# its functions are listed, its Key Vault references resolve, and a request without a key gets 401.
#
# Every az call has a time limit, and the steps that new role assignments can hold up (they take up
# to 10 minutes to apply) are retried with back-off. Two environment variables tune that:
#   DEPLOY_AZ_TIMEOUT_SECONDS  one time limit for every az call instead of each call's own
#   DEPLOY_BACKOFF_SECONDS     first wait between retries (default 15; it doubles up to 120, 8 tries)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
min_az_version="2.60.0" # first Azure CLI that deploys zips to Flex Consumption
# shellcheck source=infra/deploy-lib.sh
source "$here/deploy-lib.sh"

usage() {
  cat <<EOF
Usage: npm run deploy -- --resource-group NAME [options]
       (or: infra/deploy.sh --resource-group NAME [options])

Deploys the SMTP relay into an existing resource group with the Azure CLI.

Options:
  -g, --resource-group NAME   resource group to deploy into (required; it must exist)
  -l, --location REGION       region for the resources (default: the resource group's); it must
                              offer Flex Consumption: az functionapp list-flexconsumption-locations
  -p, --parameters FILE       ARM parameters file (default: infra/main.parameters.json)
      --secret NAME=@FILE     the value of setting NAME, which the policy names for a secret (a DKIM
                              key's privateKeySetting, a smart host's passwordSetting), read from FILE
                              (e.g. --secret DKIM_EXAMPLE_JP_KEY=@relay2026.pem); repeatable
      --no-operator-access    do not grant the signed-in user read access to delivery results and
                              queues (small message bodies travel in the queue) and the right to set
                              and read the smart host password in Key Vault
  -h, --help                  show this help

Every az call has a time limit, and what new role assignments hold up (publishing, the checks of
the running app) is retried with back-off for about 10 minutes. Environment variables:
  DEPLOY_AZ_TIMEOUT_SECONDS   one time limit, in seconds, for every az call instead of each one's own
  DEPLOY_BACKOFF_SECONDS      first wait between retries (default 15; doubles up to 120)

The smart host password is read from the environment variable SMARTHOST_PASSWORD or, when that is
unset and a terminal is attached, from a prompt. It is never taken from the command line, so it
stays out of shell history. When neither gives one, the password already in Key Vault is kept
(a first deployment needs one, unless smartHostAuth is xoauth2).

Each setting the delivery policy names for a secret (relay-policy.json at the project root, or the
policyJson parameter) gets a Key Vault secret and an app setting referencing it. Its value comes
from --secret NAME=@FILE or from the environment variable NAME; when neither gives one, the secret
already in Key Vault is kept (a first deployment needs every one).

The relay's own secrets, the unsubscribe links' key, the ACS events secret and the drop-in
endpoints' keys (the SendGrid API key, the ACS access key), are generated on the first deployment
and kept in Key Vault after that (a new unsubscribe key would break every link already sent).
RELAY_UNSUBSCRIBE_SECRET, RELAY_ACS_EVENTS_SECRET, RELAY_SENDGRID_API_KEY or RELAY_ACS_ACCESS_KEY
in the environment sets one instead (a rotation: give "new-key,old-key" for the unsubscribe secret
so old links keep working). The apps' keys are read with
  az keyvault secret show --vault-name <vault> --name sendgrid-api-key --query value --output tsv
  az keyvault secret show --vault-name <vault> --name acs-access-key --query value --output tsv

Example:
  az group create --name rg-smtp-relay --location westeurope
  cp infra/main.parameters.json infra/prod.parameters.json   # then fill it in
  read -rs SMARTHOST_PASSWORD && export SMARTHOST_PASSWORD
  npm run deploy -- --resource-group rg-smtp-relay --parameters infra/prod.parameters.json
EOF
}


usage_error() {
  echo "deploy: error: $*" >&2
  echo "Run with --help for usage." >&2
  exit 2
}


# ---- arguments ---------------------------------------------------------------------------------

resource_group=""
location=""
parameters_file="$here/main.parameters.json"
operator_access=true
secret_names=()
secret_files=()

need_value() {
  if [[ $# -lt 2 || -z $2 || $2 == -* ]]; then
    usage_error "$1 needs a value"
  fi
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    -g | --resource-group)
      need_value "$@"
      resource_group="$2"
      shift 2
      ;;
    -l | --location)
      need_value "$@"
      location="$2"
      shift 2
      ;;
    -p | --parameters)
      need_value "$@"
      parameters_file="$2"
      shift 2
      ;;
    --no-operator-access)
      operator_access=false
      shift
      ;;
    --secret)
      need_value "$@"
      [[ $2 =~ ^([A-Za-z_][A-Za-z0-9_]*)=@(.+)$ ]] ||
        usage_error "--secret takes NAME=@FILE (the value read from a file: on the command line it would land in shell history)"
      secret_names+=("${BASH_REMATCH[1]}")
      secret_files+=("${BASH_REMATCH[2]}")
      shift 2
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    --password | --smarthost-password | --smartHostPassword)
      usage_error "$1 is not accepted: a password on the command line lands in shell history; set SMARTHOST_PASSWORD or answer the prompt"
      ;;
    *)
      usage_error "unknown argument '$1'"
      ;;
  esac
done

[[ -n $resource_group ]] || usage_error "--resource-group is required"

# ---- helpers -----------------------------------------------------------------------------------

# True when dotted version $1 >= $2.
version_at_least() {
  node -e '
    const [a, b] = process.argv.slice(1).map((v) => v.split(".").map((n) => parseInt(n, 10) || 0));
    for (let i = 0; i < 3; i++) {
      if ((a[i] ?? 0) !== (b[i] ?? 0)) process.exit((a[i] ?? 0) > (b[i] ?? 0) ? 0 : 1);
    }' "$1" "$2"
}

require_command() {
  command -v "$1" >/dev/null 2>&1 || fail "'$1' is required but was not found on PATH: $2"
}

# ---- prerequisites -----------------------------------------------------------------------------

require_command node "install Node.js 20 or later (https://nodejs.org)"
require_command npm "install Node.js 20 or later, which includes npm"
require_command zip "install zip (e.g. apt-get install zip)"
require_command az "install the Azure CLI (https://aka.ms/azure-cli)"
# Before anything slow: the template is compiled and checked with infra/bicep.sh, which says how to
# get a Bicep CLI when it finds none.
bash "$here/bicep.sh" --which >/dev/null || fail "no Bicep CLI for infra/bicep.sh (see above)"

az_version="$(az_bounded 60 version --output json 2>/dev/null | json_fields azure-cli || true)"
[[ -n $az_version ]] || fail "could not run 'az version'; is the Azure CLI installed correctly?"
version_at_least "$az_version" "$min_az_version" ||
  fail "Azure CLI $az_version is too old: $min_az_version or later is needed for Flex Consumption (run 'az upgrade')"

if ! account_json="$(az_bounded 60 account show --output json 2>/dev/null)"; then
  fail "the Azure CLI is not logged in: run 'az login' (then 'az account set --subscription ...' to pick a subscription)"
fi
mapfile -t account < <(json_fields name user.type id tenantId <<<"$account_json")
subscription_name="${account[0]:-}"
account_type="${account[1]:-}"
subscription_id="${account[2]:-}"
tenant_id="${account[3]:-}"

exists="$(az_bounded 60 group exists --name "$resource_group" --output tsv 2>/dev/null || true)"
case "$exists" in
  true) ;;
  false) fail "resource group '$resource_group' does not exist in subscription '$subscription_name': create it with 'az group create --name $resource_group --location <region>'" ;;
  *) fail "could not check whether resource group '$resource_group' exists ('az group exists' failed)" ;;
esac

# npm runs scripts from the package root; resolve a relative path against where the user was.
[[ $parameters_file == /* ]] || parameters_file="${INIT_CWD:-$PWD}/$parameters_file"
[[ -f $parameters_file ]] || fail "parameters file '$parameters_file' not found"
if ! values="$(json_fields parameters.appName.value parameters.smartHostAuth.value \
  parameters.smartHostUsername.value parameters.allowedSenderDomains.value parameters.smartHostHost.value \
  parameters.operatorPrincipalId.value parameters.smartHostPassword parameters.unsubscribeSecret \
  parameters.acsEventsSecret parameters.sendgridApiKey parameters.acsAccessKey parameters.policySecretValues \
  parameters.policySecretSettings <"$parameters_file")"; then
  fail "parameters file '$parameters_file' is not valid JSON"
fi
mapfile -t value <<<"$values"
app_name="${value[0]:-}"
smarthost_auth="${value[1]:-}"
smarthost_username="${value[2]:-}"
sender_domains="${value[3]:-}"
smarthost_host="${value[4]:-}"
file_operator_id="${value[5]:-}"
file_password="${value[6]:-}"

if [[ -n $file_password ]]; then
  fail "remove smartHostPassword from $parameters_file: a password does not belong in a file; set SMARTHOST_PASSWORD instead"
fi
if [[ -n ${value[7]:-} || -n ${value[8]:-} ]]; then
  fail "remove unsubscribeSecret and acsEventsSecret from $parameters_file: a secret does not belong in a file; set RELAY_UNSUBSCRIBE_SECRET or RELAY_ACS_EVENTS_SECRET instead, or let the deploy keep the ones in Key Vault"
fi
if [[ -n ${value[9]:-} || -n ${value[10]:-} ]]; then
  fail "remove sendgridApiKey and acsAccessKey from $parameters_file: a key does not belong in a file; set RELAY_SENDGRID_API_KEY or RELAY_ACS_ACCESS_KEY instead, or let the deploy keep the ones in Key Vault"
fi

if [[ -n ${value[11]:-} ]]; then
  fail "remove policySecretValues from $parameters_file: a secret does not belong in a file; give each with --secret NAME=@FILE or the environment variable NAME"
fi
if [[ -n ${value[12]:-} ]]; then
  fail "remove policySecretSettings from $parameters_file: deploy.sh reads the names from the delivery policy"
fi

missing=()
[[ -n $sender_domains ]] || missing+=(allowedSenderDomains)
[[ -n $smarthost_host ]] || missing+=(smartHostHost)
[[ -n $smarthost_username ]] || missing+=(smartHostUsername)
if ((${#missing[@]} > 0)); then
  fail "set ${missing[*]} in $parameters_file (see infra/README.md)"
fi

app_name="${app_name:-smtprelay}"
smarthost_auth="${smarthost_auth:-login}"
deployment_name="smtp-relay-$app_name"

# ---- an earlier deployment ---------------------------------------------------------------------

# Its Key Vault holds what a redeploy keeps. Only "not found" means a first deployment: any other
# failure stops here, as guessing "first" would generate new secrets over the stored ones.
previous_vault=""
show_error="$(mktemp)"
if previous_vault="$(az_bounded 60 deployment group show --resource-group "$resource_group" --name "$deployment_name" \
  --query properties.outputs.keyVaultName.value --output tsv 2>"$show_error")"; then
  :
elif grep -Eqi 'DeploymentNotFound|could not be found' "$show_error"; then
  previous_vault=""
else
  cat "$show_error" >&2
  rm -f "$show_error"
  fail "could not read the earlier deployment '$deployment_name' (see above); nothing was deployed"
fi
rm -f "$show_error"

# ---- the relay's own secrets -------------------------------------------------------------------

given_unsubscribe_secret="${RELAY_UNSUBSCRIBE_SECRET:-}"
given_acs_secret="${RELAY_ACS_EVENTS_SECRET:-}"
given_sendgrid_key="${RELAY_SENDGRID_API_KEY:-}"
given_acs_key="${RELAY_ACS_ACCESS_KEY:-}"
unset RELAY_UNSUBSCRIBE_SECRET RELAY_ACS_EVENTS_SECRET RELAY_SENDGRID_API_KEY RELAY_ACS_ACCESS_KEY

# Whether the earlier deployment's Key Vault holds secret $1, asked of Azure Resource Manager (which
# shows a secret's metadata, never its value, to whoever may deploy; no Key Vault data role needed).
stored_secret() {
  [[ -n $previous_vault ]] || return 1
  local uri="https://management.azure.com/subscriptions/$subscription_id/resourceGroups/$resource_group/providers/Microsoft.KeyVault/vaults/$previous_vault/secrets/$1?api-version=2024-11-01"
  local error status=0
  error="$(az_bounded 60 rest --method get --uri "$uri" --query id --output tsv 2>&1 >/dev/null)" || status=$?
  ((status == 0)) && return 0
  if grep -Eqi 'ResourceNotFound|SecretNotFound|Not Found' <<<"$error"; then return 1; fi
  echo "$error" >&2
  fail "could not check whether Key Vault $previous_vault holds the secret $1 (see above); nothing was deployed"
}

# The value to deploy for secret $2 (given as $3, if at all): the given one, a new one when the vault
# has none, or empty to keep the stored one. $1 names it in messages; each key is at least 32 characters.
# $4 is the form of a new one: base64url (the default), sendgrid ("SG." and base64url, as SendGrid's
# clients expect a key to look) or base64 (an ACS access key, which its clients decode as base64).
relay_secret() {
  local what="$1" name="$2" given="$3" form="${4:-base64url}" key
  if [[ -n $given ]]; then
    if [[ $form == base64 ]] && ! node -e 'const k = process.argv[1]; process.exit(/^[A-Za-z0-9+\/]+={0,2}$/.test(k) && k.length % 4 === 0 && Buffer.from(k, "base64").length >= 32 ? 0 : 1)' "$given"; then
      fail "$what: must be base64 of at least 32 bytes"
    fi
    IFS=',' read -r -a keys <<<"$given"
    for key in "${keys[@]}"; do
      ((${#key} >= 32)) || fail "$what: each key must be at least 32 characters long"
    done
    say "$what: storing the one given in the environment"
    printf '%s' "$given"
  elif stored_secret "$name"; then
    say "$what: keeping the one in Key Vault $previous_vault"
  else
    say "$what: none stored yet, generating one"
    case $form in
      sendgrid) node -e 'process.stdout.write("SG." + require("crypto").randomBytes(32).toString("base64url"))' ;;
      base64) node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))' ;;
      *) node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))' ;;
    esac
  fi
}
unsubscribe_secret="$(relay_secret "unsubscribe secret" unsubscribe-secret "$given_unsubscribe_secret")" || exit 1
acs_events_secret="$(relay_secret "ACS events secret" acs-events-secret "$given_acs_secret")" || exit 1
sendgrid_api_key="$(relay_secret "SendGrid API key" sendgrid-api-key "$given_sendgrid_key" sendgrid)" || exit 1
acs_access_key="$(relay_secret "ACS access key" acs-access-key "$given_acs_key" base64)" || exit 1
given_unsubscribe_secret=""
given_acs_secret=""
given_sendgrid_key=""
given_acs_key=""

# ---- smart host password -----------------------------------------------------------------------

password="${SMARTHOST_PASSWORD:-}"
# Out of the environment, so npm's install scripts and every other child never see it.
unset SMARTHOST_PASSWORD
if [[ $smarthost_auth == xoauth2 ]]; then
  password=""
else
  if [[ -z $password && -t 0 ]]; then
    read -r -s -p "Smart host password for $smarthost_username (empty keeps the one in Key Vault): " password
    echo >&2
  fi
  if [[ -z $password ]]; then
    # Only an earlier deployment can have stored a password to keep.
    if [[ -z $previous_vault ]]; then
      fail "no smart host password given, and no earlier deployment stored one: set SMARTHOST_PASSWORD (or run in a terminal to be asked)"
    fi
    say "no smart host password given: keeping the one in Key Vault $previous_vault"
  fi
fi

# ---- secrets the delivery policy names ---------------------------------------------------------

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Each value goes to a file only we can read, and out of the environment before npm runs.
mapfile -t policy_settings < <(node "$here/policy-secrets.js" "$root" "$parameters_file"; echo "exit=$?")
[[ ${policy_settings[-1]} == exit=0 ]] || exit 1
unset 'policy_settings[-1]'
for given_name in "${secret_names[@]}"; do
  named=false
  for name in "${policy_settings[@]}"; do [[ $name == "$given_name" ]] && named=true; done
  [[ $named == true ]] ||
    usage_error "--secret $given_name: the delivery policy names no such setting (it names: ${policy_settings[*]:-none})"
done
mkdir -m 700 "$work/policy-secrets"
for name in "${policy_settings[@]}"; do
  file=""
  for i in "${!secret_names[@]}"; do [[ ${secret_names[$i]} == "$name" ]] && file="${secret_files[$i]}"; done
  [[ $file == /* || -z $file ]] || file="${INIT_CWD:-$PWD}/$file"
  if [[ -n $file ]]; then
    [[ -f $file && -r $file ]] || fail "--secret $name: cannot read '$file'"
    (umask 077 && cat -- "$file" >"$work/policy-secrets/$name")
  elif [[ -n ${!name:-} ]]; then
    (umask 077 && printf '%s' "${!name}" >"$work/policy-secrets/$name")
  fi
  unset "$name"
  kv_name="policy-$(tr '[:upper:]_' '[:lower:]-' <<<"$name")"
  if [[ -s "$work/policy-secrets/$name" ]]; then
    say "$name: storing the value given in Key Vault as $kv_name"
  elif stored_secret "$kv_name"; then
    rm -f "$work/policy-secrets/$name"
    say "$name: none given, keeping the one in Key Vault $previous_vault"
  else
    fail "$name, which the delivery policy names, has no value and Key Vault holds none: give it with --secret $name=@FILE or the environment variable $name"
  fi
done

# ---- operator access ---------------------------------------------------------------------------

operator_id=""
operator_type=""
if [[ $operator_access == true && -z $file_operator_id ]]; then
  if [[ $account_type == user ]]; then
    operator_id="$(az_bounded 60 ad signed-in-user show --query id --output tsv 2>/dev/null || true)"
    operator_type="User"
    [[ -n $operator_id ]] || say "could not look up the signed-in user: no operator access granted"
  else
    say "signed in as '${account_type:-unknown}', not a user: no operator access granted (set operatorPrincipalId to grant someone)"
  fi
fi
no_operator_override=false
if [[ $operator_access == false && -n $file_operator_id ]]; then
  no_operator_override=true # --no-operator-access wins over the file
fi

# ---- build and package -------------------------------------------------------------------------

# A fresh output folder, not dist/: a file left there from a deleted or renamed function would be
# packaged, and the host registers every dist/functions/*.js.
build="$work/build"
say "building the app from scratch (npm ci, npm run build into a new folder)"
(cd "$root" && npm ci --no-audit --no-fund && npm run build -- --outDir "$build") >&2
compgen -G "$build/functions/*.js" >/dev/null || fail "the build produced no functions in $build/functions"
package="$work/app.zip"
bash "$here/package.sh" --dist "$build" "$package"

# ---- template and settings ---------------------------------------------------------------------

# Compiled here with the pinned Bicep CLI (infra/bicep.sh), the one the tests check the template
# with, rather than whatever Bicep version az would fetch for itself.
template="$work/main.json"
say "compiling infra/main.bicep with $(bash "$here/bicep.sh" --which)"
bash "$here/bicep.sh" build "$here/main.bicep" --outfile "$template" >&2 || fail "infra/main.bicep did not compile (see above)"

# Overrides, the password among them, go in a file only we can read rather than on a command line
# that `ps` would show to every user of the machine.
overrides="$work/overrides.parameters.json"
umask 077
# shellcheck disable=SC2016 # JavaScript, not shell: $schema is a JSON key
RELAY_LOCATION="$location" RELAY_OPERATOR_ID="$operator_id" RELAY_OPERATOR_TYPE="$operator_type" \
  RELAY_NO_OPERATOR="$no_operator_override" RELAY_PASSWORD="$password" \
  RELAY_NEW_UNSUBSCRIBE_SECRET="$unsubscribe_secret" RELAY_NEW_ACS_SECRET="$acs_events_secret" \
  RELAY_NEW_SENDGRID_KEY="$sendgrid_api_key" RELAY_NEW_ACS_KEY="$acs_access_key" \
  RELAY_POLICY_SECRETS_DIR="$work/policy-secrets" RELAY_POLICY_SETTINGS="$(printf '%s\n' "${policy_settings[@]}")" node -e '
    const e = process.env;
    const p = {};
    if (e.RELAY_LOCATION) p.location = { value: e.RELAY_LOCATION };
    if (e.RELAY_OPERATOR_ID) p.operatorPrincipalId = { value: e.RELAY_OPERATOR_ID };
    if (e.RELAY_OPERATOR_TYPE) p.operatorPrincipalType = { value: e.RELAY_OPERATOR_TYPE };
    if (e.RELAY_NO_OPERATOR === "true") p.operatorPrincipalId = { value: "" };
    if (e.RELAY_PASSWORD) p.smartHostPassword = { value: e.RELAY_PASSWORD };
    if (e.RELAY_NEW_UNSUBSCRIBE_SECRET) p.unsubscribeSecret = { value: e.RELAY_NEW_UNSUBSCRIBE_SECRET };
    if (e.RELAY_NEW_ACS_SECRET) p.acsEventsSecret = { value: e.RELAY_NEW_ACS_SECRET };
    if (e.RELAY_NEW_SENDGRID_KEY) p.sendgridApiKey = { value: e.RELAY_NEW_SENDGRID_KEY };
    if (e.RELAY_NEW_ACS_KEY) p.acsAccessKey = { value: e.RELAY_NEW_ACS_KEY };
    // Every name the policy gives, and the values given: one left out keeps its secret in Key Vault.
    const fs = require("fs");
    const settings = e.RELAY_POLICY_SETTINGS.split("\n").filter(Boolean);
    p.policySecretSettings = { value: settings };
    const given = settings.filter((n) => fs.existsSync(`${e.RELAY_POLICY_SECRETS_DIR}/${n}`));
    if (given.length) p.policySecretValues = { value: Object.fromEntries(given.map((n) => [n, fs.readFileSync(`${e.RELAY_POLICY_SECRETS_DIR}/${n}`, "utf8")])) };
    process.stdout.write(JSON.stringify({
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
      contentVersion: "1.0.0.0",
      parameters: p,
    }));' >"$overrides"
password=""
unsubscribe_secret=""
acs_events_secret=""
sendgrid_api_key=""
acs_access_key=""

# Bicep accepts values the app refuses at start-up; such a deployment would succeed with no function
# loaded. The app's own loadConfig judges the settings the template would give it.
say "checking the app settings the template would set with the app's own loadConfig"
shipped_policy=""
[[ -f $root/relay-policy.json ]] && shipped_policy="$root/relay-policy.json"
# the build is outside the project: its dependencies (the policy check's ajv) are the project's
NODE_PATH="$root/node_modules" node "$here/check-settings.js" --config "$build/src/config.js" --compiled "$template" \
  ${shipped_policy:+--policy-file "$shipped_policy"} \
  --subscription-id "$subscription_id" --tenant-id "$tenant_id" --resource-group "$resource_group" \
  ${location:+--location "$location"} "$parameters_file" "$overrides" ||
  fail "fix the parameters in $parameters_file named above; nothing was deployed"

# ---- infrastructure ----------------------------------------------------------------------------

say "deploying infra/main.bicep to resource group '$resource_group' in subscription '$subscription_name' (deployment '$deployment_name')"
outputs="$(az_bounded 1800 deployment group create \
  --resource-group "$resource_group" \
  --name "$deployment_name" \
  --template-file "$template" \
  --parameters "@$parameters_file" \
  --parameters "@$overrides" \
  --query properties.outputs \
  --output json)" || fail "'az deployment group create' failed (see above)"
rm -f "$overrides"
rm -rf "$work/policy-secrets"

mapfile -t output < <(json_fields functionAppName.value sendUrl.value storageAccountName.value keyVaultName.value <<<"$outputs")
function_app="${output[0]:-}"
send_url="${output[1]:-}"
storage_account="${output[2]:-}"
key_vault="${output[3]:-}"
[[ -n $function_app && -n $send_url ]] || fail "the deployment returned no functionAppName and sendUrl outputs"
site_id="/subscriptions/$subscription_id/resourceGroups/$resource_group/providers/Microsoft.Web/sites/$function_app"

# ---- code --------------------------------------------------------------------------------------

# The identity's role assignments are seconds old; until they apply, publishing fails with a 403
# or InaccessibleStorageException, so those are retried. The CLI's own health poll afterwards may
# call the app unhealthy (or never return) while it starts fine: the checks below decide instead.
publish_log="$work/publish.log"
attempt=1
while true; do
  say "publishing the app package to $function_app"
  status=0
  az_bounded 900 functionapp deployment source config-zip \
    --resource-group "$resource_group" \
    --name "$function_app" \
    --src "$package" 2>&1 | tee "$publish_log" >&2 || status=$?
  ((status == 0)) && break
  if grep -Eqi '403|Forbidden|InaccessibleStorageException|AuthorizationPermissionMismatch|AuthorizationFailure' "$publish_log"; then
    ((attempt < max_attempts)) || fail "publishing was refused $attempt times; the app identity's role assignments on storage may not have applied yet: run the deploy again in a few minutes"
    say "publishing was refused; the app identity's new role assignments are probably not applied yet"
    back_off "$attempt"
    attempt=$((attempt + 1))
  elif ((status == 124)) || grep -qi 'unhealthy' "$publish_log"; then
    say "the Azure CLI's health poll gave up on the app; checking the app itself instead"
    break
  else
    fail "publishing the package failed (see above)"
  fi
done

# ---- checks ------------------------------------------------------------------------------------

# Each function in the package registers under its file name.
mapfile -t expected_functions < <(cd "$build/functions" && for f in *.js; do echo "${f%.js}"; done)
bash "$here/check-app.sh" --resource-group "$resource_group" --name "$function_app" --site-id "$site_id" \
  --send-url "$send_url" "${expected_functions[@]}" || exit 1

cat <<EOF

The SMTP relay is deployed.

  Function app:     $function_app
  Send URL:         POST $send_url
  Storage account:  $storage_account
  Key Vault:        $key_vault

Fetch the function key (send it in the x-functions-key header):
  az functionapp keys list --resource-group $resource_group --name $function_app --query functionKeys.default --output tsv

Try it (the "from" domain must be in allowedSenderDomains):
  key=\$(az functionapp keys list --resource-group $resource_group --name $function_app --query functionKeys.default --output tsv)
  curl -sS -X POST '$send_url' -H "x-functions-key: \$key" -H 'Content-Type: application/json' \\
    -d '{"from":"relay@${sender_domains%%,*}","to":"you@example.com","subject":"Hello","text":"It works."}'

Apps written for SendGrid or ACS Email send with the drop-in endpoints' keys (reading them needs a
Key Vault data role, such as Key Vault Secrets User, on $key_vault):
  az keyvault secret show --vault-name $key_vault --name sendgrid-api-key --query value --output tsv
  az keyvault secret show --vault-name $key_vault --name acs-access-key --query value --output tsv
EOF
