#!/usr/bin/env bash
# Starts Debian's PgBouncer in transaction mode in front of the local PostgreSQL, as Neon's pooled
# URL does: `.ci/pgbouncer.sh start <dir> <listen-port> <server-host> <server-port>` writes its config
# to <dir> (a temp dir) and runs it daemonized as an unprivileged user; `.ci/pgbouncer.sh stop <dir>`.
set -euo pipefail

cmd=${1:?usage: pgbouncer.sh start|stop DIR [PORT HOST SERVER_PORT]}
dir=${2:?usage: pgbouncer.sh start|stop DIR [PORT HOST SERVER_PORT]}

case "$cmd" in
start)
  port=${3:-6433}
  host=${4:-127.0.0.1}
  server_port=${5:-5432}
  if ! command -v pgbouncer > /dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
    echo "pgbouncer missing: installing it (apt-get install -y pgbouncer)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y pgbouncer > /dev/null ||
      { apt-get update > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y pgbouncer > /dev/null; }
  fi
  bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  # PgBouncer refuses to run as root; the postgres user exists wherever the server package does.
  user=postgres
  id "$user" > /dev/null 2>&1 || user=nobody
  mkdir -p "$dir"
  # The server trusts local connections, so the pooler does too (the auth file only lists names).
  printf '"postgres" ""\n' > "$dir/userlist.txt"
  cat > "$dir/pgbouncer.ini" <<INI
[databases]
; Every database name, so the tests' scratch databases are reachable through the pooler.
* = host=$host port=$server_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
; Small, as on Neon: transactions of different clients share few server connections.
default_pool_size = 4
max_client_conn = 400
; No ignore_startup_parameters: a client sending e.g. statement_timeout must fail, as on Neon.
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
admin_users = postgres
INI
  chown -R "$user" "$dir"
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$user" -- "$bin" -d "$dir/pgbouncer.ini"
  else
    "$bin" -d "$dir/pgbouncer.ini"
  fi
  for _ in $(seq 1 50); do
    if pg_isready -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
      echo "$("$bin" --version | sed -n 1p) on 127.0.0.1:$port (pool_mode = transaction, default_pool_size = 4), as $user"
      exit 0
    fi
    sleep 0.2
  done
  echo "pgbouncer did not start:" >&2
  cat "$dir/pgbouncer.log" >&2 || true
  exit 1
  ;;
stop)
  if [ -f "$dir/pgbouncer.pid" ]; then
    kill "$(cat "$dir/pgbouncer.pid")" 2> /dev/null || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: pgbouncer.sh start|stop DIR [PORT HOST SERVER_PORT]" >&2
  exit 2
  ;;
esac
