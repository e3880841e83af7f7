#!/usr/bin/env bash
# `make e2e`: the end-to-end suite (test/e2e) on a real cluster.
#
# With a running docker or podman and kind, the suite makes its own kind cluster. Otherwise,
# as root on Linux, it runs on hack/cluster.sh's single-node cluster: record the host's
# state, bring the cluster up, build the images without a container engine (hack/images.sh)
# and import them, run the suite, bring the cluster down, and compare the host's state with
# the record (sysctls, iptables, addresses and links, mounts, cgroups, processes). The run
# fails if the suite fails or the host is not as it was. E2E_KEEP_CLUSTER=1 leaves the
# cluster up (and skips the comparison).
#
# Artefacts (the suite's on failure, the host comparison, the cluster's logs) go to
# E2E_ARTIFACTS, bin/e2e-artifacts by default.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
VERSION="${VERSION:-e2e}"
NEXT_VERSION="${NEXT_VERSION:-e2e-next}"
export E2E_ARTIFACTS="${E2E_ARTIFACTS:-$root/bin/e2e-artifacts}"

log() { echo "e2e: $*" >&2; }

suite() { go test -tags e2e -count=1 -timeout=45m ./test/e2e/... -v -ginkgo.v; }

engine_running() {
	local e
	for e in docker podman; do command -v "$e" >/dev/null && "$e" info >/dev/null 2>&1 && return 0; done
	return 1
}

if engine_running && command -v kind >/dev/null; then
	log "a container engine and kind are here: running on kind"
	VERSION="$VERSION" NEXT_VERSION="$NEXT_VERSION" suite
	exit
fi

[[ $(id -u) -eq 0 ]] || { log "no container engine with kind, and the local cluster (hack/cluster.sh) needs root"; exit 1; }
rm -rf "$E2E_ARTIFACTS"
mkdir -p "$E2E_ARTIFACTS"
start=$(date +%s)
hack/cluster.sh down >/dev/null 2>&1 || true
hack/cluster.sh hoststate >"$E2E_ARTIFACTS/host-before.txt"

rc=0
(
	set -e
	hack/cluster.sh up
	images="$root/bin/images"
	rm -rf "$images" "$images-next"
	hack/images.sh "$VERSION" "$images"
	hack/images.sh "$NEXT_VERSION" "$images-next"
	# hack/images.sh lists each archive once per name it carries; import each once.
	cut -d' ' -f3 "$images/images.txt" "$images-next/images.txt" | sort -u | xargs hack/cluster.sh load
	log "cluster and images ready after $(($(date +%s) - start)) s"
	KUBECONFIG="$(hack/cluster.sh kubeconfig)" E2E_CLUSTER=local E2E_IMAGES="$images/images.txt" \
		VERSION="$VERSION" NEXT_VERSION="$NEXT_VERSION" suite
) || rc=$?

if [[ -n "${E2E_KEEP_CLUSTER:-}" ]]; then
	log "E2E_KEEP_CLUSTER: the cluster stays up (hack/cluster.sh down to stop it); exit $rc"
	exit "$rc"
fi
state="$(dirname "$(hack/cluster.sh kubeconfig)")"
[[ -d "$state" ]] && cp "$state"/*.log "$E2E_ARTIFACTS/" 2>/dev/null || true
hack/cluster.sh down || rc=1
hack/cluster.sh hoststate >"$E2E_ARTIFACTS/host-after.txt"
if diff -u "$E2E_ARTIFACTS/host-before.txt" "$E2E_ARTIFACTS/host-after.txt" >"$E2E_ARTIFACTS/host-diff.txt"; then
	log "the host is as it was: sysctls, iptables, addresses, links, mounts, cgroups and processes compared"
	rm -f "$E2E_ARTIFACTS/host-diff.txt"
else
	log "the host differs from before the run:"
	cat "$E2E_ARTIFACTS/host-diff.txt" >&2
	rc=1
fi
log "$( ((rc == 0)) && echo passed || echo FAILED) in $(($(date +%s) - start)) s; artefacts in $E2E_ARTIFACTS"
exit "$rc"
