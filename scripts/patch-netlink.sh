#!/usr/bin/env bash
# netlink 0.3.0 aborts the whole process (SIGABRT) when a netlink socket's receive buffer
# overflows: its poll-error path builds an exception with a NULL syscall name
# (src/binding.cc, `ErrnoException(env, -status, NULL, …)`), which throws inside a native
# callback (see ../shared/reference/deps.md §1.3). The one-word fix makes it emit an ordinary
# 'error' event instead, which the agent handles by recreating the socket and resyncing.
# This applies the fix and builds the addon from source (node-gyp-build then prefers
# build/Release over the prebuilt binary). Idempotent; if the build fails it says so and the
# prebuilt binary stays (the agent keeps its other mitigations: big buffer, bounded in-flight).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=node_modules/netlink
src=$dir/src/binding.cc
[ -f "$src" ] || { echo "patch-netlink: $src not found (npm ci first)" >&2; exit 1; }
if grep -q 'ErrnoException(obj->Env(), -status, NULL, "error when polling socket")' "$src"; then
  sed -i 's/ErrnoException(obj->Env(), -status, NULL, "error when polling socket")/ErrnoException(obj->Env(), -status, "poll", "error when polling socket")/' "$src"
  rm -rf "$dir/build"
fi
if [ -f "$dir/build/Release/netlink_binding.node" ]; then exit 0; fi
gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
echo "patch-netlink: building the patched netlink addon"
if ! (cd "$dir" && node "$gyp" rebuild --nodedir="${npm_config_nodedir:-/usr}" > /tmp/cattail-netlink-build.log 2>&1); then
  rm -rf "$dir/build"
  echo "patch-netlink: WARNING: build failed (see /tmp/cattail-netlink-build.log); using the prebuilt addon" >&2
fi
