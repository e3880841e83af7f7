#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver and etcd) from Go sources, since no
# download site is reachable here. The binaries live in the user's data folder, as
# setup-envtest keeps them, so a fresh clone on the same machine finds them; bin/k8s/
# links to that folder. Prints the folder to use as KUBEBUILDER_ASSETS.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
PLATFORM="linux-amd64"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
store="${ENVTEST_STORE:-${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest}/k8s/${K8S_VERSION}-${PLATFORM}"
local_dir="${root}/bin/k8s/${K8S_VERSION}-${PLATFORM}"

log() { echo "setup-envtest: $*" >&2; }

# shellcheck source=hack/lib/kube-build.sh
source "${root}/hack/lib/kube-build.sh"

complete() { [[ -x "$1/kube-apiserver" && -x "$1/etcd" && -x "$1/kubectl" ]]; }

build_apiserver() {
	log "building kube-apiserver v${K8S_VERSION} from source (about 4 minutes on 2 cores)"
	kube_build "$store/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver/app "app.NewAPIServerCommand()"
}

build_etcd() {
	local work; work="$(mktemp -d)"
	log "building etcd v${ETCD_VERSION} from source (about 1 minute)"
	(
		cd "$work"
		go mod init envtest/etcd >/dev/null 2>&1
		go mod edit -require="go.etcd.io/etcd/server/v3@v${ETCD_VERSION}"
		cat >main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
		go mod tidy >/dev/null
		CGO_ENABLED=0 go build -trimpath -o "$store/etcd" .
	)
	rm -rf "$work"
}

if ! complete "$store"; then
	mkdir -p "$store"
	[[ -x "$store/etcd" ]] || build_etcd
	[[ -x "$store/kube-apiserver" ]] || build_apiserver
	if [[ ! -x "$store/kubectl" ]]; then
		kubectl_bin="$(command -v kubectl || true)"
		[[ -n "$kubectl_bin" ]] || { log "kubectl not found on PATH; install it first"; exit 1; }
		cp "$kubectl_bin" "$store/kubectl"
	fi
fi

mkdir -p "$(dirname "$local_dir")"
if [[ ! -e "$local_dir" ]] || ! complete "$local_dir"; then
	rm -rf "$local_dir"
	ln -s "$store" "$local_dir"
fi
complete "$local_dir" || { log "envtest binaries incomplete in $local_dir"; exit 1; }
echo "$local_dir"
