#!/usr/bin/env bash
# Installs the Pulumi engine this project runs on into .tools/bin (gitignored):
#   pulumi                          the CLI and engine, v$PULUMI_VERSION
#   pulumi-language-nodejs          the Node.js language host (scripts/engine/cmd/pulumi-language-nodejs)
#   pulumi-resource-pulumi-nodejs   shim that runs dynamic providers with the program's @pulumi/pulumi
#   pulumi-analyzer-policy          shim that runs Node policy packs with the pack's @pulumi/pulumi
#   actionlint                      the GitHub Actions workflow linter, v$ACTIONLINT_VERSION
# A `pulumi` on PATH is used when its version is the pinned one, and a `pulumi-language-nodejs` or
# `actionlint` on PATH as it is; only what is not there is built from the Go module proxy
# (scripts/engine/go.mod pins every module), so Go is needed only then. Idempotent: a second run
# only checks.
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

# Go, for building `what` (the reason: `why`); without it, says what to put on PATH instead.
need_go() {
  local what=$1 why=$2
  command -v go >/dev/null ||
    fail "$what must be built ($why), and that needs Go 1.25+, which is not on PATH. Either put $what on PATH, or install Go 1.25 or newer (it builds $what from the Go module proxy)."
  local v
  v=$(go env GOVERSION | sed 's/^go//')
  case "$v" in
    1.2[5-9]* | 1.[3-9][0-9]* | [2-9].*) ;;
    *) fail "Go $v is too old to build $what ($why): install Go 1.25 or newer, or put $what on PATH." ;;
  esac
}

# The executable `name` on PATH outside $bin (ours may be on PATH too), if any.
on_path() {
  local name=$1 dir own
  own=$(cd "$bin" && pwd -P)
  local IFS=:
  for dir in $PATH; do
    [ -n "$dir" ] && [ -f "$dir/$name" ] && [ -x "$dir/$name" ] || continue
    [ "$(cd "$dir" 2>/dev/null && pwd -P)" = "$own" ] && continue
    printf '%s\n' "$dir/$name"
    return 0
  done
  return 1
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

ambient=$(on_path pulumi || true)
ambient_version=$([ -z "$ambient" ] || installed_version "$ambient")
if [ -n "$ambient" ] && [ "$ambient_version" = "v$PULUMI_VERSION" ]; then
  say "using pulumi v$PULUMI_VERSION from $ambient"
  ln -sf "$ambient" "$bin/pulumi"
elif [ "$(installed_version "$bin/pulumi" 2>/dev/null || true)" = "v$PULUMI_VERSION" ] && [ ! -L "$bin/pulumi" ]; then
  say "pulumi v$PULUMI_VERSION already built in $bin"
else
  if [ -z "$ambient" ]; then why="no pulumi on PATH"; else why="the pulumi on PATH, $ambient, is ${ambient_version:-of unknown version}, not v$PULUMI_VERSION"; fi
  need_go "pulumi v$PULUMI_VERSION" "$why"
  say "building pulumi v$PULUMI_VERSION because $why, from the Go module proxy (first time: about 10 minutes and 1.5 GB of module cache)"
  rm -f "$bin/pulumi"
  go_build "pulumi v$PULUMI_VERSION" -tags osusergo -ldflags "$version_flags" -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
fi

host=$(on_path pulumi-language-nodejs || true)
if [ -n "$host" ]; then
  say "using pulumi-language-nodejs from $host"
  ln -sf "$host" "$bin/pulumi-language-nodejs"
else
  need_go "pulumi-language-nodejs" "no pulumi-language-nodejs on PATH, and the Go module proxy does not serve Pulumi's"
  say "building pulumi-language-nodejs (scripts/engine/cmd/pulumi-language-nodejs) because none is on PATH"
  # A link to one that was on PATH before: the build must not write through it.
  if [ -L "$bin/pulumi-language-nodejs" ]; then rm -f "$bin/pulumi-language-nodejs"; fi
  go_build "pulumi-language-nodejs" -ldflags "$version_flags" -o "$bin/pulumi-language-nodejs" ./cmd/pulumi-language-nodejs
fi

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

# actionlint only checks examples/gitops's workflow in the tests: without Go and without one on
# PATH, the engine is still complete, and the next run looks again.
complete=yes
linter=$(on_path actionlint || true)
if [ -n "$linter" ]; then
  say "using actionlint from $linter"
  ln -sf "$linter" "$bin/actionlint"
elif [ ! -L "$bin/actionlint" ] && [ "$("$bin/actionlint" -version 2>/dev/null | head -n1)" = "v$ACTIONLINT_VERSION" ]; then
  say "actionlint v$ACTIONLINT_VERSION already built in $bin"
elif command -v go >/dev/null; then
  say "building actionlint v$ACTIONLINT_VERSION because none is on PATH"
  if [ -L "$bin/actionlint" ]; then rm -f "$bin/actionlint"; fi
  GOBIN=$bin GOFLAGS=-buildvcs=false go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" ||
    fail "building actionlint failed; it needs the Go module proxy (GOPROXY=$(go env GOPROXY))"
else
  complete=no
  say "actionlint not installed: none is on PATH and building it needs Go; only the test of examples/gitops's workflow uses it"
fi

got=$(installed_version "$bin/pulumi")
[ "$got" = "v$PULUMI_VERSION" ] || fail "$bin/pulumi reports '$got', expected v$PULUMI_VERSION"
if [ "$complete" = yes ]; then echo "$want_stamp" >"$stamp_file"; fi
say "pulumi $got ready in $bin ($(du -sh "$tools" | cut -f1))"
