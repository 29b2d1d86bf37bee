#!/usr/bin/env bash
# Installs what cattail needs on a fresh Debian machine (run as root): Debian packages for the
# real components the tests use, the project's Node.js LTS (scripts/install-node.sh, into .node/
# unless the machine's own node is on that line), then the npm workspace under that Node (native
# addons built against its headers), the patched netlink addon, then a build. Idempotent and quiet
# when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
command -v iptables >/dev/null || need+=(iptables)
command -v ipset >/dev/null || need+=(ipset)
command -v ip >/dev/null || need+=(iproute2)
command -v bridge >/dev/null || need+=(iproute2)
command -v openssl >/dev/null || need+=(openssl)
command -v kubectl >/dev/null || need+=(kubernetes-client)
command -v promtool >/dev/null || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

bash scripts/install-node.sh
# shellcheck source=env.sh
source scripts/env.sh
cattail_node_ok node || {
  echo "setup: node $(node --version) is first on PATH, expected Node $CATTAIL_NODE_MAJOR" >&2
  exit 1
}
# npm ci again when the lock changed or node_modules was installed under another Node (native ABI)
stamp=node_modules/.cattail-node-version
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
  [ "$(cat "$stamp" 2>/dev/null)" != "$(node --version)" ]; then
  echo "setup: npm ci (node $(node --version), npm $(npm --version))"
  # native builds during npm ci use the runtime's headers (not ~/.npmrc's or a download)
  (
    if [ -n "${CATTAIL_NODEDIR:-}" ]; then export npm_config_nodedir="$CATTAIL_NODEDIR"; fi
    npm ci --no-audit --no-fund --loglevel=error
  )
  node --version >"$stamp"
fi
bash scripts/patch-netlink.sh
echo "setup: build (tsc -b)"
npx tsc -b
