#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests: `start DIR` makes one in DIR
# (a new, empty directory), listening only on a Unix socket in DIR, and
# prints the RAPPORT_TEST_PG line to export; `replica PRIMARY DIR` makes a
# streaming replica of the cluster in PRIMARY and prints the
# RAPPORT_TEST_PG_REPLICA line; `stop DIR` stops either.
# As root (CI), initdb and pg_ctl run as the `postgres` user via runuser.
# Members of the role rapport_password_login log in with a password (the
# ~/.pgpass tests); everyone else is trusted on the private socket.
set -euo pipefail

bin=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && bin="$d"
done
if [ -z "$bin" ]; then
  echo "pg-cluster: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

usage="usage: pg-cluster.sh start DIR | replica PRIMARY_DIR DIR | stop DIR"
cmd=${1:?$usage}
dir=${2:?$usage}

run_cluster() {
  as_owner "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w \
    -o "-c listen_addresses='' -c unix_socket_directories='$1' -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$1/server.log" >&2; exit 1; }
}

private_dir() {
  mkdir -p "$1"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$1"; fi
  chmod 700 "$1"
}

case "$cmd" in
  start)
    private_dir "$dir"
    # Trust on the private socket only: the directory is the owner's alone.
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    hba="$dir/data/pg_hba.conf"
    as_owner sh -c "{ echo 'local all +rapport_password_login scram-sha-256'; cat '$hba'; } > '$hba.new' && mv '$hba.new' '$hba'"
    run_cluster "$dir"
    as_owner "$bin/psql" -q -h "$dir" -U postgres -d postgres -c "CREATE ROLE rapport_password_login NOLOGIN" >/dev/null
    # Root reaches the socket in the postgres-owned directory; others own it.
    echo "export RAPPORT_TEST_PG='host=$dir user=postgres dbname=postgres'"
    ;;
  replica)
    primary="$dir"
    dir=${3:?$usage}
    private_dir "$dir"
    # A base backup that writes its own standby settings (-R), then a hot
    # standby streaming from the primary's socket.
    as_owner "$bin/pg_basebackup" -h "$primary" -U postgres -D "$dir/data" -R -X stream >"$dir/basebackup.log" 2>&1 \
      || { cat "$dir/basebackup.log" >&2; exit 1; }
    run_cluster "$dir"
    echo "export RAPPORT_TEST_PG_REPLICA='host=$dir user=postgres dbname=postgres'"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
