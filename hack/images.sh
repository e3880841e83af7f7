#!/usr/bin/env bash
# Builds the images a cluster needs to run the platform, without a container engine or a
# registry, as archives in the `docker save` format (hack/cluster.sh load, kind load
# image-archive and ctr images import read them). Usage: hack/images.sh VERSION [OUT]
#
#   platform   ghcr.io/events-platform/events-platform:VERSION           (our static binary)
#   manager    ghcr.io/events-platform/events-platform-operator:VERSION  (our static binary)
#   postgres   localhost/events-platform/postgres:15    (Debian's postgresql-15, minimal rootfs)
#   redis      localhost/events-platform/redis:7        (Debian's redis-server, same rootfs)
#   nats       localhost/events-platform/nats:2.15.2    (nats-server from its Go module)
#   busybox    localhost/events-platform/busybox:1.35   (Debian's busybox-static, for helm test)
#
# The dependency images get their own names, not the operator's defaults (postgres:16,
# redis:7, nats:2.10 from Docker Hub), because they are not those images: the e2e suite sets
# them in the EventsPlatform spec. The PostgreSQL image's entrypoint
# (hack/images/postgres-entrypoint.sh) initialises the data folder from POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB as the official image does. The dependency archives are
# cached in the user's data folder; the platform and manager are built every time.
# Writes OUT/images.txt: one line "component image archive" per image.
set -euo pipefail

version="${1:?usage: hack/images.sh VERSION [OUT]}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${2:-$root/bin/images}" && cd "${2:-$root/bin/images}" && pwd)"
cache="${IMAGES_CACHE:-${XDG_DATA_HOME:-$HOME/.local/share}/events-platform-cluster/images}"
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Bump when the recipe of the cached dependency images changes.
RECIPE=1

log() { echo "images: $*" >&2; }

# Every function builds under a folder of its own in work, removed however the script ends.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
die() { log "$*"; exit 1; }

imagetar() { "$root/bin/imagetar" "$@"; }

nats_version() { (cd "$root" && go list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2) | sed 's/^v//'; }

PLATFORM_IMAGE="ghcr.io/events-platform/events-platform:${version}"
MANAGER_IMAGE="ghcr.io/events-platform/events-platform-operator:${version}"
POSTGRES_IMAGE=localhost/events-platform/postgres:15
REDIS_IMAGE=localhost/events-platform/redis:7
BUSYBOX_IMAGE=localhost/events-platform/busybox:1.35

# base_rootfs DIR: what a static binary needs around it: users, CA certificates, /tmp.
base_rootfs() {
	mkdir -p "$1/etc/ssl/certs" "$1/tmp"
	chmod 1777 "$1/tmp"
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$1/etc/passwd"
	printf 'root:x:0:\nnonroot:x:65532:\n' >"$1/etc/group"
	[[ -r /etc/ssl/certs/ca-certificates.crt ]] && cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/"
	return 0
}

# ours NAME IMAGE BINARY PACKAGE ARGS...: an image of one of our static binaries.
ours() {
	local name="$1" image="$2" bin="$3" pkg="$4"; shift 4
	local rootfs="$work/$name"
	base_rootfs "$rootfs"
	(cd "$root" && CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X github.com/events-platform/events-platform/internal/buildinfo.Version=${version}" \
		-o "$rootfs/$bin" "$pkg")
	imagetar -tag "$image" -user 65532:65532 -entrypoint "[\"/$bin\"]" "$@" -o "$out/$name.tar" "$rootfs"
	rm -rf "$rootfs"
	echo "$name $image $out/$name.tar" >>"$out/images.txt"
}

# debian_deps: PostgreSQL and Redis from Debian's packages in a minimal root filesystem, as
# one image with two names (the entrypoint runs redis-server as it is given).
debian_deps() {
	local tar="$cache/debian-deps-r${RECIPE}.tar"
	if [[ ! -s "$tar" ]]; then
		[[ $(id -u) -eq 0 ]] || die "building the PostgreSQL and Redis images needs root (debootstrap)"
		command -v debootstrap >/dev/null || {
			log "installing debootstrap from Debian packages"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
		}
		local rootfs="$work/debian"
		log "debootstrap $DEBIAN_SUITE with postgresql-15 and redis-server (a few minutes, once)"
		debootstrap --variant=minbase --include=postgresql-15,redis-server \
			"$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$cache/debootstrap.log" 2>&1 ||
			die "debootstrap failed; see $cache/debootstrap.log"
		# The operator runs PostgreSQL and Redis as uid 999, as the official images do.
		chroot "$rootfs" usermod -u 999 postgres
		chroot "$rootfs" groupmod -g 999 postgres
		chroot "$rootfs" apt-get clean
		rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
			"$rootfs"/usr/share/locale/* "$rootfs"/var/log/*
		install -D -m 755 "$root/hack/images/postgres-entrypoint.sh" "$rootfs/usr/local/bin/docker-entrypoint.sh"
		imagetar -tag "$POSTGRES_IMAGE" -tag "$REDIS_IMAGE" \
			-env "PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
			-env "PGDATA=/var/lib/postgresql/data" -env "LANG=C.UTF-8" \
			-entrypoint '["docker-entrypoint.sh"]' -cmd '["postgres"]' -o "$tar.tmp" "$rootfs"
		mv "$tar.tmp" "$tar"
		rm -rf "$rootfs"
	fi
	echo "postgres $POSTGRES_IMAGE $tar" >>"$out/images.txt"
	echo "redis $REDIS_IMAGE $tar" >>"$out/images.txt"
}

nats() {
	local v; v="$(nats_version)"
	local image="localhost/events-platform/nats:${v}" tar="$cache/nats-${v}.tar"
	if [[ ! -s "$tar" ]]; then
		local rootfs="$work/nats"
		base_rootfs "$rootfs"
		(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$rootfs/nats-server" github.com/nats-io/nats-server/v2)
		imagetar -tag "$image" -user 65532:65532 -entrypoint '["/nats-server"]' -o "$tar.tmp" "$rootfs"
		mv "$tar.tmp" "$tar"
		rm -rf "$rootfs"
	fi
	echo "nats $image $tar" >>"$out/images.txt"
}

busybox() {
	local tar="$cache/busybox-r${RECIPE}.tar"
	if [[ ! -s "$tar" ]]; then
		local dir="$work/busybox"
		mkdir -p "$dir"
		(cd "$dir" && apt-get download busybox-static >/dev/null 2>&1) ||
			die "apt-get download busybox-static failed (apt-get update first?)"
		dpkg-deb -x "$dir"/busybox-static_*.deb "$dir/pkg"
		local rootfs="$dir/rootfs"
		base_rootfs "$rootfs"
		install -D -m 755 "$dir/pkg/bin/busybox" "$rootfs/bin/busybox"
		local applet; for applet in sh wget cat ls sleep nslookup; do ln -s busybox "$rootfs/bin/$applet"; done
		imagetar -tag "$BUSYBOX_IMAGE" -env PATH=/bin -cmd '["sh"]' -o "$tar.tmp" "$rootfs"
		mv "$tar.tmp" "$tar"
		rm -rf "$dir"
	fi
	echo "busybox $BUSYBOX_IMAGE $tar" >>"$out/images.txt"
}

mkdir -p "$cache"
(cd "$root" && go build -o bin/imagetar ./test/e2e/imagetar)
: >"$out/images.txt"
ours platform "$PLATFORM_IMAGE" platform ./cmd/platform -cmd '["serve","--target=all"]'
ours manager "$MANAGER_IMAGE" manager ./cmd/manager
debian_deps
nats
busybox
log "wrote $(wc -l <"$out/images.txt") images; list in $out/images.txt"
