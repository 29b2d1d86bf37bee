#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up, type-check/build, lint, then every test with
# node's test runner (its summary ends the output).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=env.sh
source scripts/env.sh
echo "lint: eslint + prettier"
npm run --silent lint
bash scripts/run-tests.sh
