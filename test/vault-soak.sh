#!/usr/bin/env bash
# Crash soak for the vault: kill -9 of `lifeboat backup-stdin` / `lifeboat prune` at N random
# points (default 1,000; the unit suite runs 50), checking after each that every snapshot is
# whole and at the end that `check --read-data` passes. About 20 minutes on 2 cores.
#   bash test/vault-soak.sh [POINTS]
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build:main || echo "(build reported errors; the crash test rebuilds what it needs)"
LIFEBOAT_CRASH_POINTS="${1:-1000}" exec npx vitest run --project unit test/unit/vault/crash.test.ts
