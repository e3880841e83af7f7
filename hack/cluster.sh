#!/usr/bin/env bash
# A single-node Kubernetes cluster on this machine, without a container engine or a
# registry, for `make e2e` where kind cannot run. Usage:
#
#   hack/cluster.sh build          build the node's binaries once (cached, see below)
#   hack/cluster.sh up             start the cluster and wait for the node to be Ready
#   hack/cluster.sh load TAR...    import image archives (docker save format) into the node
#   hack/cluster.sh kubeconfig     print the path of the admin kubeconfig
#   hack/cluster.sh status         what runs, and the node's condition
#   hack/cluster.sh down           stop what `up` started and undo every change to the host
#   hack/cluster.sh hoststate      print the host settings `up` touches, to compare before/after
#
# The binaries (kubelet, kube-controller-manager, kube-scheduler, kube-proxy, CoreDNS, the
# pause binary) are built from the Go module proxy into the user's data folder, as the
# envtest binaries are, so that a fresh clone on the same machine finds them; etcd and
# kube-apiserver are the envtest ones (hack/setup-envtest.sh). containerd, runc, the CNI
# plugins and iptables come from Debian's packages, installed when missing.
#
# The running cluster lives in one state folder (CLUSTER_STATE, /var/lib/events-platform-cluster),
# each component in its own sub-folder with its pid file and log. Everything listens on the
# address NODE_IP, added to the loopback interface (nothing is reachable from outside the
# machine), on ports away from the defaults. `up` records the sysctls it may change and the
# host's state; `down` stops only the processes it started (by pid, and the container shims
# of its own containerd socket), removes its iptables chains, network devices, mounts,
# cgroups and address, restores the sysctls, and deletes the state folder.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
COREDNS_VERSION="${COREDNS_VERSION:-1.15.0}"
PLATFORM="linux-amd64"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
store="${CLUSTER_STORE:-${XDG_DATA_HOME:-$HOME/.local/share}/events-platform-cluster}/${K8S_VERSION}-${PLATFORM}"
state="${CLUSTER_STATE:-/var/lib/events-platform-cluster}"

NODE_NAME=evp-node
NODE_IP=10.200.0.1            # on lo, /32
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1          # the kubernetes Service
POD_CIDR=10.244.0.0/24
BRIDGE=evpcni0
CGROUP_ROOT=events-platform-cluster
ETCD_PORT=12379
ETCD_PEER_PORT=12380
API_PORT=16443
KUBELET_PORT=11250
KUBELET_HEALTHZ_PORT=11248
CM_PORT=11257
SCHEDULER_PORT=11259
PROXY_HEALTHZ_PORT=11256
PROXY_METRICS_PORT=11249
PAUSE_IMAGE=registry.k8s.io/pause:3.10
# The chains kube-proxy, the kubelet and the CNI plugins add to iptables.
CHAIN_PREFIXES='KUBE-|CNI-'
# The sysctls the kubelet, kube-proxy and the CNI bridge may set; `down` restores them.
SYSCTLS=(
	vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
	kernel.keys.root_maxkeys kernel.keys.root_maxbytes
	net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv4.conf.all.route_localnet
	net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
	net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
	net.netfilter.nf_conntrack_tcp_timeout_close_wait
)

# Folders outside the state folder that the node's programs create or write to.
HOST_PATHS=(/run/netns /run/containerd /var/lib/cni /var/log/pods /var/log/containers /var/lib/kubelet /etc/cni /opt/cni)

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR

# shellcheck source=hack/lib/kube-build.sh
source "${root}/hack/lib/kube-build.sh"

# --- build -----------------------------------------------------------------------------

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

# --- host state ------------------------------------------------------------------------

require_root() {
	[[ $(id -u) -eq 0 ]] || die "the cluster needs root (it runs containerd and the kubelet, and changes iptables, mounts and cgroups); run it as root"
	[[ "$(uname -s)" == Linux ]] || die "the cluster needs Linux"
}

apt_install() {
	command -v apt-get >/dev/null || die "missing $*; install it with your package manager"
	log "installing $* from Debian packages"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_host_packages() {
	local missing=()
	command -v containerd >/dev/null || missing+=(containerd)
	command -v runc >/dev/null || missing+=(runc)
	[[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
	command -v iptables >/dev/null || missing+=(iptables)
	command -v conntrack >/dev/null || missing+=(conntrack)
	command -v openssl >/dev/null || missing+=(openssl)
	# With iptables on nf_tables, nft removes the tables the node made (iptables cannot).
	if [[ "$(iptables --version 2>/dev/null)" == *nf_tables* ]]; then command -v nft >/dev/null || missing+=(nftables); fi
	if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
}

sysctl_get() { sysctl -n "$1" 2>/dev/null || true; }

# hoststate prints what `up` may change and `down` must restore, in a form to diff.
hoststate() {
	echo "## sysctls"
	local k
	for k in "${SYSCTLS[@]}"; do echo "$k = $(sysctl_get "$k")"; done
	echo "## netfilter"
	if command -v nft >/dev/null; then
		nft list ruleset 2>/dev/null | sed 's/counter packets [0-9]* bytes [0-9]*/counter/'
	else
		local t
		for t in iptables ip6tables; do
			command -v "$t-save" >/dev/null || continue
			"$t-save" 2>/dev/null | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]//' | sed "s/^/$t /"
		done
	fi
	echo "## addresses and links"
	ip -o addr show | awk '{print $2, $3, $4}'
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'
	echo "## mounts (mount point, type)"
	awk '{for (i = 7; i <= NF; i++) if ($i == "-") {print $5, $(i + 1); break}}' /proc/self/mountinfo | sort
	echo "## paths the kubelet, containerd and CNI use by default"
	local path
	for path in "${HOST_PATHS[@]}"; do
		if [[ -e "$path" ]]; then echo "$path: $(find "$path" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) entries"; fi
	done
	echo "## cgroups"
	local d
	for d in /sys/fs/cgroup/*/*/; do echo "${d%/}"; done
	echo "## processes"
	ps -N -p 2 --ppid 2 -o comm= | grep -vxE 'ps|sort|uniq|bash|sh|awk|sed|grep|hoststate|cluster.sh|sleep|go|make' | sort | uniq -c
}

record_host() {
	[[ -s "$state/host/sysctls" ]] && return
	mkdir -p "$state/host"
	local k
	for k in "${SYSCTLS[@]}"; do
		local v; v="$(sysctl_get "$k")"
		[[ -n "$v" ]] && echo "$k=$v"
	done >"$state/host/sysctls.tmp"
	mv "$state/host/sysctls.tmp" "$state/host/sysctls"
	local path
	for path in "${HOST_PATHS[@]}"; do if [[ -e "$path" ]]; then echo "$path"; fi; done >"$state/host/paths"
	if command -v nft >/dev/null; then nft list tables >"$state/host/nft-tables"; fi
	return 0
}

# --- certificates and kubeconfigs ------------------------------------------------------

pki() {
	local p="$state/pki"
	[[ -s "$p/admin.token" ]] && return
	mkdir -p "$p"
	log "making the cluster's certificates and tokens"
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=events-platform-cluster-ca" \
		-keyout "$p/ca.key" -out "$p/ca.crt" 2>/dev/null
	sign() { # sign NAME SUBJECT [SAN]
		openssl req -new -newkey rsa:2048 -nodes -subj "$2" -keyout "$p/$1.key" -out "$p/$1.csr" 2>/dev/null
		local ext="$p/$1.ext"
		if [[ -n "${3:-}" ]]; then
			printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$3" >"$ext"
		else
			printf 'extendedKeyUsage=clientAuth\n' >"$ext"
		fi
		openssl x509 -req -in "$p/$1.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial -days 3650 \
			-extfile "$ext" -out "$p/$1.crt" 2>/dev/null
		rm -f "$p/$1.csr" "$ext"
	}
	sign apiserver "/CN=kube-apiserver" \
		"IP:${NODE_IP},IP:${SERVICE_IP},IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
	sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
	openssl genrsa -out "$p/sa.key" 2048 2>/dev/null
	openssl rsa -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
	# Static tokens: user, uid, groups. The kubelet is a node (Node authorizer,
	# NodeRestriction); the others are the users the default RBAC roles are bound to.
	local user token
	: >"$p/tokens.csv"
	while read -r user groups; do
		token="$(openssl rand -hex 24)"
		echo "${token},${user},${user},\"${groups}\"" >>"$p/tokens.csv"
		echo "$token" >"$p/$(echo "${user##*:}" | tr -c 'a-z0-9\n' '-').token"
	done <<LIST
admin system:masters
system:node:${NODE_NAME} system:nodes
system:kube-controller-manager system:authenticated
system:kube-scheduler system:authenticated
system:kube-proxy system:authenticated
system:coredns system:authenticated
LIST
	mv "$p/${NODE_NAME}.token" "$p/kubelet.token"
	mv "$p/kube-controller-manager.token" "$p/controller-manager.token"
	mv "$p/kube-scheduler.token" "$p/scheduler.token"
	chmod 600 "$p"/*.key "$p"/*.token "$p/tokens.csv"
}

kubeconfig_for() { # kubeconfig_for NAME: a kubeconfig with NAME's token
	local f="$state/$1.kubeconfig"
	cat >"$f" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: events-platform
  cluster:
    server: https://${NODE_IP}:${API_PORT}
    certificate-authority: $state/pki/ca.crt
users:
- name: $1
  user:
    tokenFile: $state/pki/$1.token
contexts:
- name: events-platform
  context: {cluster: events-platform, user: $1}
current-context: events-platform
YAML
	chmod 600 "$f"
}

# --- processes -------------------------------------------------------------------------

running() { [[ -s "$state/$1.pid" ]] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }

start() { # start NAME COMMAND...: in the background, logging to $state/NAME.log
	local name="$1"; shift
	if running "$name"; then return; fi
	setsid "$@" >>"$state/$name.log" 2>&1 </dev/null &
	echo $! >"$state/$name.pid"
}

stop() { # stop NAME: SIGTERM, then SIGKILL after 15 s
	running "$1" || { rm -f "$state/$1.pid"; return 0; }
	local pid; pid="$(cat "$state/$1.pid")"
	kill "$pid" 2>/dev/null || true
	local i
	for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$state/$1.pid"
}

wait_for() { # wait_for WHAT SECONDS COMMAND...
	local what="$1" secs="$2"; shift 2
	local i
	for i in $(seq "$((secs * 2))"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	die "$what did not come up in ${secs}s; see the logs in $state"
}

kubectl_admin() { kubectl --kubeconfig "$state/admin.kubeconfig" "$@"; }

# --- up --------------------------------------------------------------------------------

envtest_dir() { "$root/hack/setup-envtest.sh"; }

# cgroup_dirs are the cluster's cgroups, one per hierarchy (the v1 controllers; runc also
# makes one in the unified hierarchy).
# has_node_ip: whether lo has NODE_IP. (Never `cmd | grep -q` under pipefail: grep's early
# exit can fail cmd with SIGPIPE, and the test with it.)
has_node_ip() { [[ -n "$(ip -o addr show dev lo to "${NODE_IP}/32")" ]]; }

cgroup_dirs() { local c; for c in /sys/fs/cgroup/*/; do [[ -w "$c" ]] && echo "${c}${CGROUP_ROOT}"; done; }

network() {
	has_node_ip || ip addr add "${NODE_IP}/32" dev lo
	mkdir -p "$state/cni/net.d" "$state/cni/ipam"
	cat >"$state/cni/net.d/10-events-platform.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "events-platform",
  "plugins": [
    {
      "type": "bridge", "bridge": "${BRIDGE}", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": "${POD_CIDR}"}]],
               "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$state/cni/ipam"}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
}

containerd_up() {
	local d="$state/containerd"
	mkdir -p "$d"
	cat >"$d/config.toml" <<TOML
version = 2
root = "$d/root"
state = "$d/state"
[grpc]
  address = "$d/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # root here lacks CAP_SYS_RESOURCE: without this every sandbox fails with
  # "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
TOML
	start containerd containerd --config "$d/config.toml"
	wait_for containerd 30 ctr --address "$d/containerd.sock" version
	if ! grep -qxF "$PAUSE_IMAGE" <<<"$(ctr_k8s images ls -q)"; then
		log "importing the pause image"
		local rootfs; rootfs="$(mktemp -d)"
		install -D -m 755 "$store/pause" "$rootfs/pause"
		imagetar -tag "$PAUSE_IMAGE" -entrypoint '["/pause"]' -user 65535 \
			-o "$state/pause.tar" "$rootfs"
		rm -rf "$rootfs"
		ctr_k8s images import "$state/pause.tar" >/dev/null
		rm -f "$state/pause.tar"
	fi
}

imagetar() { (cd "$root" && go build -o bin/imagetar ./test/e2e/imagetar) && "$root/bin/imagetar" "$@"; }

ctr_k8s() { ctr --address "$state/containerd/containerd.sock" -n k8s.io "$@"; }

control_plane_up() {
	local envtest; envtest="$(envtest_dir)"
	local p="$state/pki"
	mkdir -p "$state/etcd"
	start etcd "$envtest/etcd" --name default --data-dir "$state/etcd/data" \
		--listen-client-urls "http://127.0.0.1:${ETCD_PORT}" --advertise-client-urls "http://127.0.0.1:${ETCD_PORT}" \
		--listen-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" \
		--initial-cluster "default=http://127.0.0.1:${ETCD_PEER_PORT}"
	start kube-apiserver "$envtest/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:${ETCD_PORT}" \
		--advertise-address "$NODE_IP" --bind-address "$NODE_IP" --secure-port "$API_PORT" \
		--service-cluster-ip-range "$SERVICE_CIDR" \
		--tls-cert-file "$p/apiserver.crt" --tls-private-key-file "$p/apiserver.key" \
		--client-ca-file "$p/ca.crt" --token-auth-file "$p/tokens.csv" \
		--kubelet-client-certificate "$p/apiserver-kubelet-client.crt" --kubelet-client-key "$p/apiserver-kubelet-client.key" \
		--kubelet-preferred-address-types InternalIP \
		--service-account-key-file "$p/sa.pub" --service-account-signing-key-file "$p/sa.key" \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
		--allow-privileged=true --cert-dir "$state/kube-apiserver"
	wait_for kube-apiserver 90 kubectl_admin get --raw /readyz
	start kube-controller-manager "$store/kube-controller-manager" \
		--kubeconfig "$state/controller-manager.kubeconfig" \
		--authentication-kubeconfig "$state/controller-manager.kubeconfig" \
		--authorization-kubeconfig "$state/controller-manager.kubeconfig" \
		--service-account-private-key-file "$p/sa.key" --root-ca-file "$p/ca.crt" \
		--use-service-account-credentials=true --service-cluster-ip-range "$SERVICE_CIDR" \
		--allocate-node-cidrs=false --leader-elect=false \
		--bind-address 127.0.0.1 --secure-port "$CM_PORT" --cert-dir "$state/kube-controller-manager"
	start kube-scheduler "$store/kube-scheduler" \
		--kubeconfig "$state/scheduler.kubeconfig" \
		--authentication-kubeconfig "$state/scheduler.kubeconfig" \
		--authorization-kubeconfig "$state/scheduler.kubeconfig" \
		--leader-elect=false --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" \
		--cert-dir "$state/kube-scheduler"
}

# cluster_objects: what a node's cluster needs besides the defaults: CoreDNS's reading rights,
# a default StorageClass and local PersistentVolumes (no provisioner runs here).
cluster_objects() {
	mkdir -p "$state/volumes"
	local i pvs=""
	for i in $(seq -w 1 24); do
		mkdir -p "$state/volumes/pv$i"
		pvs+="---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-pv$i, labels: {events-platform.io/cluster: local}}
spec:
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local
  local: {path: $state/volumes/pv$i}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [${NODE_NAME}]}]
"
	done
	kubectl_admin apply -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:coredns"}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
$pvs
YAML
}

node_up() {
	local k="$state/kubelet"
	mkdir -p "$k"
	local c; for c in $(cgroup_dirs); do [[ "$c" == */unified/* ]] || mkdir -p "$c"; done
	# A new cpuset cgroup starts with no CPUs and no memory nodes: give it the machine's.
	local f; for f in cpus mems; do
		[[ -f "/sys/fs/cgroup/cpuset/${CGROUP_ROOT}/cpuset.$f" ]] &&
			cat "/sys/fs/cgroup/cpuset/cpuset.$f" >"/sys/fs/cgroup/cpuset/${CGROUP_ROOT}/cpuset.$f"
	done
	grep -v '^nameserver 127\.' /etc/resolv.conf >"$k/resolv.conf" || true
	cat >"$k/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroups are v1 on this machine.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /${CGROUP_ROOT}
containerRuntimeEndpoint: unix://$state/containerd/containerd.sock
address: ${NODE_IP}
port: ${KUBELET_PORT}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${KUBELET_HEALTHZ_PORT}
clusterDNS: [${NODE_IP}]
clusterDomain: cluster.local
resolvConf: $k/resolv.conf
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $state/pki/ca.crt}
authorization: {mode: Webhook}
failSwapOn: false
staticPodPath: ""
# The imported images cannot be pulled again: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
serializeImagePulls: false
podLogsDir: $k/logs
YAML
	start kubelet "$store/kubelet" --config "$k/config.yaml" --kubeconfig "$state/kubelet.kubeconfig" \
		--root-dir "$k/root" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v=1
	cat >"$state/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $state/kube-proxy.kubeconfig}
hostnameOverride: ${NODE_NAME}
mode: iptables
clusterCIDR: ${POD_CIDR}
healthzBindAddress: 127.0.0.1:${PROXY_HEALTHZ_PORT}
metricsBindAddress: 127.0.0.1:${PROXY_METRICS_PORT}
# Leave the host's conntrack settings and route_localnet alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
YAML
	start kube-proxy "$store/kube-proxy" --config "$state/kube-proxy.yaml"
	cat >"$state/Corefile" <<COREFILE
.:53 {
    bind ${NODE_IP}
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $state/coredns.kubeconfig events-platform
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 30
}
COREFILE
	start coredns "$store/coredns" -conf "$state/Corefile"
}

up() {
	require_root
	install_host_packages
	build >/dev/null
	command -v kubectl >/dev/null || die "kubectl is needed"
	mkdir -p "$state"
	record_host
	pki
	local n; for n in admin kubelet controller-manager scheduler kube-proxy coredns; do kubeconfig_for "$n"; done
	network
	control_plane_up
	cluster_objects
	containerd_up
	node_up
	log "waiting for node ${NODE_NAME} to be Ready"
	wait_for "node ${NODE_NAME}" 120 kubectl_admin wait --for=condition=Ready "node/${NODE_NAME}" --timeout=2s
	wait_for "the default ServiceAccount" 60 kubectl_admin get serviceaccount default
	log "up: KUBECONFIG=$state/admin.kubeconfig (state and logs in $state)"
}

# --- down ------------------------------------------------------------------------------

# remove_chains deletes, from every table of iptables and ip6tables, the chains whose names
# start with CHAIN_PREFIXES and the rules that jump to them.
remove_chains() {
	local t
	for t in iptables ip6tables; do
		command -v "$t-save" >/dev/null || continue
		local saved; saved="$("$t-save" 2>/dev/null)" || continue
		grep -qE "^:(${CHAIN_PREFIXES})|-j (${CHAIN_PREFIXES})" <<<"$saved" || continue
		grep -vE "^:(${CHAIN_PREFIXES})|^-A (${CHAIN_PREFIXES})|-[jg] (${CHAIN_PREFIXES})" <<<"$saved" | "$t-restore"
	done
	# The nf_tables tables that iptables made for the node and that hold no rule now.
	[[ -e "$state/host/nft-tables" ]] && command -v nft >/dev/null || return 0
	local family name
	nft list tables | grep -vxFf "$state/host/nft-tables" | while read -r _ family name; do
		if grep -qvE '^[[:space:]]*(table .*\{|chain .*\{|type .*;|\}|)$' <<<"$(nft list table "$family" "$name")"; then
			log "table $family $name was made while the cluster ran and holds rules that are not the cluster's: left"
		else
			nft delete table "$family" "$name"
		fi
	done
}

down() {
	require_root
	[[ -d "$state" ]] || { log "no cluster in $state"; return 0; }
	local n
	for n in coredns kube-proxy kube-scheduler kube-controller-manager kubelet; do stop "$n"; done
	# The containers: every process in the cluster's cgroups, then the shims of our containerd.
	local c pids
	for c in $(cgroup_dirs); do
		[[ -d "$c" ]] || continue
		# (find fails when a cgroup goes away during the walk)
		pids="$(find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u || true)"
		[[ -n "$pids" ]] && kill -9 $pids 2>/dev/null || true
	done
	pids="$(pgrep -f "containerd-shim.* -address $state/containerd/containerd.sock" || true)"
	[[ -n "$pids" ]] && kill -9 $pids 2>/dev/null || true
	stop containerd
	stop kube-apiserver
	stop etcd
	# Mounts under the state folder and the pods' network namespaces, deepest first.
	local mounts m
	mounts="$(awk -v state="$state/" 'index($5, state) == 1 || index($5, "/run/netns/cni-") == 1 {print $5}' /proc/self/mountinfo | sort -r)"
	while read -r m; do
		[[ -z "$m" ]] || umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
	done <<<"$mounts"
	rm -f /run/netns/cni-* 2>/dev/null || true
	# Network: the pods' veths (a namespace's end goes only once the kernel has cleaned the
	# namespace up, some time after its last process), the bridge, chains, the node address.
	if ip link show "$BRIDGE" >/dev/null 2>&1; then
		local v
		for v in $(ip -o link show master "$BRIDGE" | awk -F': ' '{print $2}' | sed 's/@.*//'); do
			ip link del "$v" 2>/dev/null || true
		done
		ip link del "$BRIDGE"
	fi
	remove_chains
	if has_node_ip; then ip addr del "${NODE_IP}/32" dev lo; fi
	# cgroups, deepest first.
	for c in $(cgroup_dirs); do
		[[ -d "$c" ]] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
		[[ -d "$c" ]] && log "could not remove cgroup $c"
	done
	# sysctls and the folders the runtime made outside the state folder.
	if [[ -s "$state/host/sysctls" ]]; then
		local kv
		while read -r kv; do
			[[ "$(sysctl_get "${kv%%=*}")" == "${kv#*=}" ]] || sysctl -q -w "$kv" >/dev/null || log "could not restore $kv"
		done <"$state/host/sysctls"
	fi
	# The kubelet links every container's log into /var/log/containers.
	find /var/log/containers -maxdepth 1 -lname "$state/*" -delete 2>/dev/null || true
	local path
	for path in "${HOST_PATHS[@]}"; do
		[[ -e "$path" ]] && ! grep -qxF "$path" "$state/host/paths" 2>/dev/null && rm -rf "$path"
	done
	rm -rf "$state"
	log "down: stopped and removed $state"
}

status() {
	[[ -d "$state" ]] || { echo "no cluster (state folder $state absent)"; return 0; }
	local n
	for n in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy coredns; do
		if running "$n"; then echo "$n: running (pid $(cat "$state/$n.pid"))"; else echo "$n: stopped"; fi
	done
	kubectl_admin get nodes -o wide 2>/dev/null || true
}

case "${1:-}" in
build) build ;;
up) up ;;
down) down ;;
status) status ;;
kubeconfig) echo "$state/admin.kubeconfig" ;;
load)
	shift
	require_root
	running containerd || die "the cluster is not up (hack/cluster.sh up)"
	for tar in "$@"; do ctr_k8s images import "$tar" >/dev/null && log "imported $tar"; done
	;;
hoststate) hoststate ;;
*)
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
