#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests: `start DIR` makes one in DIR
# (a new, empty directory), listening only on a Unix socket in DIR, and
# prints the RAPPORT_TEST_PG line to export; `replica PRIMARY DIR` makes a
# streaming replica of the cluster in PRIMARY and prints the
# RAPPORT_TEST_PG_REPLICA line; `tls DIR` makes a cluster that also listens
# on 127.0.0.1 with TLS only, its certificate signed by a CA made here, and
# prints the RAPPORT_TEST_PG_TLS lines; `stop DIR` stops any of them.
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

usage="usage: pg-cluster.sh start DIR | replica PRIMARY_DIR DIR | tls DIR | stop DIR"
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
  tls)
    private_dir "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # A CA and a server certificate for localhost and 127.0.0.1.
    certs=$(mktemp -d)
    openssl req -new -x509 -days 3 -nodes -subj /CN=rapport-test-ca -keyout "$certs/ca.key" -out "$certs/ca.crt" \
      >/dev/null 2>&1
    openssl req -new -nodes -subj /CN=localhost -keyout "$certs/server.key" -out "$certs/server.csr" >/dev/null 2>&1
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$certs/ext"
    openssl x509 -req -days 3 -in "$certs/server.csr" -CA "$certs/ca.crt" -CAkey "$certs/ca.key" -CAcreateserial \
      -extfile "$certs/ext" -out "$certs/server.crt" >/dev/null 2>&1
    cp "$certs/server.crt" "$certs/server.key" "$dir/data/"
    cp "$certs/ca.crt" "$dir/ca.crt"
    rm -rf "$certs"
    chmod 600 "$dir/data/server.key"
    chmod 644 "$dir/ca.crt"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/data/server.crt" "$dir/data/server.key"; fi
    # TCP only with TLS; the socket stays for the owner.
    as_owner sh -c "printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\n' > '$dir/data/pg_hba.conf'"
    port=54329
    while (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c ssl=on -c fsync=off" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "export RAPPORT_TEST_PG_TLS='host=localhost port=$port user=postgres dbname=postgres sslmode=require' RAPPORT_TEST_PG_TLS_CA='$dir/ca.crt'"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
