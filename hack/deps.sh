#!/usr/bin/env bash
# Local dependencies for development and tests: PostgreSQL, Redis and NATS (JetStream) on
# loopback, each with its data under .local/ and on its own port, so nothing collides with a
# system-wide server. Usage: hack/deps.sh up|down|status|env
#
# `up` is idempotent and installs missing servers from Debian packages. `down` stops only the
# processes this script started (their pid files live under .local/).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${DEPS_DIR:-$root/.local}"
PG_PORT="${PG_PORT:-55432}"
REDIS_PORT="${REDIS_PORT:-56379}"
NATS_PORT="${NATS_PORT:-54222}"
NATS_MONITOR_PORT="${NATS_MONITOR_PORT:-58222}"
PG_USER=platform
PG_PASSWORD=platform
PG_DB=platform

log() { echo "deps: $*" >&2; }
die() { log "$*"; exit 1; }

apt_updated=""
apt_install() {
	[[ $(id -u) -eq 0 ]] || die "missing $*; install it (apt-get install $*) or run as root so this script can"
	command -v apt-get >/dev/null || die "missing $* and no apt-get to install it"
	log "installing $* from Debian packages"
	if [[ -z "$apt_updated" ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_bindir() {
	local d
	for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
		[[ -x "$d/pg_ctl" && -x "$d/initdb" ]] && { echo "$d"; return; }
	done
	command -v pg_ctl >/dev/null && { dirname "$(readlink -f "$(command -v pg_ctl)")"; return; }
	return 1
}

# PostgreSQL refuses to run as root: as root, run it as the postgres user on folders it owns.
pg_as() {
	if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# pg_home is PostgreSQL's folder: .local/postgres, or, when running as root in a checkout
# the postgres user cannot reach (a parent folder closed to others), a folder under
# /var/tmp named after the checkout. .local/postgres-home records which.
pg_home() {
	if [[ -s "$state/postgres-home" ]]; then cat "$state/postgres-home"; return; fi
	local home="$state/postgres"
	if [[ $(id -u) -eq 0 ]]; then
		mkdir -p "$home"; chown postgres: "$home"; chmod 755 "$state"
		if ! runuser -u postgres -- test -w "$home"; then
			home="/var/tmp/events-platform-$(echo "$root" | md5sum | cut -c1-12)/postgres"
			mkdir -p "$home"; chown postgres: "$home"; chmod 755 "$(dirname "$home")"
			log "the postgres user cannot reach $state; keeping PostgreSQL's data in $home"
		fi
	fi
	mkdir -p "$state"; echo "$home" >"$state/postgres-home"
	echo "$home"
}

pg_up() {
	local bin; bin="$(pg_bindir)" || { apt_install postgresql-15 postgresql-contrib-15; bin="$(pg_bindir)"; }
	[[ -f /usr/share/postgresql/15/extension/earthdistance.control ]] || apt_install postgresql-contrib-15 || true
	local home; home="$(pg_home)"
	local data="$home/data" run="$home/run"
	mkdir -p "$home" "$run"
	if [[ $(id -u) -eq 0 ]]; then chown postgres: "$home" "$run"; fi
	if [[ ! -s "$data/PG_VERSION" ]]; then
		log "initialising PostgreSQL in $data"
		local pw; pw="$(mktemp)"; echo "$PG_PASSWORD" >"$pw"; chmod 644 "$pw"
		pg_as "$bin/initdb" -D "$data" -U "$PG_USER" --pwfile="$pw" --auth-local=trust \
			--auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
		rm -f "$pw"
		cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$run'
max_connections = 300
shared_buffers = 1GB
effective_cache_size = 4GB
fsync = on
full_page_writes = on
synchronous_commit = on
log_min_messages = warning
CONF
	fi
	# The port is given on the command line on every start (it overrides postgresql.conf,
	# written once at initdb), so a changed PG_PORT applies to an existing data folder too;
	# a server running on another port is restarted on this one.
	if pg_as "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
		local running_port; running_port="$(sed -n 4p "$data/postmaster.pid" 2>/dev/null || true)"
		if [[ "$running_port" == "$PG_PORT" ]]; then
			log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
		else
			log "PostgreSQL runs on port $running_port; restarting it on $PG_PORT"
			pg_as "$bin/pg_ctl" stop -D "$data" -m fast -w >/dev/null
			pg_start "$bin" "$data" "$home"
		fi
	else
		pg_start "$bin" "$data" "$home"
	fi
	if ! pg_as "$bin/psql" -h "$run" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname='$PG_DB'" | grep -q 1; then
		pg_as "$bin/createdb" -h "$run" -p "$PG_PORT" -U "$PG_USER" "$PG_DB"
	fi
	pg_durable "$bin" "$run"
}

# pg_start starts PostgreSQL in a session of its own (setsid), so a Ctrl-C in the terminal
# that ran `hack/deps.sh up` (make dev) stops only what runs in the foreground.
pg_start() {
	local bin=$1 data=$2 home=$3
	pg_as setsid -w "$bin/pg_ctl" start -w -t 60 -D "$data" -l "$home/server.log" -o "-p $PG_PORT" >/dev/null ||
		die "PostgreSQL did not start; see $home/server.log"
	log "PostgreSQL started on 127.0.0.1:$PG_PORT"
}

# pg_durable makes the server acknowledge a commit only once it is on disk, as the product
# promises (see README, Durability), and checks that it does. ALTER SYSTEM on every `up`
# rather than a line written at initdb: postgresql.auto.conf overrides postgresql.conf, so
# a data folder initialised with `synchronous_commit = off` by an older version of this
# script is put right too, and a reload is enough (no restart, no interrupted test).
pg_durable() {
	local bin=$1 run=$2 psql got
	psql=("$bin/psql" -h "$run" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -v ON_ERROR_STOP=1 -qtA)
	pg_as "${psql[@]}" -c "ALTER SYSTEM SET synchronous_commit = on" -c "ALTER SYSTEM SET fsync = on" \
		-c "ALTER SYSTEM SET full_page_writes = on" -c "SELECT pg_reload_conf()" >/dev/null
	# The reload reaches new sessions after the postmaster has read the files: wait for it.
	for _ in $(seq 1 50); do
		got="$(pg_as "${psql[@]}" -c "SELECT current_setting('synchronous_commit') || ' ' || current_setting('fsync') || ' ' || current_setting('full_page_writes')")"
		[[ "$got" == "on on on" ]] && return 0
		sleep 0.1
	done
	die "PostgreSQL runs with synchronous_commit, fsync, full_page_writes = $got, want on on on (a database or role setting overrides them?)"
}

pg_down() {
	local bin data; data="$(pg_home)/data"
	[[ -s "$data/PG_VERSION" ]] || return 0
	bin="$(pg_bindir)" || return 0
	if pg_as "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
		pg_as "$bin/pg_ctl" stop -D "$data" -m fast -w >/dev/null && log "PostgreSQL stopped"
	fi
}

# running reports whether the pid in the given pid file is alive.
running() { [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_port() {
	local port=$1 name=$2
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	die "$name did not open port $port"
}

redis_up() {
	command -v redis-server >/dev/null || apt_install redis-server
	mkdir -p "$state/redis"
	local pid="$state/redis/redis.pid"
	if running "$pid"; then log "Redis already running on 127.0.0.1:$REDIS_PORT"; return; fi
	# Redis, NATS and PostgreSQL run in sessions of their own (setsid): a Ctrl-C on `make dev`
	# reaches the terminal's process group, and must stop only the platform.
	setsid -w redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$state/redis" --daemonize yes \
		--pidfile "$pid" --logfile "$state/redis/server.log" --save "" --appendonly no \
		--protected-mode yes >/dev/null
	wait_port "$REDIS_PORT" Redis
	log "Redis started on 127.0.0.1:$REDIS_PORT"
}

redis_down() {
	local pid="$state/redis/redis.pid"
	running "$pid" || return 0
	kill "$(cat "$pid")" && log "Redis stopped"
	rm -f "$pid"
}

nats_up() {
	command -v nats-server >/dev/null || apt_install nats-server
	mkdir -p "$state/nats/jetstream"
	local pid="$state/nats/nats.pid"
	if running "$pid"; then log "NATS already running on 127.0.0.1:$NATS_PORT"; return; fi
	setsid -f nats-server -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MONITOR_PORT" -js -sd "$state/nats/jetstream" \
		-P "$pid" -l "$state/nats/server.log" </dev/null >/dev/null 2>&1
	wait_port "$NATS_PORT" NATS
	log "NATS (JetStream) started on 127.0.0.1:$NATS_PORT"
}

nats_down() {
	local pid="$state/nats/nats.pid"
	running "$pid" || return 0
	kill "$(cat "$pid")" && log "NATS stopped"
	rm -f "$pid"
}

status() {
	local bin
	local data; data="$(pg_home)/data"
	if bin="$(pg_bindir)" && [[ -s "$data/PG_VERSION" ]] &&
		pg_as "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
		echo "postgres: running on 127.0.0.1:$PG_PORT"
	else echo "postgres: stopped"; fi
	if running "$state/redis/redis.pid"; then echo "redis: running on 127.0.0.1:$REDIS_PORT"; else echo "redis: stopped"; fi
	if running "$state/nats/nats.pid"; then echo "nats: running on 127.0.0.1:$NATS_PORT"; else echo "nats: stopped"; fi
}

env_lines() {
	echo "export DATABASE_URL='postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable'"
	echo "export REDIS_URL='redis://127.0.0.1:$REDIS_PORT/0'"
	echo "export NATS_URL='nats://127.0.0.1:$NATS_PORT'"
}

case "${1:-}" in
up) pg_up; redis_up; nats_up ;;
down) nats_down; redis_down; pg_down ;;
status) status ;;
env) env_lines ;;
*) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
