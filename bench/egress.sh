#!/usr/bin/env bash
# Benchmarks the sidecar's name check (restricted mode) against the direct
# path and against nginx's stream module doing the same SNI peek-and-splice
# (ssl_preread). run.sh calls it; it also runs alone:
#
#   sudo bench/egress.sh      # after `make build`; needs nginx with libnginx-mod-stream
#
# Topology: an "up" namespace holds the destination (egressload serve) and
# its DNS; the "sc" namespace runs warden-sidecar and the clients. In
# restricted mode the clients connect to the destination's address and the
# firewall redirects them through the check; the direct path is the same
# namespaces in full mode (nothing in the path); nginx listens on loopback in
# "sc" (full mode) and proxies by SNI to the same destination.
#
# It appends "name value unit [peer peer_value]" lines to $FIGURES (default
# bench/out/egress-figures.txt). bench/README.md describes each figure.
#
# Settings (environment):
#   BENCH_EGRESS_DURATION=10  seconds per connection-rate run
#   BENCH_RUNS=3              runs per side, interleaved; the median is reported
#   BENCH_EGRESS_CONNS=16     concurrent clients of the rate runs
#   BENCH_EGRESS_BYTES=4294967296  bytes of the long download
#   BENCH_EGRESS_IDLE=2000    idle connections held for the memory figure
#   BENCH_QUIET_WAIT=120      seconds to wait, before each run, for the machine to go quiet
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

DURATION=${BENCH_EGRESS_DURATION:-10}
RUNS=${BENCH_RUNS:-3}
CONNS=${BENCH_EGRESS_CONNS:-16}
BYTES=${BENCH_EGRESS_BYTES:-4294967296}
IDLE_CONNS=${BENCH_EGRESS_IDLE:-2000}
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}
GO=${GO:-go}

ROOT=$PWD
OUT=$ROOT/bench/out
RUN=$OUT/egress-run
FIGURES=${FIGURES:-$OUT/egress-figures.txt}
SIDECAR=${BENCH_SIDECAR:-$ROOT/bin/warden-sidecar}
LOAD=$OUT/bin/egressload
CTL=$RUN/ctl.sock
DST=203.0.113.80 DNS=203.0.113.53 GW=198.51.100.1 SC=198.51.100.2
NAME=bench.example
TAG=wbe$$
NS_UP=$TAG-up NS_SC=$TAG-sc
PIDS=()

say() { printf '%s\n' "bench egress: $*" >&2; }
die() { say "$*"; exit 1; }
figure() { echo "$*" >>"$FIGURES"; }
# quiet waits for the machine to settle and records how busy it still was.
quiet() {
	local busy
	busy=$(wait_quiet)
	echo "$busy" >>"$RUN/loads.txt"
	[ "$busy" -le 15 ] || echo "Warning: egress: the machine was ${busy}% busy at the start of a run" >>"$OUT/warnings.txt"
}

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	ip netns delete "$NS_SC" 2>/dev/null || true
	ip netns delete "$NS_UP" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "needs root: it builds network namespaces"
[ -x "$SIDECAR" ] || die "$SIDECAR missing; run 'make bench' (it builds it)"
for cmd in nginx jq curl ip; do command -v "$cmd" >/dev/null || die "$cmd not found; 'make deps-bench' installs it"; done
STREAM_MOD=/usr/lib/nginx/modules/ngx_stream_module.so
[ -f "$STREAM_MOD" ] || die "$STREAM_MOD missing; 'make deps-bench' installs libnginx-mod-stream"

# shellcheck source=bench/quiet.sh
. bench/quiet.sh # the scripts run from the repository root

mkdir -p "$OUT/bin" "$RUN"
rm -f "$CTL" "$RUN/loads.txt"
CGO_ENABLED=0 $GO build -o "$LOAD" ./bench/cmd/egressload

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

# Topology.
ip netns add "$NS_UP"
ip netns add "$NS_SC"
ip -n "$NS_UP" link set lo up
ip -n "$NS_SC" link set lo up
ip -n "$NS_UP" link add up0 type veth peer name sc0
ip -n "$NS_UP" link set sc0 netns "$NS_SC"
ip -n "$NS_UP" addr add "$GW/24" dev up0
ip -n "$NS_UP" addr add "$DST/32" dev lo
ip -n "$NS_UP" addr add "$DNS/32" dev lo
ip -n "$NS_UP" link set up0 up
ip -n "$NS_SC" addr add "$SC/24" dev sc0
ip -n "$NS_SC" link set sc0 up
ip -n "$NS_SC" route add default via "$GW"
ip netns exec "$NS_UP" sysctl -qw net.ipv4.ip_forward=1
# Tens of thousands of short connections to one destination a run: without
# reuse, the closers' TIME_WAIT states (nginx closes its side first) use up
# the namespace's ports and every later run, of either side, waits on them.
ip netns exec "$NS_SC" sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"

ip netns exec "$NS_UP" "$LOAD" serve -addr "$DST" -dns "$DNS:53" -name "$NAME" >"$RUN/serve.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_SC" "$SIDECAR" --control-socket "$CTL" --upstream "$DNS:53" --host-gateway "$GW" \
	--mode restricted --domain "$NAME" --log-level warn >"$RUN/sidecar.log" 2>&1 &
SIDECAR_PID=$!
PIDS+=("$SIDECAR_PID")
for _ in $(seq 100); do
	curl -fsS --unix-socket "$CTL" http://sidecar/v1/status 2>/dev/null | jq -e .ready >/dev/null && break
	sleep 0.1
done
curl -fsS --unix-socket "$CTL" http://sidecar/v1/status | jq -e .ready >/dev/null || die "sidecar not ready; see $RUN/sidecar.log"

policy() {
	curl -fsS --unix-socket "$CTL" -X PUT http://sidecar/v1/policy -d "{\"mode\":\"$1\",\"domains\":[\"$NAME\"]}" >/dev/null
	if [ "$1" = restricted ]; then ip netns exec "$NS_SC" "$LOAD" resolve -server 127.0.0.1:53 -name "$NAME" >/dev/null; fi
}

cat >"$RUN/nginx.conf" <<NGX
load_module $STREAM_MOD;
worker_processes $(nproc);
pid $RUN/nginx.pid;
error_log $RUN/nginx-error.log;
events { worker_connections 8192; }
stream {
	map \$ssl_preread_server_name \$backend { $NAME $DST:443; default 127.0.0.1:1; }
	map \$ssl_preread_server_name \$bulk { $NAME $DST:444; default 127.0.0.1:1; }
	server { listen 127.0.0.1:8443; ssl_preread on; proxy_pass \$backend; }
	server { listen 127.0.0.1:8444; ssl_preread on; proxy_pass \$bulk; }
}
NGX
ip netns exec "$NS_SC" nginx -c "$RUN/nginx.conf" -g 'daemon off;' &
PIDS+=($!)

rate() { # MODE TARGET
	policy "$1"
	quiet
	ip netns exec "$NS_SC" "$LOAD" rate -to "$2" -sni "$NAME" -conns "$CONNS" -duration "${DURATION}s"
}
bulk() { # MODE [TARGET]
	policy "$1"
	quiet
	ip netns exec "$NS_SC" "$LOAD" bulk -to "${2:-$DST:444}" -sni "$NAME" -bytes "$BYTES" | jq .mbps
}

# Memory per idle connection: the sidecar's resident set before and after
# IDLE_CONNS connections are open through the check, on a fresh sidecar
# (the load runs grow its heap, which the runtime gives back slowly).
policy restricted
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$SIDECAR_PID/status"; }
before=$(rss)
coproc HOLD { ip netns exec "$NS_SC" "$LOAD" idle -to "$DST:443" -sni "$NAME" -n "$IDLE_CONNS"; }
read -r line <&"${HOLD[0]}"
[ "$line" = ready ] || die "idle connections not opened: $line"
after=$(rss)
exec {HOLD[1]}>&-
wait "$HOLD_PID" 2>/dev/null || true
figure egress_kb_per_conn "$(awk -v a="$after" -v b="$before" -v n="$IDLE_CONNS" 'BEGIN { printf "%.3f\n", (a - b) / n }')" KB

declare -a check_rate nginx_rate check_p99 direct_p99 check_p50 direct_p50 check_mbps direct_mbps nginx_mbps
for i in $(seq "$RUNS"); do
	say "run $i of $RUNS"
	g=$(rate restricted "$DST:443")
	check_rate+=("$(jq .connsPerSec <<<"$g")")
	n=$(rate full "127.0.0.1:8443")
	nginx_rate+=("$(jq .connsPerSec <<<"$n")")
	# Time to the first answer byte, one client at a time, so queueing
	# does not hide the path's own cost.
	policy restricted
	quiet
	g1=$(ip netns exec "$NS_SC" "$LOAD" rate -to "$DST:443" -sni "$NAME" -conns 1 -duration 3s)
	policy full
	quiet
	d1=$(ip netns exec "$NS_SC" "$LOAD" rate -to "$DST:443" -sni "$NAME" -conns 1 -duration 3s)
	check_p99+=("$(jq .latency.p99Ms <<<"$g1")")
	check_p50+=("$(jq .latency.p50Ms <<<"$g1")")
	direct_p50+=("$(jq .latency.p50Ms <<<"$d1")")
	direct_p99+=("$(jq .latency.p99Ms <<<"$d1")")
	check_mbps+=("$(bulk restricted)")
	direct_mbps+=("$(bulk full)")
	nginx_mbps+=("$(bulk full 127.0.0.1:8444)")
done

med() { printf '%s\n' "$@" | median; }
figure egress_conn_rate "$(med "${check_rate[@]}")" conns/s nginx-ssl_preread "$(med "${nginx_rate[@]}")"
figure egress_setup_p99_ms "$(awk -v g="$(med "${check_p99[@]}")" -v d="$(med "${direct_p99[@]}")" 'BEGIN { v = g - d; if (v < 0) v = 0; printf "%.3f\n", v }')" ms
figure egress_setup_p50_ms "$(awk -v g="$(med "${check_p50[@]}")" -v d="$(med "${direct_p50[@]}")" 'BEGIN { v = g - d; if (v < 0) v = 0; printf "%.3f\n", v }')" ms
figure egress_bulk_mbps "$(med "${check_mbps[@]}")" Mbit/s direct "$(med "${direct_mbps[@]}")"
figure egress_bulk_nginx_mbps "$(med "${nginx_mbps[@]}")" Mbit/s direct "$(med "${direct_mbps[@]}")"

say "machine load at the start of each run (% CPU busy): $(tr '\n' ' ' <"$RUN/loads.txt")"
say "check conns/s ${check_rate[*]}; nginx ${nginx_rate[*]}; check p99 ${check_p99[*]} ms, direct ${direct_p99[*]} ms; check Mbit/s ${check_mbps[*]}, direct ${direct_mbps[*]}, nginx ${nginx_mbps[*]}; RSS ${before} -> ${after} KB"
