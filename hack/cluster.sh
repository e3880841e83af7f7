#!/usr/bin/env bash
# A single-node Kubernetes cluster on this machine, without a container engine (issue
# #18). So far: `hack/cluster.sh build` builds, once, what the node runs besides
# kube-apiserver and etcd (which hack/setup-envtest.sh builds): kubelet,
# kube-controller-manager, kube-scheduler, kube-proxy, CoreDNS and the pause image's
# binary. They live in the user's data folder, as the envtest binaries do, so that a fresh
# clone on the same machine finds them. Prints the folder.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
COREDNS_VERSION="${COREDNS_VERSION:-1.15.0}"
PLATFORM="linux-amd64"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
store="${CLUSTER_STORE:-${XDG_DATA_HOME:-$HOME/.local/share}/events-platform-cluster}/${K8S_VERSION}-${PLATFORM}"

log() { echo "cluster: $*" >&2; }

# shellcheck source=hack/lib/kube-build.sh
source "${root}/hack/lib/kube-build.sh"

build_coredns() {
	local work; work="$(mktemp -d)"
	(
		cd "$work"
		go mod init build/coredns >/dev/null 2>&1
		go mod edit -require="github.com/coredns/coredns@v${COREDNS_VERSION}"
		cat >main.go <<'GO'
package main

import (
	_ "github.com/coredns/coredns/core/plugin" // the standard plugins

	"github.com/coredns/coredns/coremain"
)

func main() { coremain.Run() }
GO
		go mod tidy >/dev/null
		CGO_ENABLED=0 go build -trimpath -o "$store/coredns" .
	)
	local rc=$?
	rm -rf "$work"
	return $rc
}

# build_pause compiles the pause container's binary from the kubernetes module's source.
build_pause() {
	local src
	src="$(go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')/build/pause/linux/pause.c"
	command -v gcc >/dev/null || { log "gcc is needed for the pause binary: apt-get install gcc"; return 1; }
	gcc -Os -static -o "$store/pause" -DVERSION="v${K8S_VERSION}" "$src"
}

build() {
	mkdir -p "$store"
	local name import expr
	while read -r name import expr; do
		[[ -x "$store/$name" ]] && continue
		log "building $name v${K8S_VERSION} from source"
		kube_build "$store/$name" "$import" "$expr"
	done <<'LIST'
kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler/app app.NewSchedulerCommand()
kube-proxy k8s.io/kubernetes/cmd/kube-proxy/app app.NewProxyCommand()
kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager/app app.NewControllerManagerCommand()
kubelet k8s.io/kubernetes/cmd/kubelet/app app.NewKubeletCommand(context.Background())
LIST
	if [[ ! -x "$store/coredns" ]]; then
		log "building CoreDNS v${COREDNS_VERSION} from source"
		build_coredns
	fi
	[[ -x "$store/pause" ]] || build_pause
	echo "$store"
}

case "${1:-}" in
build) build ;;
*)
	echo "usage: hack/cluster.sh build" >&2
	exit 2
	;;
esac
