#!/usr/bin/env bash
# Connects one cluster pair, using only kubectl: lets the LOCAL cluster's cattail read the REMOTE.
#
#   In the remote: the read-only ServiceAccount cattail-remote-reader, the cattail-remote-cluster
#   ClusterRole and its binding (docker/manifests/remote-cluster/rbac.yaml), and a long-lived token
#   for the account (a Secret of type kubernetes.io/service-account-token, or with --token-duration a
#   TokenRequest token that expires and must be renewed by running this again).
#   In the local cluster: a kubeconfig for the remote with that token, stored as the access Secret
#   <name> in cattail-system (keys datastoreType and kubeconfig), and the RemoteClusterConfiguration
#   <name> that names it.
#
# Usage:
#   scripts/remote-access.sh --name cluster-b --local-kubeconfig a.kubeconfig \
#       --remote-kubeconfig b.kubeconfig [--remote-context CTX] [--local-context CTX] \
#       [--remote-server https://b.example:6443] [--overlay] [--token-duration 8760h] \
#       [--namespace cattail-system]
# Run it once per direction (a→b and b→a) for a mesh. Re-running is safe (everything is applied).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
name='' local_kc='' remote_kc='' local_ctx='' remote_ctx='' server='' overlay=Disabled
duration='' ns=cattail-system kubectl="${KUBECTL:-kubectl}"
rbac="$here/../docker/manifests/remote-cluster/rbac.yaml"

die() {
  echo "remote-access: $*" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
  --name) name="${2:-}"; shift 2 ;;
  --local-kubeconfig) local_kc="${2:-}"; shift 2 ;;
  --remote-kubeconfig) remote_kc="${2:-}"; shift 2 ;;
  --local-context) local_ctx="${2:-}"; shift 2 ;;
  --remote-context) remote_ctx="${2:-}"; shift 2 ;;
  --remote-server) server="${2:-}"; shift 2 ;;
  --overlay) overlay=Enabled; shift ;;
  --token-duration) duration="${2:-}"; shift 2 ;;
  --namespace) ns="${2:-}"; shift 2 ;;
  -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
  *) die "unknown argument $1 (see --help)" ;;
  esac
done
[ -n "$name" ] || die "--name is required (the RemoteClusterConfiguration name, e.g. cluster-b)"
[[ "$name" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "--name $name is not a DNS label"
[ -n "$local_kc" ] || die "--local-kubeconfig is required"
[ -n "$remote_kc" ] || die "--remote-kubeconfig is required"
[ -f "$rbac" ] || die "$rbac not found (run from a cattail checkout)"

remote() { "$kubectl" --kubeconfig "$remote_kc" ${remote_ctx:+--context "$remote_ctx"} "$@"; }
local_() { "$kubectl" --kubeconfig "$local_kc" ${local_ctx:+--context "$local_ctx"} "$@"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "remote-access: remote: read-only ServiceAccount cattail-remote-reader and its ClusterRole"
remote apply -f "$rbac" >/dev/null

if [ -n "$duration" ]; then
  echo "remote-access: remote: token for cattail-remote-reader (expires after $duration)"
  token="$(remote -n cattail-system create token cattail-remote-reader --duration "$duration")"
else
  echo "remote-access: remote: long-lived token Secret cattail-remote-reader-token"
  remote apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: cattail-remote-reader-token
  namespace: cattail-system
  annotations: { kubernetes.io/service-account.name: cattail-remote-reader }
type: kubernetes.io/service-account-token
EOF
  token=''
  for _ in $(seq 1 60); do
    token="$(remote -n cattail-system get secret cattail-remote-reader-token -o 'jsonpath={.data.token}')"
    [ -n "$token" ] && break
    sleep 0.5 # the token controller fills the Secret asynchronously
  done
  [ -n "$token" ] || die "the remote's token controller did not fill Secret cattail-system/cattail-remote-reader-token"
  token="$(printf '%s' "$token" | base64 -d)"
fi

# The remote's address and CA, as the remote kubeconfig has them (--remote-server overrides the
# address when the one in the kubeconfig is not reachable from the local cluster's pods).
view() { remote config view --minify --flatten -o "jsonpath=$1"; }
[ -n "$server" ] || server="$(view '{.clusters[0].cluster.server}')"
ca="$(view '{.clusters[0].cluster.certificate-authority-data}')"
skip="$(view '{.clusters[0].cluster.insecure-skip-tls-verify}')"
kc="$work/kubeconfig"
k() { "$kubectl" --kubeconfig "$kc" config "$@" >/dev/null; }
if [ -n "$ca" ]; then
  printf '%s' "$ca" | base64 -d >"$work/ca.crt"
  k set-cluster "$name" --server "$server" --certificate-authority "$work/ca.crt" --embed-certs
elif [ "$skip" = true ]; then
  k set-cluster "$name" --server "$server" --insecure-skip-tls-verify
else
  k set-cluster "$name" --server "$server"
fi
k set-credentials cattail-remote-reader --token "$token"
k set-context "$name" --cluster "$name" --user cattail-remote-reader
k use-context "$name"

echo "remote-access: local: Secret $ns/$name and RemoteClusterConfiguration $name (overlayRoutingMode: $overlay)"
local_ create namespace "$ns" --dry-run=client -o yaml | local_ apply -f - >/dev/null
local_ -n "$ns" create secret generic "$name" --from-literal=datastoreType=kubernetes \
  --from-file=kubeconfig="$kc" --dry-run=client -o yaml | local_ apply -f - >/dev/null
local_ apply -f - >/dev/null <<EOF
apiVersion: crd.projectcalico.org/v1
kind: RemoteClusterConfiguration
metadata: { name: $name }
spec:
  clusterAccessSecret: { kind: Secret, name: $name, namespace: $ns }
  syncOptions: { overlayRoutingMode: $overlay }
EOF
echo "remote-access: done; check with: cattail status (remote $name should become InSync)"
