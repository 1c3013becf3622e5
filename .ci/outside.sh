#!/usr/bin/env bash
# The package proved from outside, as a new user gets it: pack it, start a project with the
# packed CLI (`resolute init`) in a temp dir, install the tarball, type-check the project and the
# README's complete example under a strict tsconfig, dry-run a deploy (no secret in its
# bindings), serve it with wrangler dev on a free loopback port and call an object, a service,
# the admin API and resolute/client, then run the project's vitest test. Any failure fails CI.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/resolute-outside-XXXXXX")"
DEV_PID=""
cleanup() {
  if [ -n "$DEV_PID" ]; then kill -- "-$DEV_PID" 2>/dev/null || kill "$DEV_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export WRANGLER_SEND_METRICS=false NO_COLOR=1 npm_config_audit=false npm_config_fund=false
started=$(date +%s)
step() { echo "== outside: $* ($(( $(date +%s) - started )) s)"; }

step "npm pack"
cd "$REPO"
TARBALL="$WORK/$(npm pack --silent --pack-destination "$WORK" | tail -1)"
tar -tzf "$TARBALL" | sed 's|^package/||' > "$WORK/files.txt"
if grep -Eq '^(test|bench|examples|src|sdk|cli)/|\.ts$' <(grep -v '\.d\.ts$' "$WORK/files.txt" | grep -v '^templates/'); then
  echo "the tarball ships sources, tests or benches:"; grep -Ev '^(dist/|templates/|package.json|README.md)' "$WORK/files.txt"; exit 1
fi
echo "$(wc -l < "$WORK/files.txt") files, $(du -k "$TARBALL" | cut -f1) KiB packed"

step "resolute init (the packed CLI, on plain Node)"
cd "$WORK"
npm exec --yes --prefer-offline --package "$TARBALL" -- resolute init app
APP="$WORK/app"
cd "$APP"

step "npm install"
npm install --prefer-offline --no-progress "$TARBALL" > "$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; exit 1; }

step "tsc (strict user tsconfig, with the README's examples and a resolute/client caller)"
node --import "$REPO/node_modules/tsx/dist/loader.mjs" "$REPO/scripts/outside-checks.ts" readme-example src/readme-example.ts test/readme-example.test.ts
cat > src/client-check.ts <<'TS'
// resolute/client with a phantom definition: the handlers' types, none of their code.
import { connect } from "resolute/client";
import type { counter, greeter } from "./worker.js";

export async function callBoth(url: string): Promise<[string, number]> {
  const ingress = connect({ url });
  const greeting: string = await ingress.serviceClient<typeof greeter>({ name: "greeter" }).greet("Ada");
  const count: number = await ingress.objectClient<typeof counter>({ name: "counter" }, "c").add(1);
  return [greeting, count];
}
TS
npx tsc --noEmit
# The package's own declarations too (the project skips library checks, as vitest's need Node's types).
printf '{ "extends": "./tsconfig.json", "compilerOptions": { "skipLibCheck": false }, "include": ["src"] }\n' > tsconfig.libcheck.json
npx tsc --noEmit -p tsconfig.libcheck.json

step "wrangler deploy --dry-run (bindings: no token, no local URL)"
(cd "$REPO" && node --import tsx scripts/outside-checks.ts bindings "$APP")
npx wrangler deploy --dry-run --outdir .wrangler/dry-run 2>&1 | grep -E "Total Upload"

step "wrangler dev on a free loopback port"
PORT=$(node -e "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
set -m
npx wrangler dev --ip 127.0.0.1 --port "$PORT" --persist-to "$WORK/state" > "$WORK/dev.log" 2>&1 &
DEV_PID=$!
set +m
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 120); do
  if curl -sf "$BASE/restate/health" > /dev/null; then break; fi
  if ! kill -0 "$DEV_PID" 2>/dev/null; then cat "$WORK/dev.log"; echo "wrangler dev exited"; exit 1; fi
  sleep 0.5
done
curl -sf "$BASE/restate/health" > /dev/null || { cat "$WORK/dev.log"; echo "wrangler dev did not answer in 60 s"; exit 1; }
expect() { # expect <what> <wanted> <got>
  if [ "$2" != "$3" ]; then echo "$1: wanted $2, got $3"; cat "$WORK/dev.log"; exit 1; fi
  echo "ok: $1 -> $3"
}
expect "service greeter/greet" '"Hello, Ada!"' "$(curl -s -X POST "$BASE/greeter/greet" -H 'content-type: application/json' -d '"Ada"')"
expect "object counter/a/add 2" "2" "$(curl -s -X POST "$BASE/counter/a/add" --json 2)"
expect "object counter/a/add 3" "5" "$(curl -s -X POST "$BASE/counter/a/add" --json 3)"
expect "object counter/a/get" "5" "$(curl -s -X POST "$BASE/counter/a/get")"
TOKEN=$(sed -n 's/^RESOLUTE_ADMIN_TOKEN=//p' .dev.vars)
expect "admin API without the token" "401" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/restate/admin/services")"
expect "admin API with .dev.vars' token" "200" "$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $TOKEN" "$BASE/restate/admin/services")"
cat > client.mjs <<'JS'
// resolute/client on plain Node: names only, no handler code imported.
import { connect } from "resolute/client";
const ingress = connect({ url: process.argv[2] });
const greeting = await ingress.serviceClient({ name: "greeter" }).greet("Grace");
const count = await ingress.objectClient({ name: "counter" }, "a").add(1);
console.log(JSON.stringify([greeting, count]));
JS
expect "resolute/client from Node" '["Hello, Grace!",6]' "$(node client.mjs "$BASE")"
kill -- "-$DEV_PID" 2>/dev/null || kill "$DEV_PID"
wait "$DEV_PID" 2>/dev/null || true
DEV_PID=""

step "the project's tests and the README's test example (vitest, resolute/testing, importing modules that call createWorker)"
npx vitest run

step "done"
