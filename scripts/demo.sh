#!/usr/bin/env bash
# The main job on a fresh machine (root): set-up, then `cattail demo` — a two-cluster mesh in
# network namespaces (west on the embedded file datastore, east on etcd). Extra arguments go to
# the demo (e.g. --hold to keep it running until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=env.sh
source scripts/env.sh
exec node packages/cli/dist/main.js demo "$@"
