#!/usr/bin/env bash
# Runs one benchmark: npm run bench -- <name> [--quick] [args...]
# Each benchmark is scripts/bench/<name>.ts (it calls common.ts's runBench; the other files there
# are helpers): it prints a table and ends with one JSON line; it exits non-zero when a target is
# missed (not with --quick, see common.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../env.sh
source scripts/env.sh
name="${1:-}"
if [ -z "$name" ] || [ ! -f "scripts/bench/$name.ts" ]; then
  echo "usage: npm run bench -- <name> [--quick]" >&2
  echo "benchmarks: $(grep -l "^ *runBench(" scripts/bench/*.ts 2>/dev/null | grep -v '\.test\.ts$' | xargs -n1 basename | sed 's/\.ts$//' | tr '\n' ' ')" >&2
  exit 2
fi
shift
exec node --conditions=source --import tsx --expose-gc "scripts/bench/$name.ts" "$@"
