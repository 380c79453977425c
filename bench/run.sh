#!/usr/bin/env bash
# Benchmarks warden-sidecar side by side with dnsmasq and writes
# bench/results.json and bench/results.md (also printed). Needs root, the
# built bin/warden-sidecar, dnsperf and dnsmasq; `make bench` sees to all
# three. bench/README.md explains the topology and each figure.
#
# Settings (environment):
#   BENCH_DURATION=10      seconds per dnsperf run
#   BENCH_RUNS=3           runs per side, interleaved; the median is reported
#   BENCH_CLIENTS=4        dnsperf -c (client sockets)
#   BENCH_OUTSTANDING=100  dnsperf -q (queries in flight)
#   BENCH_LATENCY_RATE=2000  dnsload queries per second
#   BENCH_IDLE=5           seconds both resolvers sit idle before RSS is read
#   BENCH_APPLIES=100      timed policy applies per phase
#   BENCH_QUIET_WAIT=120   seconds to wait, before each measurement, for other
#                          work on the machine to end (0: do not wait)
#   BENCH_SIDECAR=bin/warden-sidecar  the sidecar binary to measure
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

DURATION=${BENCH_DURATION:-10}
RUNS=${BENCH_RUNS:-3}
CLIENTS=${BENCH_CLIENTS:-4}
OUTSTANDING=${BENCH_OUTSTANDING:-100}
LAT_RATE=${BENCH_LATENCY_RATE:-2000}
IDLE=${BENCH_IDLE:-5}
APPLIES=${BENCH_APPLIES:-100}
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}
GO=${GO:-go}

ROOT=$PWD
OUT=$ROOT/bench/out
SIDECAR=${BENCH_SIDECAR:-$ROOT/bin/warden-sidecar}
CTL=$OUT/run/ctl.sock
FIGURES=$OUT/figures.txt

# Addresses: the fake upstream answers on 192.0.2.53 (on the "up"
# namespace's loopback); each client namespace has its own veth to "up".
UPSTREAM=192.0.2.53
UP_SC=198.51.100.1 SC_ADDR=198.51.100.2
UP_PEER=198.51.100.5 PEER_ADDR=198.51.100.6

TAG=wb$$
NS_UP=$TAG-up NS_SC=$TAG-sc NS_PEER=$TAG-peer
PIDS=()

say() { printf '%s\n' "bench: $*" >&2; }
die() { say "$*"; exit 1; }

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	for ns in "$NS_SC" "$NS_PEER" "$NS_UP"; do
		ip netns delete "$ns" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check_prereqs() {
	[ "$(id -u)" = 0 ] || die "needs root: it builds network namespaces"
	[ -x "$SIDECAR" ] || die "$SIDECAR missing; run 'make bench' (it builds it)"
	local cmd
	for cmd in dnsperf dnsmasq ip jq; do
		command -v "$cmd" >/dev/null || die "$cmd not found; 'make deps-bench' installs dnsperf and dnsmasq"
	done
}

build_tools() {
	mkdir -p "$OUT/bin" "$OUT/run"
	local tool
	for tool in dnsload applyload setadd report; do
		CGO_ENABLED=0 $GO build -o "$OUT/bin/$tool" "./bench/cmd/$tool"
	done
}

# shellcheck source=bench/quiet.sh
. bench/quiet.sh # the scripts run from the repository root

# proc_jiffies PID: CPU time of a process and of its children it has reaped.
proc_jiffies() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# cpu_sample SHELL prints the machine's user+system jiffies so far, and
# those of this benchmark: its long-lived processes, the children SHELL (the
# shell running the measurement, whose finished children's time the kernel
# adds to its own) has reaped, and the kernel's softirq and worker threads,
# which carry the benchmark's packets and the page work they cause when the
# load is high (on a 2-CPU machine, kworker mm_percpu_wq alone took a fifth
# of a CPU during a dnsperf run).
cpu_sample() {
	local busy ours=0 pid
	busy=$(awk '/^cpu / { print $2 + $3 + $4 }' /proc/stat)
	for pid in "${PIDS[@]}" "$1" $(pgrep '^(ksoftirqd|kworker)/' || true); do
		ours=$((ours + $(proc_jiffies "$pid")))
	done
	echo "$busy $ours"
}

# clean_run LABEL COMMAND...: runs COMMAND and prints its output, once other
# work on the machine took no more than 10% of the CPUs while it ran. It
# tries up to three times (waiting for quiet before each) and otherwise
# keeps the last result with a warning.
clean_run() {
	local label=$1 attempt out b0 o0 b1 o1 t0 t1 other w shell=$BASHPID
	shift
	for attempt in 1 2 3; do
		wait_quiet >/dev/null
		rm -f "$OUT/attempt-warnings.txt"
		read -r b0 o0 < <(cpu_sample "$shell")
		t0=$(date +%s%N)
		out=$("$@")
		t1=$(date +%s%N)
		read -r b1 o1 < <(cpu_sample "$shell")
		other=$(awk -v b=$((b1 - b0)) -v o=$((o1 - o0)) -v ns=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" \
			'BEGIN { v = 100 * (b - o) / (ns / 1e9 * hz * n); if (v < 0) v = 0; printf "%.0f\n", v }')
		[ "$other" -gt 10 ] || break
		say "$label: other work took ${other}% of the CPUs during the run (attempt $attempt)"
	done
	[ "$other" -le 10 ] || warn "$label: other work took ${other}% of the CPUs during the kept run"
	if [ -f "$OUT/attempt-warnings.txt" ]; then
		while IFS= read -r w; do warn "$w"; done <"$OUT/attempt-warnings.txt"
		rm -f "$OUT/attempt-warnings.txt"
	fi
	printf '%s\n' "$out"
}

setup_topology() {
	local ns
	for ns in "$NS_UP" "$NS_SC" "$NS_PEER"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_UP" addr add "$UPSTREAM/32" dev lo
	ip -n "$NS_UP" link add to-sc type veth peer name eth0 netns "$NS_SC"
	ip -n "$NS_UP" link add to-peer type veth peer name eth0 netns "$NS_PEER"
	ip -n "$NS_UP" addr add "$UP_SC/30" dev to-sc
	ip -n "$NS_UP" addr add "$UP_PEER/30" dev to-peer
	ip -n "$NS_SC" addr add "$SC_ADDR/30" dev eth0
	ip -n "$NS_PEER" addr add "$PEER_ADDR/30" dev eth0
	ip -n "$NS_UP" link set to-sc up
	ip -n "$NS_UP" link set to-peer up
	ip -n "$NS_SC" link set eth0 up
	ip -n "$NS_PEER" link set eth0 up
	ip -n "$NS_SC" route add "$UPSTREAM/32" via "$UP_SC"
	ip -n "$NS_PEER" route add "$UPSTREAM/32" via "$UP_PEER"
}

# start NAME NS COMMAND... runs a long-lived process inside a namespace
# (ip netns exec execs it, so $! is the process itself) and records its pid.
start() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$OUT/$name.log" 2>&1 &
	PIDS+=("$!")
	eval "PID_${name//-/_}=$!"
}

alive() {
	local name=$1 pid
	pid=$(eval "echo \$PID_${name//-/_}")
	kill -0 "$pid" 2>/dev/null || { tail -20 "$OUT/$name.log" >&2; die "$name (pid $pid) exited"; }
}

dnsmasq_common=(dnsmasq --keep-in-foreground --conf-file=/dev/null --pid-file= --no-hosts
	--no-resolv --log-facility=- --bind-interfaces)

start_resolvers() {
	"$OUT/bin/applyload" -write-hosts "$OUT/apply-hosts"
	start upstream "$NS_UP" "${dnsmasq_common[@]}" --listen-address="$UPSTREAM" \
		--address=/bench.example/192.0.2.80 --address=/denied.example/192.0.2.81 \
		--addn-hosts="$OUT/apply-hosts" --local-ttl=300
	# The peer: dnsmasq as a plain forwarder with its cache off. Its default
	# limit of 150 concurrent forwards is raised to the sidecar's per-socket
	# limit so it never refuses for that reason.
	start dnsmasq "$NS_PEER" "${dnsmasq_common[@]}" --listen-address=127.0.0.1 \
		--cache-size=0 --server="$UPSTREAM" --dns-forward-max=1024
	rm -f "$CTL"
	start sidecar "$NS_SC" "$SIDECAR" --mode restricted --domain bench.example \
		--upstream "$UPSTREAM:53" --host-gateway "$UP_SC" --control-socket "$CTL"
	local i
	for i in $(seq 100); do
		[ -S "$CTL" ] && break
		alive sidecar
		sleep 0.1
	done
	[ -S "$CTL" ] || die "sidecar did not open $CTL within 10 s"
	alive upstream
	alive dnsmasq
}

rss_mb() {
	local name=$1 pid
	pid=$(eval "echo \$PID_${name//-/_}")
	awk '/^VmRSS:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$pid/status"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# warn prints a warning and keeps it for the notes under the table.
warn() {
	say "WARNING: $*"
	echo "Warning: $*" >>"$OUT/warnings.txt"
}

# warn_attempt keeps a warning about the current measurement; clean_run
# passes it on only if it keeps that attempt.
warn_attempt() { echo "$*" >>"$OUT/attempt-warnings.txt"; }

# dnsperf_run LABEL NS SERVER FILE EXPECT: one dnsperf run from NS; prints
# the queries per second. Warns when fewer than 99% of replies carry the
# EXPECT code or queries were lost.
dnsperf_run() {
	local label=$1 ns=$2 server=$3 file=$4 expect=$5 log qps share lost
	log=$OUT/dnsperf-$label.txt
	ip netns exec "$ns" dnsperf -s "$server" -d "$file" -l "$DURATION" \
		-c "$CLIENTS" -q "$OUTSTANDING" -t 2 >"$log" 2>&1 || { cat "$log" >&2; die "dnsperf $label failed"; }
	qps=$(awk '/Queries per second/ { printf "%.0f\n", $4 }' "$log")
	share=$(grep -o "$expect [0-9]* ([0-9.]*%)" "$log" | sed 's/.*(\(.*\)%)/\1/' || true)
	lost=$(awk '/Queries lost/ { print $3 }' "$log")
	if [ -z "$share" ] || awk -v s="$share" 'BEGIN { exit !(s < 99) }'; then
		warn_attempt "$label: only ${share:-0}% of replies were $expect ($(grep 'Response codes' "$log" | tr -s ' '))"
	fi
	[ "${lost:-0}" = 0 ] || warn_attempt "$label: dnsperf lost $lost queries"
	echo "$qps"
}

dnsload_run() {
	local label=$1 ns=$2 log
	log=$OUT/dnsload-$label.json
	ip netns exec "$ns" "$OUT/bin/dnsload" -server 127.0.0.1:53 -zone bench.example \
		-rate "$LAT_RATE" -duration 10s -warmup 1s >"$log"
	local lost
	lost=$(jq .lost "$log")
	[ "$lost" = 0 ] || warn_attempt "$label latency run: $lost of $(jq .sent "$log") queries unanswered or not NOERROR"
	echo "$log"
}

figure() { echo "$*" >>"$FIGURES"; }

main() {
	check_prereqs
	build_tools
	# The test cluster's processes would share the CPUs with every figure;
	# kube_bench starts it again for its own.
	test/kube/cluster.sh down >/dev/null 2>&1 || true
	rm -f "$FIGURES" "$OUT"/warnings.txt "$OUT"/audit-notes.txt "$OUT"/{upstream,dnsmasq,sidecar}.log "$OUT"/dnsperf-*.txt "$OUT"/dnsload-*.json \
		"$OUT"/setadd.json "$OUT"/applyload.json
	local busy load_start
	busy=$(wait_quiet)
	[ "$busy" -le 15 ] || warn "other work kept the machine ${busy}% busy when the run started"
	load_start=$(cut -d' ' -f1-3 /proc/loadavg)

	setup_topology
	start_resolvers
	say "sidecar and dnsmasq up; idle for ${IDLE}s"
	sleep "$IDLE"
	local rss_sc rss_dm
	rss_sc=$(rss_mb sidecar)
	rss_dm=$(rss_mb dnsmasq)

	seq -f 'q%06g.bench.example A' 0 99999 >"$OUT/allowed.txt"
	seq -f 'q%06g.denied.example A' 0 99999 >"$OUT/denied.txt"

	say "throughput: $RUNS x ${DURATION}s per side, dnsperf -c $CLIENTS -q $OUTSTANDING"
	local up_qps fwd=() peer=() ref=() r
	up_qps=$(clean_run "upstream direct" dnsperf_run upstream-direct "$NS_PEER" "$UPSTREAM" "$OUT/allowed.txt" NOERROR)
	for r in $(seq "$RUNS"); do
		peer+=("$(clean_run "dnsmasq forward $r" dnsperf_run "dnsmasq-forward-$r" "$NS_PEER" 127.0.0.1 "$OUT/allowed.txt" NOERROR)")
		fwd+=("$(clean_run "sidecar forward $r" dnsperf_run "sidecar-forward-$r" "$NS_SC" 127.0.0.1 "$OUT/allowed.txt" NOERROR)")
		ref+=("$(clean_run "sidecar refused $r" dnsperf_run "sidecar-refused-$r" "$NS_SC" 127.0.0.1 "$OUT/denied.txt" REFUSED)")
		alive sidecar
		say "run $r: dnsmasq ${peer[-1]} qps, sidecar ${fwd[-1]} qps forwarded, ${ref[-1]} qps refused"
	done
	figure dns_forward_qps "$(printf '%s\n' "${fwd[@]}" | median)" qps dnsmasq "$(printf '%s\n' "${peer[@]}" | median)"
	figure dns_refused_qps "$(printf '%s\n' "${ref[@]}" | median)" qps

	say "latency: ${LAT_RATE} queries/s for 10 s per side, $RUNS runs"
	local p50=() p99=() peer50=() peer99=() log
	for r in $(seq "$RUNS"); do
		log=$(clean_run "dnsmasq latency $r" dnsload_run "dnsmasq-$r" "$NS_PEER")
		peer50+=("$(jq .latency.p50Ms "$log")")
		peer99+=("$(jq .latency.p99Ms "$log")")
		log=$(clean_run "sidecar latency $r" dnsload_run "sidecar-$r" "$NS_SC")
		p50+=("$(jq .latency.p50Ms "$log")")
		p99+=("$(jq .latency.p99Ms "$log")")
		alive sidecar
		say "run $r: p99 dnsmasq ${peer99[-1]} ms, sidecar ${p99[-1]} ms"
	done
	figure dns_latency_p50_ms "$(printf '%s\n' "${p50[@]}" | median)" ms dnsmasq "$(printf '%s\n' "${peer50[@]}" | median)"
	figure dns_latency_p99_ms "$(printf '%s\n' "${p99[@]}" | median)" ms dnsmasq "$(printf '%s\n' "${peer99[@]}" | median)"

	local rss_after
	rss_after=$(rss_mb sidecar)

	say "address sets: adding answers in a throwaway namespace"
	clean_run "address sets" "$OUT/bin/setadd" -answers 20000 -addrs 4 >"$OUT/setadd.json"
	figure ipset_add_p50_ms "$(jq .ipv4.p50Ms "$OUT/setadd.json")" ms
	figure ipset_add_p99_ms "$(jq .ipv4.p99Ms "$OUT/setadd.json")" ms

	say "policy apply: $APPLIES applies of 200 domains per phase"
	clean_run "policy apply" "$OUT/bin/applyload" -socket "$CTL" -domains 200 -applies "$APPLIES" >"$OUT/applyload.json"
	alive sidecar
	local a=$OUT/applyload.json
	figure policy_apply_ms "$(jq .swapLists.sidecar.p50Ms "$a")" ms
	figure policy_apply_p99_ms "$(jq .swapLists.sidecar.p99Ms "$a")" ms
	figure policy_apply_rtt_ms "$(jq .swapLists.roundTrip.p50Ms "$a")" ms
	figure policy_mode_switch_ms "$(jq .switchMode.sidecar.p50Ms "$a")" ms
	figure sidecar_idle_rss_mb "$rss_sc" MB dnsmasq "$rss_dm"

	say "preview proxy: bench/proxy.sh (the daemon's proxy and nginx in front of one dev server)"
	FIGURES=$FIGURES BENCH_QUIET_WAIT=$QUIET_WAIT bench/proxy.sh ||
		warn "the preview proxy benchmark failed; its figures are missing (see bench/out/proxy-daemon.log)"

	say "name check: bench/egress.sh (restricted mode's connection check against the direct path and nginx ssl_preread)"
	FIGURES=$FIGURES BENCH_QUIET_WAIT=$QUIET_WAIT bench/egress.sh ||
		warn "the name-check benchmark failed; its figures are missing (see bench/out/egress-run/)"

	say "audit: bench/audit.sh (the DNS path with and without the audit log's first contacts)"
	FIGURES=$FIGURES BENCH_QUIET_WAIT=$QUIET_WAIT bench/audit.sh ||
		warn "the audit benchmark failed; its figures are missing (see bench/out/audit-run/)"

	say "host: edit-to-enforce latency at 1, 10 and 50 projects, memory, project start, metrics scrape at 50 projects (test/e2e benchmarks)"
	rm -f "$OUT/host.json"
	if WARDEN_BENCH_OUT=$OUT/host.json "$GO" test -run '^$' -bench 'BenchmarkDocker' -benchtime 1x -timeout 20m ./test/e2e/ >"$OUT/host-bench.txt" 2>&1; then
		jq -r '.[] | "\(.name) \(.value) \(.unit)" + (if .peer then " \(.peer) \(.peer_value)" else "" end)' "$OUT/host.json" >>"$FIGURES"
	else
		warn "the host benchmarks failed; their figures are missing (see bench/out/host-bench.txt)"
	fi

	say "kubernetes: the test cluster's start and memory, edit-to-enforce at 50 project pods, project start against a plain pod (test/kube benchmarks)"
	kube_bench || warn "the Kubernetes benchmarks failed; their figures are missing (see bench/out/kube-bench.txt)"

	local s=$OUT/setadd.json
	local notes=(
		"Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) CPUs, Linux $(uname -r); CPU busy before start ${busy}%, load average ${load_start} at start, $(cut -d' ' -f1-3 /proc/loadavg) at end."
		"Throughput: dnsperf -c $CLIENTS -q $OUTSTANDING -t 2 -l $DURATION over 100000 distinct names, UDP, median of $RUNS interleaved runs per side (all runs: sidecar ${fwd[*]}, dnsmasq ${peer[*]}, refused ${ref[*]}). The fake upstream answers $up_qps qps when asked directly with the same settings."
		"Latency: bench/cmd/dnsload, open loop at $LAT_RATE queries/s for 10 s (after 1 s warm-up), distinct names, median of $RUNS runs (sidecar p99 ${p99[*]} ms; dnsmasq p99 ${peer99[*]} ms)."
		"Address sets: addrset.Add of one answer with $(jq .addrsPerAnswer "$s") new addresses, $(jq .ipv4.n "$s") answers; IPv6 p50/p99 $(jq .ipv6.p50Ms "$s")/$(jq .ipv6.p99Ms "$s") ms; an answer already held (no kernel call) p99 $(jq .held.p99Ms "$s") ms."
		"Policy apply: alternating two disjoint 200-domain restricted lists, sets refilled before each apply ($(jq .swapLists.unsettled "$a") unsettled); mode switch = restricted ↔ none with the same list (rewrites iptables), p99 $(jq .switchMode.sidecar.p99Ms "$a") ms."
		"Host: one daemon with 1, then 10, then 50 running projects (test agent image); each sample is a domain add or removal through the CLI, timed until a probe inside an agent (resolving every 1 ms) sees the answer turn; 20 of each per level. Project start: median of 7 'warden project start' against 'docker run -d' of the same image on the same network."
		"Kubernetes: the test cluster (test/kube/cluster.sh) started with its binaries cached, timed from 'cluster.sh up' to the node ready, the images imported from Docker included; its memory is the resident sum of etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd and the kubelet just after. Edit-to-enforce: 50 project pods on the one node, 20 additions and 20 removals through the runtime's push (ConfigMap written, confirmation awaited), timed until a probe in the agent container (resolving every 1 ms) sees the answer turn. Project start: median of 7, until the pod is ready, against a plain pod of the same two images."
		"Sidecar RSS after the DNS load: ${rss_after} MB. dnsmasq peer: --cache-size=0 --no-resolv --server=$UPSTREAM --dns-forward-max=1024."
	)
	local args=() n
	for n in "${notes[@]}"; do
		args+=(-note "$n")
	done
	local f
	for f in "$OUT/proxy-notes.txt" "$OUT/audit-notes.txt"; do
		[ -f "$f" ] || continue
		while IFS= read -r n; do
			args+=(-note "$n")
		done <"$f"
	done
	if [ -f "$OUT/warnings.txt" ]; then
		while IFS= read -r n; do
			args+=(-note "$n")
		done <"$OUT/warnings.txt"
	fi
	"$OUT/bin/report" -in "$FIGURES" -json bench/results.json -md bench/results.md "${args[@]}"
}

# kube_bench starts the test cluster from cold (binaries built and cached
# first), reads its start time and memory, runs the test/kube benchmarks
# on it and takes it down again.
kube_bench() {
	local rc=0 t0 t1 rss=0 f pid kb
	test/kube/cluster.sh down
	test/kube/build.sh >"$OUT/kube-bench.txt" 2>&1 || return 1
	t0=$(date +%s.%N)
	test/kube/cluster.sh up >>"$OUT/kube-bench.txt" 2>&1 || { test/kube/cluster.sh down; return 1; }
	t1=$(date +%s.%N)
	for f in /run/warden-kube/*.pid; do
		pid=$(cat "$f")
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
		rss=$((rss + ${kb:-0}))
	done
	echo "k8s_cluster_start_s $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" >>"$FIGURES"
	echo "k8s_cluster_rss_mb $((rss / 1024)) MB" >>"$FIGURES"
	rm -f "$OUT/kube.json"
	WARDEN_BENCH_OUT=$OUT/kube.json "$GO" test -run '^$' -bench 'BenchmarkKube' -benchtime 1x -timeout 30m ./test/kube/ >>"$OUT/kube-bench.txt" 2>&1 || rc=$?
	test/kube/cluster.sh down >>"$OUT/kube-bench.txt" 2>&1 || true
	[ -f "$OUT/kube.json" ] && jq -r '.[] | "\(.name) \(.value) \(.unit)" + (if .peer then " \(.peer) \(.peer_value)" else "" end)' "$OUT/kube.json" >>"$FIGURES"
	return $rc
}

# One line, so bash has read it whole before main runs: an edit to this file
# during a run cannot feed the shell a half-read line afterwards.
main "$@"; exit
