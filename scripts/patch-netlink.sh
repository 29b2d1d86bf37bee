#!/usr/bin/env bash
# netlink 0.3.0 aborts the whole process (SIGABRT) when a netlink socket's receive buffer
# overflows: its poll-error path builds an exception with a NULL syscall name
# (src/binding.cc, `ErrnoException(env, -status, NULL, …)`), which throws inside a native
# callback (see ../shared/reference/deps.md §1.3). The one-word fix makes it emit an ordinary
# 'error' event instead, which the agent handles by recreating the socket and resyncing.
# This applies the fix and builds the addon from source against the project Node's headers
# (node-gyp-build then prefers build/Release over the prebuilt binary). Idempotent. It FAILS
# (non-zero) when the patch does not apply or the patched addon cannot be built or loaded: no
# build or image may ship the prebuilt addon that aborts on overflow.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=env.sh
source scripts/env.sh
dir=node_modules/netlink
src=$dir/src/binding.cc
fail() {
  echo "patch-netlink: ERROR: $*" >&2
  exit 1
}
[ -f "$src" ] || fail "$src not found (npm ci first)"
if grep -q 'ErrnoException(obj->Env(), -status, NULL, "error when polling socket")' "$src"; then
  sed -i 's/ErrnoException(obj->Env(), -status, NULL, "error when polling socket")/ErrnoException(obj->Env(), -status, "poll", "error when polling socket")/' "$src"
  rm -rf "$dir/build"
fi
grep -q 'ErrnoException(obj->Env(), -status, "poll", "error when polling socket")' "$src" ||
  fail "the patch no longer applies to $src (netlink must stay pinned at 0.3.0)"
stamp=$dir/build/cattail-node-version
if [ ! -f "$dir/build/Release/netlink_binding.node" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$(node --version)" ]; then
  gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$gyp" ] || fail "node-gyp not found beside npm ($gyp)"
  nodedir="${CATTAIL_NODEDIR:-${npm_config_nodedir:-}}"
  [ -n "$nodedir" ] && [ -f "$nodedir/include/node/common.gypi" ] ||
    fail "no Node headers for $(node --version) (CATTAIL_NODEDIR='$nodedir'); run scripts/setup.sh"
  echo "patch-netlink: building the patched netlink addon (node $(node --version), headers $nodedir)"
  log=/tmp/cattail-netlink-build.$$.log
  if ! (cd "$dir" && node "$gyp" rebuild --nodedir="$nodedir" >"$log" 2>&1); then
    rm -rf "$dir/build"
    tail -20 "$log" >&2
    fail "building the patched addon failed (full log: $log)"
  fi
  rm -f "$log"
  node --version >"$stamp"
fi
# the addon that loads must be the patched build, not the prebuilt binary
loaded="$(cd "$dir" && node -e 'process.stdout.write(require("node-gyp-build").path(process.cwd()))' 2>&1)" ||
  fail "the patched addon does not load: $loaded"
case "$loaded" in
  */build/Release/*) ;;
  *) fail "node-gyp-build resolves $loaded instead of the patched build/Release addon" ;;
esac
