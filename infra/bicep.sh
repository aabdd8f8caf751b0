#!/usr/bin/env bash
# Runs the Bicep CLI with the given arguments, e.g. `infra/bicep.sh lint infra/main.bicep`.
#
# The tests and the deploy script want one known Bicep version, so this script prefers the official
# CLI from NuGet (package Azure.Bicep.CommandLine.<rid>), restored once with the .NET SDK into
# infra/.bicep/ (git-ignored) and reused from there. Without .NET it falls back to a `bicep` on
# PATH, then to `az bicep`, whichever version those are.
#
#   infra/bicep.sh --which   prints how Bicep will be run (restoring it first if needed)
#
# Exit status 3 means no Bicep CLI can be had on this machine; the message says how to get one.
set -euo pipefail

BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${BICEP_CACHE_DIR:-$here/.bicep}"

rid() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=osx ;;
    *) return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) return 1 ;;
  esac
  # Alpine and other musl systems need the musl build.
  if [[ $os == linux && $arch == x64 ]] && ldd --version 2>&1 | grep -qi musl; then
    echo "linux-musl-x64"
  else
    echo "$os-$arch"
  fi
}

# Restores the NuGet package with a throwaway project. A PackageDownload item fetches the package
# without referencing it, so any installed SDK works whatever frameworks it targets.
restore_from_nuget() {
  local pkg_rid="$1" dest="$2" lock
  command -v dotnet >/dev/null 2>&1 || return 1
  mkdir -p "$cache"
  # Two test files may ask at once on a fresh clone: the first restores, the other waits.
  lock="$cache/restore.lock"
  local waited=0
  until mkdir "$lock" 2>/dev/null; do
    if [[ -x $dest ]]; then return 0; fi
    if ((waited >= 600)); then
      echo "bicep.sh: gave up waiting for $lock (remove it if no restore is running)" >&2
      return 2
    fi
    sleep 1
    waited=$((waited + 1))
  done
  trap 'rm -rf "$lock" "${work:-}"' EXIT
  local status=0
  if [[ ! -x $dest ]]; then
    download_into "$pkg_rid" "$dest" || status=$?
  fi
  rm -rf "$lock" "${work:-}"
  trap - EXIT
  return "$status"
}

download_into() {
  local rid="$1" dest="$2" pkg
  work="$(mktemp -d "$cache/restore.XXXXXX")"
  pkg="Azure.Bicep.CommandLine.$rid"
  cat >"$work/restore.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$pkg" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
EOF
  echo "bicep.sh: restoring $pkg $BICEP_VERSION from NuGet into $cache (first use only)..." >&2
  if ! DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
    dotnet restore "$work/restore.csproj" --packages "$work/packages" >"$work/restore.log" 2>&1; then
    cat "$work/restore.log" >&2
    echo "bicep.sh: dotnet restore of $pkg $BICEP_VERSION failed (is NuGet reachable?)" >&2
    return 2
  fi
  local tool
  tool="$(find "$work/packages" -type f -path '*/tools/bicep' | head -n 1)"
  if [[ -z $tool ]]; then
    echo "bicep.sh: $pkg $BICEP_VERSION has no tools/bicep" >&2
    return 2
  fi
  mkdir -p "$(dirname "$dest")"
  chmod +x "$tool"
  # Rename last, so a half-copied binary is never taken for a cached one.
  cp "$tool" "$dest.partial"
  mv "$dest.partial" "$dest"
  rm -rf "$work"
}

# Sets the array `bicep` to the command that runs the Bicep CLI.
find_bicep() {
  local r dest status
  if [[ -n ${BICEP_BIN:-} ]]; then
    bicep=("$BICEP_BIN")
    return 0
  fi
  if r="$(rid)"; then
    dest="$cache/$BICEP_VERSION/$r/bicep"
    if [[ -x $dest ]]; then
      bicep=("$dest")
      return 0
    fi
    status=0
    restore_from_nuget "$r" "$dest" || status=$?
    if ((status == 0)); then
      bicep=("$dest")
      return 0
    elif ((status == 2)); then
      exit 1 # .NET is there but the restore failed: say so rather than quietly use another version
    fi
  fi
  if command -v bicep >/dev/null 2>&1; then
    bicep=(bicep)
    return 0
  fi
  # `az bicep install` puts the CLI here; calling it directly keeps the plain bicep arguments.
  if [[ -x $HOME/.azure/bin/bicep ]]; then
    bicep=("$HOME/.azure/bin/bicep")
    return 0
  fi
  cat >&2 <<'EOF'
bicep.sh: no Bicep CLI found. Any one of these provides it:
  - the .NET SDK (https://dot.net): this script then restores the pinned Bicep CLI from NuGet by itself;
  - the Azure CLI: run `az bicep install`;
  - a standalone Bicep CLI on PATH (https://aka.ms/bicep-install).
EOF
  exit 3
}

bicep=()
find_bicep
if [[ ${1:-} == --which ]]; then
  echo "${bicep[*]}"
  exit 0
fi
exec "${bicep[@]}" "$@"
