#!/usr/bin/env bash
# Starts Debian's clickhouse-server on loopback with its data in a private directory, and
# creates the original system's database and user (dema / d3m4). Used by CI and by developers.
# Usage: scripts/clickhouse-server.sh start|stop|kill [DIR]   (DIR defaults to .clickhouse-server/)
set -euo pipefail
action=${1:-start}
dir=$(realpath -m "${2:-.clickhouse-server}")
http_port=${CLICKHOUSE_PORT:-8123}
tcp_port=${CLICKHOUSE_TCP_PORT:-9000}

if [ "$action" = stop ] || [ "$action" = kill ]; then
  # kill = SIGKILL, a crash: in-flight queries do not get to finish.
  signal=TERM; [ "$action" = kill ] && signal=KILL
  if [ -f "$dir/pid" ]; then
    pid=$(cat "$dir/pid")
    kill -s "$signal" "$pid" 2>/dev/null || true
    # Return only once it is gone, so a following start cannot mistake it for a live server.
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/pid"
  fi
  exit 0
fi

command -v clickhouse-server >/dev/null || {
  echo "clickhouse-server is not installed: apt-get install -y clickhouse-server clickhouse-client" >&2
  exit 1
}
mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log"
sed -e "s#/var/lib/clickhouse/#$dir/data/#g" \
    -e "s#$dir/data/tmp/#$dir/tmp/#" \
    -e "s#$dir/data/user_files/#$dir/user_files/#" \
    -e "s#$dir/data/format_schemas/#$dir/format_schemas/#" \
    -e "s#/var/log/clickhouse-server/#$dir/log/#g" \
    -e "s#<http_port>8123</http_port>#<http_port>$http_port</http_port>#" \
    -e "s#<tcp_port>9000</tcp_port>#<tcp_port>$tcp_port</tcp_port>#" \
    -e "s#<interserver_http_port>9009</interserver_http_port>#<interserver_http_port>$((tcp_port + 9))</interserver_http_port>#" \
    -e "s#<listen_host>::1</listen_host>##" \
    -e "/<tcp_port_secure>/d" -e "/<https_port>/d" \
    /etc/clickhouse-server/config.xml > "$dir/config.xml"
# The dema user of the original system, plus the passwordless default user for admin.
sed -e "s#</users>#<dema><password>d3m4</password><networks><ip>::1</ip><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></dema></users>#" \
    /etc/clickhouse-server/users.xml > "$dir/users.xml"
sed -i "s#<users_config>users.xml</users_config>#<users_config>$dir/users.xml</users_config>#" "$dir/config.xml"

if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
  echo "clickhouse-server already running (pid $(cat "$dir/pid"))"
else
  clickhouse-server --config-file="$dir/config.xml" --pid-file="$dir/pid" --daemon
fi
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$http_port/ping" >/dev/null 2>&1; then
    clickhouse-client --port "$tcp_port" -q "CREATE DATABASE IF NOT EXISTS dema"
    echo "clickhouse-server $(clickhouse-client --port "$tcp_port" -q 'SELECT version()') on 127.0.0.1:$http_port (data in $dir)"
    exit 0
  fi
  sleep 0.5
done
echo "clickhouse-server did not answer on port $http_port; see $dir/log/" >&2
exit 1
