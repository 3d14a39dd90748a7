#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Two real clickhouse-server processes on loopback, configured as one
# cluster "fleet" of two shards, for the fleet tests and the benchmark
# (no systemd: each server runs from its own config file in DIR).
#
#   tests/clickhouse-cluster.sh start DIR   prints the first server's HTTP URL
#   tests/clickhouse-cluster.sh stop DIR
#
# The shards listen on 127.0.0.1 and 127.0.0.2 with the same HTTP port, so
# the first server's system.clusters names hosts whose HTTP port is the
# URL's, as in a fleet of alike servers (docs/FLEET.md).  Their native
# ports differ: a server takes a shard at a local address with its own
# native port for itself, and 127.0.0.1 is local to both.  Exits 77 with the reason
# when clickhouse-server is absent or will not start.
set -u
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
	echo "usage: $0 start|stop DIR" >&2
	exit 2
fi

stop() {
	local f pid

	for f in "$dir"/s*/pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
		rm -f "$f"
	done
}

if [ "$cmd" = stop ]; then
	stop
	exit 0
fi

server=$(command -v clickhouse-server || command -v clickhouse)
if [ -z "$server" ]; then
	echo "clickhouse-server is not installed (make deps)"
	exit 77
fi
if ! command -v curl >/dev/null; then
	echo "curl is not installed (make deps)"
	exit 77
fi
[ "$(basename "$server")" = clickhouse ] && server="$server server"

port_free() {
	! (echo >"/dev/tcp/$1/$2") 2>/dev/null
}

# a pair of ports free on both addresses
for _ in $(seq 20); do
	http=$((20000 + RANDOM % 20000))
	tcp1=$((http + 1))
	tcp2=$((http + 2))
	if port_free 127.0.0.1 "$http" && port_free 127.0.0.2 "$http" &&
		port_free 127.0.0.1 "$tcp1" && port_free 127.0.0.2 "$tcp2"; then
		break
	fi
done

mkdir -p "$dir"
cat >"$dir/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.0/8</ip></networks>
      <profile>default</profile><quota>default</quota></default>
    <loader><password>secret</password><networks><ip>127.0.0.0/8</ip></networks>
      <profile>default</profile><quota>default</quota></loader>
  </users>
  <quotas><default></default></quotas>
</yandex>
EOF
for n in 1 2; do
	d=$dir/s$n
	mkdir -p "$d"
	cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/server.log</log><errorlog>$d/error.log</errorlog></logger>
  <listen_host>127.0.0.$n</listen_host>
  <http_port>$http</http_port>
  <tcp_port>$((http + n))</tcp_port>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <remote_servers>
    <fleet>
      <shard><replica><host>127.0.0.1</host><port>$tcp1</port></replica></shard>
      <shard><replica><host>127.0.0.2</host><port>$tcp2</port></replica></shard>
    </fleet>
  </remote_servers>
</yandex>
EOF
	# shellcheck disable=SC2086
	$server --config-file="$d/config.xml" >"$d/stdout" 2>&1 &
	echo $! >"$d/pid"
done
for n in 1 2; do
	ok=
	for _ in $(seq 600); do
		if [ "$(curl -s "http://127.0.0.$n:$http/ping" 2>/dev/null)" = "Ok." ]; then
			ok=1
			break
		fi
		kill -0 "$(cat "$dir/s$n/pid")" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$ok" ]; then
		echo "clickhouse-server on 127.0.0.$n:$http did not start:"
		tail -5 "$dir/s$n/error.log" "$dir/s$n/stdout" 2>/dev/null
		stop
		exit 77
	fi
done
echo "http://127.0.0.1:$http"
