#!/usr/bin/env bash
# Benchmarks the preview proxy of `warden serve` against nginx proxying to
# the same dev server with upstream keep-alive, and the memory one idle
# WebSocket costs the daemon. run.sh calls it; it also runs alone:
#
#   sudo bench/proxy.sh        # after `make images` (the dev server lives in the test agent image)
#
# It appends "name value unit [peer peer_value]" lines to $FIGURES (default
# bench/out/proxy-figures.txt) and notes, one per line, to
# bench/out/proxy-notes.txt. bench/README.md describes each figure.
#
# Settings (environment):
#   BENCH_PROXY_DURATION=10  seconds per wrk run
#   BENCH_RUNS=3             runs per side, interleaved; the median is reported
#   BENCH_PROXY_CONNS=64     wrk -c (connections held open)
#   BENCH_PROXY_THREADS=2    wrk -t
#   BENCH_WS_CONNS=2000      idle WebSockets held for the memory figure
#   BENCH_QUIET_WAIT=120     seconds to wait, before each run, for the machine to go quiet
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

DURATION=${BENCH_PROXY_DURATION:-10}
RUNS=${BENCH_RUNS:-3}
CONNS=${BENCH_PROXY_CONNS:-64}
THREADS=${BENCH_PROXY_THREADS:-2}
WS_CONNS=${BENCH_WS_CONNS:-2000}
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}
GO=${GO:-go}

ROOT=$PWD
OUT=$ROOT/bench/out
FIGURES_FROM_RUN=${FIGURES:-}
FIGURES=${FIGURES:-$OUT/proxy-figures.txt}
NOTES=$OUT/proxy-notes.txt
WARDEN=$ROOT/bin/warden
AGENT_IMAGE=${AGENT_TEST_IMAGE:-warden-agent-test:latest}
TAG=wbp$$
NET=warden-bench-$TAG
DATA=$OUT/proxy-run/data
NGX=$OUT/proxy-run/nginx
PIDS=()

say() { printf '%s\n' "bench proxy: $*" >&2; }
die() { say "$*"; exit 1; }
note() { echo "$*" >>"$NOTES"; }
figure() { echo "$*" >>"$FIGURES"; }

cleanup() {
	local pid
	if [ -n "${ID:-}" ]; then
		docker rm -f "warden-$ID-agent" "warden-$ID-sidecar" >/dev/null 2>&1 || true
	fi
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	docker network rm "$NET" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check_prereqs() {
	[ "$(id -u)" = 0 ] || die "needs root (the daemon drives Docker, nginx binds as root)"
	[ -x "$WARDEN" ] || die "$WARDEN missing; run 'make bench' (it builds it)"
	local cmd
	for cmd in docker nginx wrk jq curl ss; do
		command -v "$cmd" >/dev/null || die "$cmd not found; 'make deps-bench' installs nginx and wrk"
	done
	docker image inspect "$AGENT_IMAGE" >/dev/null 2>&1 || die "image $AGENT_IMAGE missing; run 'make images'"
	docker run --rm --entrypoint sh "$AGENT_IMAGE" -c 'command -v devserver' >/dev/null ||
		die "$AGENT_IMAGE has no devserver; rebuild it with 'make images'"
}

# shellcheck source=bench/quiet.sh
. bench/quiet.sh # the scripts run from the repository root

# free_port prints a loopback TCP port nothing listens on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

start_daemon() {
	rm -rf "$OUT/proxy-run" && mkdir -p "$DATA" "$NGX" "$OUT/proxy-run/ws"
	chown 1000:1000 "$OUT/proxy-run/ws" # a user's folder: Warden refuses one of root's
	docker network create "$NET" >/dev/null
	PORT=$(free_port)
	# Mode none and a resolver that is never asked: nothing leaves the
	# machine during the run.
	"$WARDEN" --data "$DATA" serve --listen "127.0.0.1:$PORT" --network "$NET" \
		--upstream 192.0.2.53:53 --log-level warn >"$OUT/proxy-daemon.log" 2>&1 &
	DAEMON_PID=$!
	PIDS+=("$DAEMON_PID")
	local i
	for i in $(seq 100); do
		curl -fsS --unix-socket "$DATA/warden.sock" http://localhost/api/v1/health >/dev/null 2>&1 && return
		kill -0 "$DAEMON_PID" 2>/dev/null || { tail -20 "$OUT/proxy-daemon.log" >&2; die "daemon exited"; }
		sleep 0.1
	done
	die "daemon did not answer on 127.0.0.1:$PORT"
}

cli() { "$WARDEN" --addr "127.0.0.1:$PORT" --data "$DATA" "$@"; }

start_project() {
	ID=$(cli project create --name bench --workspace "$OUT/proxy-run/ws" --agent claude-code \
		--image "$AGENT_IMAGE" --mode none --start)
	cli ports add "$ID" 8000 8001 >/dev/null
	# The same dev server process answers on the container's address
	# (8000: the proxy dials it directly) and on 127.0.0.1 only (8001: the
	# proxy goes through the sidecar's relay).
	docker exec -d "warden-$ID-agent" devserver -listen 0.0.0.0:8000 -listen 127.0.0.1:8001
	IP=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "warden-$ID-sidecar")
	HOST_DIRECT="$ID-claude-code-8000.localhost:$PORT"
	HOST_RELAY="$ID-claude-code-8001.localhost:$PORT"
	local i
	for i in $(seq 100); do
		curl -fsS -H "Host: $HOST_RELAY" "http://127.0.0.1:$PORT/hello" >/dev/null 2>&1 &&
			curl -fsS -H "Host: $HOST_DIRECT" "http://127.0.0.1:$PORT/hello" >/dev/null 2>&1 && return
		sleep 0.1
	done
	die "the dev server did not answer through the proxy"
}

# start_nginx proxies to the same dev server with the settings a careful
# operator would use: upstream keep-alive, HTTP/1.1, as many workers as
# the Go proxy has CPUs, no access log (the proxy keeps none either).
start_nginx() {
	NGPORT=$(free_port)
	cat >"$NGX/nginx.conf" <<EOF
worker_processes $(nproc);
worker_rlimit_nofile 65536;
pid $NGX/nginx.pid;
error_log $NGX/error.log warn;
daemon off;
events { worker_connections 16384; }
http {
	access_log off;
	client_body_temp_path $NGX/body;
	proxy_temp_path $NGX/proxy;
	fastcgi_temp_path $NGX/fastcgi;
	uwsgi_temp_path $NGX/uwsgi;
	scgi_temp_path $NGX/scgi;
	keepalive_requests 1000000;
	upstream dev {
		server $IP:8000;
		keepalive 128;
		keepalive_requests 1000000;
		keepalive_timeout 90s;
	}
	server {
		listen 127.0.0.1:$NGPORT;
		location / {
			proxy_pass http://dev;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$http_host;
			proxy_set_header X-Forwarded-For \$remote_addr;
			proxy_set_header X-Forwarded-Host \$http_host;
			proxy_set_header X-Forwarded-Proto \$scheme;
		}
		location /ws {
			proxy_pass http://dev;
			proxy_http_version 1.1;
			proxy_set_header Upgrade \$http_upgrade;
			proxy_set_header Connection "upgrade";
			proxy_set_header Host \$http_host;
			proxy_read_timeout 1h;
		}
	}
}
EOF
	nginx -p "$NGX" -c "$NGX/nginx.conf" >"$NGX/stdout.log" 2>&1 &
	NGINX_PID=$!
	PIDS+=("$NGINX_PID")
	local i
	for i in $(seq 50); do
		curl -fsS -H "Host: $HOST_DIRECT" "http://127.0.0.1:$NGPORT/hello" >/dev/null 2>&1 && return
		sleep 0.1
	done
	cat "$NGX/error.log" >&2 || true
	die "nginx did not answer on 127.0.0.1:$NGPORT"
}

# wrk_run LABEL URL HOST: one wrk run; prints "rps p50_ms p99_ms".
wrk_run() {
	local label=$1 url=$2 host=$3 log
	log=$OUT/wrk-$label.txt
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -H "Host: $host" "$url" >"$log" 2>&1 ||
		{ cat "$log" >&2; die "wrk $label failed"; }
	if grep -q 'Non-2xx\|Socket errors' "$log"; then
		note "Warning: $label: $(grep 'Non-2xx\|Socket errors' "$log" | tr -s ' ' | tr '\n' ' ')"
	fi
	awk '
		function ms(v) {
			if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
			if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
			if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
			return v
		}
		$1 == "50%" { p50 = ms($2) }
		$1 == "99%" { p99 = ms($2) }
		/^Requests\/sec:/ { rps = $2 }
		END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }' "$log"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

nginx_worker_pids() { pgrep -P "$NGINX_PID" | tr '\n' ' '; }

main() {
	check_prereqs
	mkdir -p "$OUT"
	rm -f "$NOTES" "$OUT"/wrk-*.txt
	# Alone, it writes its own figures file; run.sh passes the run's.
	[ -n "${FIGURES_FROM_RUN:-}" ] || rm -f "$FIGURES"
	CGO_ENABLED=0 "$GO" build -o "$OUT/bin/wsidle" ./bench/cmd/wsidle
	start_daemon
	start_project
	start_nginx
	say "daemon :$PORT (pid $DAEMON_PID), nginx :$NGPORT, dev server $IP:8000 in project $ID"

	# Memory first, while both proxies are fresh: after a load, memory
	# freed by the runtime stays resident and would hide what sockets cost.
	say "idle WebSockets: $WS_CONNS through the proxy, then through nginx"
	"$OUT/bin/wsidle" -addr "127.0.0.1:$PORT" -host "$HOST_DIRECT" -conns "$WS_CONNS" -pid "$DAEMON_PID" >"$OUT/wsidle-proxy.json"
	"$OUT/bin/wsidle" -addr "127.0.0.1:$NGPORT" -host "$HOST_DIRECT" -conns "$WS_CONNS" -pid "$(nginx_worker_pids)" >"$OUT/wsidle-nginx.json"
	figure proxy_ws_kb_per_conn "$(jq .kbPerConn "$OUT/wsidle-proxy.json")" KB nginx "$(jq .kbPerConn "$OUT/wsidle-nginx.json")"

	local r px=() pxr=() ng=() direct
	local busy
	busy=$(wait_quiet)
	direct=$(wrk_run direct "http://$IP:8000/hello" "$HOST_DIRECT" | cut -d' ' -f1)
	for r in $(seq "$RUNS"); do
		wait_quiet >/dev/null
		ng+=("$(wrk_run "nginx-$r" "http://127.0.0.1:$NGPORT/hello" "$HOST_DIRECT")")
		wait_quiet >/dev/null
		px+=("$(wrk_run "proxy-$r" "http://127.0.0.1:$PORT/hello" "$HOST_DIRECT")")
		wait_quiet >/dev/null
		pxr+=("$(wrk_run "proxy-relay-$r" "http://127.0.0.1:$PORT/hello" "$HOST_RELAY")")
		say "run $r: nginx ${ng[-1]%% *} rps, proxy ${px[-1]%% *} rps, proxy through the relay ${pxr[-1]%% *} rps"
	done
	col() { local i=$1; shift; printf '%s\n' "$@" | cut -d' ' -f"$i" | median; }
	figure proxy_rps "$(col 1 "${px[@]}")" rps nginx "$(col 1 "${ng[@]}")"
	figure proxy_p50_ms "$(col 2 "${px[@]}")" ms nginx "$(col 2 "${ng[@]}")"
	figure proxy_p99_ms "$(col 3 "${px[@]}")" ms nginx "$(col 3 "${ng[@]}")"
	figure proxy_relay_rps "$(col 1 "${pxr[@]}")" rps

	note "Preview proxy: wrk -t$THREADS -c$CONNS -d${DURATION}s --latency GET /hello (6-byte body) of test/devserver in a project container, through \`warden serve\` (Host ${HOST_DIRECT%%:*}) and through nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') ($(nproc) workers, upstream keepalive 128, HTTP/1.1) to the same dev server at $IP:8000; median of $RUNS interleaved runs (proxy ${px[*]// /\/}; nginx ${ng[*]// /\/} as rps/p50/p99). wrk straight to the dev server: $direct rps. CPU busy before start ${busy}%; wrk, both proxies and the dev server share the machine's $(nproc) CPUs."
	note "Preview relay: the same dev server on 127.0.0.1:8001 only, reached through the sidecar's control-socket relay: ${pxr[*]// /\/} (rps/p50/p99)."
	note "Idle WebSockets: $WS_CONNS held open through the proxy, daemon VmRSS $(jq .rssBeforeKB "$OUT/wsidle-proxy.json") → $(jq .rssAfterKB "$OUT/wsidle-proxy.json") kB after 5 s idle, measured before the load ($(jq .echoed "$OUT/wsidle-proxy.json") sampled sockets still echoed); nginx workers $(jq .rssBeforeKB "$OUT/wsidle-nginx.json") → $(jq .rssAfterKB "$OUT/wsidle-nginx.json") kB. Kernel socket memory is not counted on either side."
}

main "$@"
