#!/bin/bash
# Entrypoint of the PostgreSQL image hack/images.sh builds from Debian's packages. It does what
# the official image's entrypoint does for the operator: on the first start, initialise PGDATA
# with the superuser POSTGRES_USER (password POSTGRES_PASSWORD, required over the network) and
# create the database POSTGRES_DB; then run the command. Any other command (redis-server, the
# same image's second name) runs as it is given.
set -Eeo pipefail

if [[ "${1:-}" == -* ]]; then set -- postgres "$@"; fi

if [[ "${1:-}" == postgres && ! -s "${PGDATA:?PGDATA must be set}/PG_VERSION" ]]; then
	: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
	user="${POSTGRES_USER:-postgres}"
	db="${POSTGRES_DB:-$user}"
	mkdir -p "$PGDATA"
	chmod 700 "$PGDATA"
	echo "initialising $PGDATA for $user"
	initdb -D "$PGDATA" --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
	echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
	echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
	socket="$(mktemp -d)"
	pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$socket" start >/dev/null
	if [[ "$db" != postgres ]]; then
		psql -v ON_ERROR_STOP=1 -h "$socket" -U "$user" -d postgres -q \
			-c "CREATE DATABASE \"${db//\"/\"\"}\""
	fi
	pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
	rm -rf "$socket"
	echo "initialised; starting PostgreSQL"
fi

exec "$@"
