#!/usr/bin/env bash
# Registers the example workloads (server, client, and the sidecar-proxied legacy app and
# caller) with a SPIRE server on Kubernetes.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: deploy/spire/register.sh [options]

Creates SPIRE registration entries for the example workloads (skipping any that exist):
  a node alias for the cluster's SPIRE agents, then
  spiffe://<trust-domain>/ns/<namespace>/sa/<server-sa>  selected by k8s:ns + k8s:sa
  spiffe://<trust-domain>/ns/<namespace>/sa/<client-sa>  selected by k8s:ns + k8s:sa
  spiffe://<trust-domain>/ns/<namespace>/sa/<app-sa>     selected by k8s:ns + k8s:sa
  spiffe://<trust-domain>/ns/<namespace>/sa/<caller-sa>  selected by k8s:ns + k8s:sa

Options (defaults match deploy/k8s/):
  --trust-domain TD     trust domain                 (default: example.org)
  --namespace NS        namespace of the workloads   (default: spiffe-demo)
  --server-sa NAME      server service account       (default: spiffe-server)
  --client-sa NAME      client service account       (default: spiffe-client)
  --app-sa NAME         proxied app service account    (default: legacy-app)
  --caller-sa NAME      proxied caller service account (default: legacy-caller)
  --cluster NAME        k8s_psat cluster name of the SPIRE agents (default: demo-cluster)
  --agent-ns NS         namespace of the SPIRE agents            (default: spire)
  --agent-sa NAME       service account of the SPIRE agents      (default: spire-agent)
  --dry-run             print the spire-server commands instead of running them
  -h, --help            show this help

The spire-server command is taken from $SPIRE_SERVER, split on spaces, e.g.
  SPIRE_SERVER="kubectl exec -n spire spire-server-0 -c spire-server -- /opt/spire/bin/spire-server"
(default: spire-server on the PATH).
USAGE
}

trust_domain=example.org
namespace=spiffe-demo
server_sa=spiffe-server
client_sa=spiffe-client
app_sa=legacy-app
caller_sa=legacy-caller
cluster=demo-cluster
agent_ns=spire
agent_sa=spire-agent
dry_run=false

while [[ $# -gt 0 ]]; do
  case "$1" in
    --trust-domain) trust_domain="${2:?--trust-domain needs a value}"; shift 2 ;;
    --namespace) namespace="${2:?--namespace needs a value}"; shift 2 ;;
    --server-sa) server_sa="${2:?--server-sa needs a value}"; shift 2 ;;
    --client-sa) client_sa="${2:?--client-sa needs a value}"; shift 2 ;;
    --app-sa) app_sa="${2:?--app-sa needs a value}"; shift 2 ;;
    --caller-sa) caller_sa="${2:?--caller-sa needs a value}"; shift 2 ;;
    --cluster) cluster="${2:?--cluster needs a value}"; shift 2 ;;
    --agent-ns) agent_ns="${2:?--agent-ns needs a value}"; shift 2 ;;
    --agent-sa) agent_sa="${2:?--agent-sa needs a value}"; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "register.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

# A trust domain is lowercase letters, digits, dots, dashes and underscores (SPIFFE-ID spec).
if [[ ! "$trust_domain" =~ ^[a-z0-9._-]+$ ]]; then
  echo "register.sh: invalid trust domain \"$trust_domain\" (lowercase letters, digits, . - _ only; no scheme)" >&2
  exit 2
fi

read -r -a spire_server <<<"${SPIRE_SERVER:-spire-server}"

run() {
  if [[ "$dry_run" == true ]]; then
    local line
    printf -v line '%q ' "${spire_server[@]}" "$@"
    echo "${line% }"
  else
    "${spire_server[@]}" "$@"
  fi
}

# Creates an entry unless one with this SPIFFE ID exists already.
create_entry() {
  local spiffe_id="$1"
  shift
  if [[ "$dry_run" != true ]] && "${spire_server[@]}" entry show -spiffeID "$spiffe_id" 2>/dev/null | grep -q "Entry ID"; then
    echo "exists: $spiffe_id"
    return 0
  fi
  run entry create -spiffeID "$spiffe_id" "$@"
}

td="spiffe://${trust_domain}"
node_id="${td}/ns/${agent_ns}/sa/${agent_sa}"

# Every SPIRE agent of the cluster (k8s_psat node attestation) under one alias ID.
create_entry "$node_id" -node \
  -selector "k8s_psat:cluster:${cluster}" \
  -selector "k8s_psat:agent_ns:${agent_ns}" \
  -selector "k8s_psat:agent_sa:${agent_sa}"

for sa in "$server_sa" "$client_sa" "$app_sa" "$caller_sa"; do
  create_entry "${td}/ns/${namespace}/sa/${sa}" -parentID "$node_id" \
    -selector "k8s:ns:${namespace}" \
    -selector "k8s:sa:${sa}"
done
