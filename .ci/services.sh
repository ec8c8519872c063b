#!/usr/bin/env bash
# Start a throwaway PostgreSQL and Redis on loopback for the test suite's second pass, and print the
# environment variables that point the tests at them. Usage: eval "$(.ci/services.sh start DIR)"; .ci/services.sh stop DIR
set -euo pipefail
action=${1:?start or stop}
dir=${2:?a directory for the server data}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

case "$action" in
start)
  mkdir -p "$dir"
  pg_port=$(free_port); redis_port=$(free_port)
  # PostgreSQL refuses to run as root; CI runs as root, so the cluster belongs to the postgres user.
  run_pg=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; run_pg=(runuser -u postgres --); fi
  "${run_pg[@]}" "$pg_bin/initdb" -D "$dir/pg" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
  "${run_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
  "${run_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres shopbridge_test
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  echo "$pg_port" >"$dir/pg.port"
  echo "export SHOPBRIDGE_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:$pg_port/shopbridge_test"
  echo "export SHOPBRIDGE_TEST_REDIS_URL=redis://127.0.0.1:$redis_port/0"
  echo "export SHOPBRIDGE_TEST_PG_CTL='${run_pg[*]} $pg_bin/pg_ctl -D $dir/pg'"
  ;;
stop)
  run_pg=(); [ "$(id -u)" = 0 ] && run_pg=(runuser -u postgres --)
  [ -d "$dir/pg" ] && "${run_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
  ;;
esac
