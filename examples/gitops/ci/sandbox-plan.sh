#!/usr/bin/env bash
# The pull-request plan: previews this checkout's migration (users.csv and the stack settings of
# Pulumi.production.yaml, or of the file given as $1) with the mail-flow safety policy pack,
# against a sandbox started here, in a throwaway stack on a throwaway file backend. It needs, and
# gets, no production credential, state or passphrase. Run it in migration/; the plan goes to
# stdout, and a refused plan (policy violation, invalid settings) fails it.
set -euo pipefail

settings_file=${1:-Pulumi.production.yaml}
stack=sandbox-plan
package=$(node -p 'require("path").dirname(require.resolve("pulumi-mail-coexistence/package.json"))')
work=$(mktemp -d)
coexist() { node "$package/bin/coexist.js" "$@"; }
cleanup() {
  coexist sandbox stop --data-dir "$work/sandbox" >/dev/null 2>&1 || true
  rm -rf "$work" "Pulumi.$stack.yaml"
}
trap cleanup EXIT

# Whatever the shell holds, this plan talks to the sandbox only.
while read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(COEXIST_|AZURE_|GOOGLE_APPLICATION_CREDENTIALS$|PULUMI_ACCESS_TOKEN$)' || true)
mkdir "$work/state"
export PULUMI_BACKEND_URL="file://$work/state?metadata=skip"
PULUMI_CONFIG_PASSPHRASE=$(node -p 'require("crypto").randomBytes(24).toString("hex")')
export PULUMI_CONFIG_PASSPHRASE

# A later `coexist rehearse` starts this sandbox from a snapshot of the tenants instead, so the
# plan below becomes the pull request's change to production, not the whole set-up.
eval "$(coexist sandbox start --data-dir "$work/sandbox" --users 0 | grep '^export ')"

pulumi stack init "$stack" --secrets-provider passphrase --non-interactive >/dev/null
# The production settings minus coexist:* (endpoints and credentials: the sandbox's come from the
# environment above); each secret gets a throwaway value, since its real one cannot be read here.
production=$(pulumi config --json --stack "$stack" --config-file "$settings_file")
pulumi config set-all --stack "$stack" --json "$(node -e '
  const crypto = require("crypto");
  const settings = JSON.parse(process.argv[1]);
  const kept = Object.entries(settings)
    .filter(([key]) => !key.startsWith("coexist:"))
    .map(([key, entry]) => [key, entry.secret ? { value: crypto.randomBytes(18).toString("base64") + "!Aa1", secret: true } : entry]);
  console.log(JSON.stringify(Object.fromEntries(kept)));
' "$production")"

pulumi preview --stack "$stack" --non-interactive --diff --color never \
  --policy-pack "$package/policy"
