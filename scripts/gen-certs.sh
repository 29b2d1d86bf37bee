#!/usr/bin/env bash
# Certificates for the agent↔cache mutual TLS when cert-manager is not installed (otherwise apply
# docker/manifests/overlays/cert-manager): a CA, a cache server certificate (CN cattail-cache, DNS
# cattail-cache.cattail-system.svc) and an agent client certificate (CN cattail-agent), stored as
# the Secrets cattail-cache-tls and cattail-agent-tls (tls.crt, tls.key, ca.crt) in cattail-system.
#
# Usage: scripts/gen-certs.sh [--kubeconfig FILE] [--context CTX] [--out DIR] [--days N] [--no-apply]
#   --out DIR   keep the PEM files there (default: a temporary directory, removed afterwards)
#   --no-apply  only write the files (needs --out)
# Re-running issues new certificates (a new CA): restart the caches and agents afterwards.
set -euo pipefail
kubectl="${KUBECTL:-kubectl}" kc='' ctx='' out='' days=365 apply=1 ns=cattail-system
die() {
  echo "gen-certs: $*" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
  --kubeconfig) kc="${2:-}"; shift 2 ;;
  --context) ctx="${2:-}"; shift 2 ;;
  --out) out="${2:-}"; shift 2 ;;
  --days) days="${2:-}"; shift 2 ;;
  --no-apply) apply=0; shift ;;
  -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
  *) die "unknown argument $1 (see --help)" ;;
  esac
done
[[ "$days" =~ ^[0-9]+$ ]] || die "--days must be a number"
[ "$apply" = 1 ] || [ -n "$out" ] || die "--no-apply needs --out"
command -v openssl >/dev/null || die "openssl is required"
if [ -z "$out" ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
cd "$out"
umask 077

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
  -out ca.crt -days "$days" -subj /CN=cattail-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
issue() { # name cn usage [san]
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" \
    -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$3"
    [ -z "${4:-}" ] || echo "subjectAltName=$4"
  } >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue cache cattail-cache serverAuth "DNS:cattail-cache,DNS:cattail-cache.$ns.svc"
issue agent cattail-agent clientAuth
echo "gen-certs: CA, cache and agent certificates in $out (valid $days days)"

if [ "$apply" = 1 ]; then
  k() { "$kubectl" ${kc:+--kubeconfig "$kc"} ${ctx:+--context "$ctx"} "$@"; }
  k create namespace "$ns" --dry-run=client -o yaml | k apply -f - >/dev/null
  for role in cache agent; do
    k -n "$ns" create secret generic "cattail-$role-tls" --from-file=tls.crt="$role.crt" \
      --from-file=tls.key="$role.key" --from-file=ca.crt=ca.crt --dry-run=client -o yaml |
      k apply -f - >/dev/null
    echo "gen-certs: Secret $ns/cattail-$role-tls applied"
  done
fi
