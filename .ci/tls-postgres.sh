#!/usr/bin/env bash
# A PostgreSQL server that requires TLS, as Neon does: `.ci/tls-postgres.sh start <dir> <port>` makes a
# CA and a server certificate (CN localhost, SANs localhost and 127.0.0.1) with openssl, runs initdb
# in <dir>/data as an unprivileged user, and starts the server on 127.0.0.1:<port> with ssl = on and
# a pg_hba.conf that refuses every plaintext TCP connection. Role `app` (password in <dir>/password)
# logs in with SCRAM over TLS. `.ci/tls-postgres.sh stop <dir>` stops it. Needs the server package
# (initdb, pg_ctl) of the machine's PostgreSQL.
set -euo pipefail

cmd=${1:?usage: tls-postgres.sh start|stop DIR [PORT]}
dir=${2:?usage: tls-postgres.sh start|stop DIR [PORT]}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1 || true)
[ -n "$bindir" ] || bindir=$(dirname "$(command -v pg_ctl)")

user=$(id -un)
as_user() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  # initdb and the server refuse to run as root.
  user=postgres
  as_user() { runuser -u "$user" -- "$@"; }
fi

case "$cmd" in
start)
  port=${3:-5434}
  mkdir -p "$dir"
  cd "$dir"
  openssl req -x509 -new -nodes -newkey rsa:2048 -days 2 -subj "/CN=chatdb test CA" \
    -keyout ca.key -out ca.crt 2> /dev/null
  openssl req -new -nodes -newkey rsa:2048 -subj "/CN=localhost" -keyout server.key -out server.csr 2> /dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > san.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile san.ext -out server.crt 2> /dev/null
  chmod 600 server.key ca.key
  openssl rand -hex 16 > password
  chown -R "$user" "$dir"
  as_user "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync > "$dir/initdb.log"
  cat >> "$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
ssl = on
ssl_cert_file = '$dir/server.crt'
ssl_key_file = '$dir/server.key'
fsync = off
CONF
  cat > "$dir/data/pg_hba.conf" <<HBA
local     all  all                 trust
hostssl   all  all  127.0.0.1/32   scram-sha-256
hostnossl all  all  0.0.0.0/0      reject
HBA
  as_user "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start > /dev/null
  as_user "$bindir/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAt \
    -c "CREATE ROLE app LOGIN CREATEDB PASSWORD '$(cat "$dir/password")'" \
    -c "CREATE DATABASE app OWNER app" > /dev/null
  echo "PostgreSQL with ssl = on (plaintext refused) on 127.0.0.1:$port, CA $dir/ca.crt"
  ;;
stop)
  [ -d "$dir/data" ] && as_user "$bindir/pg_ctl" -D "$dir/data" -m immediate stop > /dev/null 2>&1 || true
  ;;
*)
  echo "usage: tls-postgres.sh start|stop DIR [PORT]" >&2
  exit 2
  ;;
esac
