# Builds Kubernetes components from the Go module proxy, since no download site is
# reachable here: a throw-away module requires k8s.io/kubernetes at the release, pins each
# of its staging modules to the published module of the same release (the kubernetes
# module replaces them with local folders), and builds a main that runs the component's
# command. Sourced by hack/setup-envtest.sh and hack/cluster.sh.

# kube_build OUT IMPORT EXPR builds the binary OUT from a main that runs
# cli.Run(EXPR), with IMPORT imported as app (for example
# k8s.io/kubernetes/cmd/kubelet/app and "app.NewKubeletCommand(context.Background())").
# K8S_VERSION names the release.
kube_build() {
	local out="$1" import="$2" expr="$3" work gomod
	work="$(mktemp -d)"
	(
		cd "$work"
		go mod init build/"$(basename "$out")" >/dev/null 2>&1
		gomod="$(go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
		go mod edit -require="k8s.io/kubernetes@v${K8S_VERSION}"
		grep -oE '^[[:space:]]*k8s\.io/[A-Za-z0-9._/-]+ => \./staging' "$gomod" | awk '{print $1}' |
			while read -r mod; do go mod edit -replace="${mod}=${mod}@v0.${K8S_VERSION#1.}"; done
		cat >main.go <<GO
package main

import (
	"context"
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	app "${import}"
)

var _ = context.Background

func main() { os.Exit(cli.Run(${expr})) }
GO
		go mod tidy >/dev/null
		CGO_ENABLED=0 go build -trimpath -o "$out" -ldflags "\
			-X k8s.io/component-base/version.gitVersion=v${K8S_VERSION} \
			-X k8s.io/component-base/version.gitMajor=${K8S_VERSION%%.*} \
			-X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)" .
	)
	local rc=$?
	rm -rf "$work"
	return $rc
}
