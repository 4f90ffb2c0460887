#!/usr/bin/env bash
# `npm test`: brings the lab up, builds, then runs static checks, unit, integration and e2e
# tests. Every phase runs even when an earlier one fails; the exit code is non-zero if any did.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
failed=()

phase() { printf '\n\033[1m== %s ==\033[0m\n' "$1"; }

phase "prerequisites"
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium for the e2e tests"
  if [ "$(id -u)" -ne 0 ]; then echo "chromium is missing and this is not root: run 'sudo apt-get install chromium'"; exit 1; fi
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || { echo "could not install chromium"; exit 1; }
fi

phase "lab"
bash test/lab/lab.sh up || { echo "the test lab did not come up; see the messages above"; exit 1; }
# Throwaway containers and volumes (lbtest-*) that an interrupted earlier run left behind: they
# would show up in discovery and hold disk. One test run uses the lab at a time.
stale_c="$(docker ps -aq --filter name=lbtest- 2>/dev/null)"
[ -z "$stale_c" ] || { echo "removing $(wc -w <<<"$stale_c") leftover test container(s)"; docker rm -f $stale_c >/dev/null; }
stale_v="$(docker volume ls -q 2>/dev/null | grep '^lbtest-' || true)"
[ -z "$stale_v" ] || { echo "removing $(wc -w <<<"$stale_v") leftover test volume(s)"; docker volume rm -f $stale_v >/dev/null; }

phase "build"
npm run --silent build || failed+=(build)

phase "typecheck and lint"
npm run --silent typecheck || failed+=(typecheck)
npm run --silent lint || failed+=(lint)

phase "unit and integration tests (vitest)"
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json || failed+=(vitest)

phase "end-to-end tests (playwright + chromium)"
if [ -z "${LIFEBOAT_ELECTRON:-}" ] && [ ! -f node_modules/electron/path.txt ]; then
  echo "note: the Electron smoke test is skipped: no Electron binary here (ELECTRON_SKIP_BINARY_DOWNLOAD=1 or no route to its host)."
fi
PLAYWRIGHT_JSON_OUTPUT_NAME=test-results/playwright.json npx playwright test --reporter=list,json || failed+=(e2e)

phase "summary"
node test/summarize-results.js test-results/vitest.json test-results/playwright.json
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed phases: ${failed[*]}"
  exit 1
fi
