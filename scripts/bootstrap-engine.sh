#!/usr/bin/env bash
# Installs the Pulumi engine this project runs on into .tools/bin (gitignored):
#   pulumi                          the CLI and engine, v$PULUMI_VERSION
#   pulumi-language-nodejs          the Node.js language host (scripts/engine/cmd/pulumi-language-nodejs)
#   pulumi-resource-pulumi-nodejs   shim that runs dynamic providers with the program's @pulumi/pulumi
#   pulumi-analyzer-policy          shim that runs Node policy packs with the pack's @pulumi/pulumi
#   actionlint                      the GitHub Actions workflow linter, v$ACTIONLINT_VERSION
# A `pulumi` on PATH is used when its version is the pinned one; otherwise the CLI is built from the
# Go module proxy (scripts/engine/go.mod pins every module). Idempotent: a second run only checks.
set -euo pipefail

PULUMI_VERSION=3.248.0
# The workflow linter the tests run over examples/gitops (a Go module, built the same way).
ACTIONLINT_VERSION=1.7.12
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=${COEXIST_TOOLS_DIR:-$root/.tools}
bin=$tools/bin
engine_src=$root/scripts/engine
mkdir -p "$bin"

say() { printf 'engine: %s\n' "$*" >&2; }
fail() { printf 'engine: error: %s\n' "$*" >&2; exit 1; }

# Everything the build depends on; a change to any of it rebuilds.
stamp_of_sources() {
  cat "$engine_src/go.mod" "$engine_src/go.sum" "$engine_src"/cmd/pulumi-language-nodejs/*.go "$0" |
    sha256sum | cut -c1-16
}
stamp_file=$tools/engine.stamp
want_stamp="v$PULUMI_VERSION actionlint-$ACTIONLINT_VERSION $(stamp_of_sources)"

installed_version() {
  PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null | tr -d '\r' | head -n1
}

if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want_stamp" ] &&
  [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ] &&
  [ "$(installed_version "$bin/pulumi")" = "v$PULUMI_VERSION" ]; then
  say "pulumi v$PULUMI_VERSION ready in $bin (cached)"
  exit 0
fi

command -v node >/dev/null || fail "node is not on PATH: install Node.js 20 or newer"

need_go() {
  command -v go >/dev/null ||
    fail "Go is not installed and no pulumi v$PULUMI_VERSION is on PATH. Either put pulumi v$PULUMI_VERSION (with pulumi-language-nodejs) on PATH, or install Go 1.25+ (it builds the engine from the Go module proxy)."
  local v
  v=$(go env GOVERSION | sed 's/^go//')
  case "$v" in
    1.2[5-9]* | 1.[3-9][0-9]* | [2-9].*) ;;
    *) fail "Go $v is too old to build pulumi v$PULUMI_VERSION: install Go 1.25 or newer, or put pulumi v$PULUMI_VERSION on PATH." ;;
  esac
}

# Runs a Go build, printing a progress line every 30 s (a cold CLI build takes minutes).
go_build() {
  local what=$1
  shift
  local log
  log=$(mktemp)
  local started=$SECONDS
  (cd "$engine_src" && GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath "$@") >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if (((SECONDS - started) % 30 < 5)) && ((SECONDS - started >= 30)); then
      say "building $what… $((SECONDS - started)) s"
    fi
  done
  if ! wait "$pid"; then
    cat "$log" >&2
    rm -f "$log"
    fail "building $what failed (output above). It needs the Go module proxy (GOPROXY=$(go env GOPROXY)); if it cannot be reached, put pulumi v$PULUMI_VERSION with pulumi-language-nodejs on PATH instead."
  fi
  rm -f "$log"
  say "built $what in $((SECONDS - started)) s"
}

version_flags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION -X github.com/pulumi/pulumi/pkg/v3/version.Version=v$PULUMI_VERSION"

ambient=$(command -v pulumi || true)
if [ -n "$ambient" ] && [ "$(readlink -f "$ambient")" != "$(readlink -f "$bin/pulumi" 2>/dev/null || true)" ] &&
  [ "$(installed_version "$ambient")" = "v$PULUMI_VERSION" ]; then
  say "using pulumi v$PULUMI_VERSION from $ambient"
  ln -sf "$ambient" "$bin/pulumi"
elif [ "$(installed_version "$bin/pulumi" 2>/dev/null || true)" = "v$PULUMI_VERSION" ] && [ ! -L "$bin/pulumi" ]; then
  say "pulumi v$PULUMI_VERSION already built"
else
  need_go
  say "building pulumi v$PULUMI_VERSION from the Go module proxy (first time: about 10 minutes and 1.5 GB of module cache)"
  rm -f "$bin/pulumi"
  go_build "pulumi v$PULUMI_VERSION" -tags osusergo -ldflags "$version_flags" -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
fi

need_go
go_build "pulumi-language-nodejs" -ldflags "$version_flags" -o "$bin/pulumi-language-nodejs" ./cmd/pulumi-language-nodejs

# Both shims resolve @pulumi/pulumi from their working directory, as Pulumi's own shims do: the
# engine starts the dynamic provider in the program's folder and a policy pack in the pack's folder.
write_shim() {
  cat >"$bin/$1" <<EOF
#!/bin/sh
script=\$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/$2'))") || {
  echo "$1: @pulumi/pulumi is not installed in \$(pwd): run npm ci there" >&2
  exit 1
}
exec node "\$script" "\$@"
EOF
  chmod 0755 "$bin/$1"
}
write_shim pulumi-resource-pulumi-nodejs dynamic-provider
write_shim pulumi-analyzer-policy run-policy-pack

say "building actionlint v$ACTIONLINT_VERSION"
GOBIN=$bin GOFLAGS=-buildvcs=false go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" ||
  fail "building actionlint failed; it needs the Go module proxy (GOPROXY=$(go env GOPROXY))"

got=$(installed_version "$bin/pulumi")
[ "$got" = "v$PULUMI_VERSION" ] || fail "$bin/pulumi reports '$got', expected v$PULUMI_VERSION"
echo "$want_stamp" >"$stamp_file"
say "pulumi $got ready in $bin ($(du -sh "$tools" | cut -f1))"
