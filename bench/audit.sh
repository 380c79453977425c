#!/usr/bin/env bash
# Measures what the audit log's first contacts cost the DNS path: two
# sidecars side by side, one reporting each allowed name's first answer
# (the default) and one started with --no-first-contacts, each followed by
# an event stream reader as the daemon follows a real sidecar, both asked
# by dnsperf for 100000 distinct allowed names, so every query of the first
# pass is a first contact (the worst case). Both are started afresh for
# each run and swap namespaces between runs. run.sh calls it; it also runs
# alone:
#
#   sudo bench/audit.sh       # after `make build`; needs dnsperf and dnsmasq
#
# It appends "name value unit [peer peer_value]" lines to $FIGURES (default
# bench/out/audit-figures.txt): dns_forward_qps_audit (each side's median;
# peer: the sidecar without first contacts) and
# audit_dns_forward_qps_change_pct (how much lower the first is, in percent
# of the second: the median of the runs' own changes).
#
# Settings (environment):
#   BENCH_DURATION=10      seconds per dnsperf run
#   BENCH_AUDIT_RUNS=5     runs per side, interleaved; the median of each
#                          run's change is reported
#   BENCH_CLIENTS=4        dnsperf -c
#   BENCH_OUTSTANDING=100  dnsperf -q
#   BENCH_QUIET_WAIT=120   seconds to wait, before each run, for the machine to go quiet
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

DURATION=${BENCH_DURATION:-10}
RUNS=${BENCH_AUDIT_RUNS:-5}
CLIENTS=${BENCH_CLIENTS:-4}
OUTSTANDING=${BENCH_OUTSTANDING:-100}
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}

ROOT=$PWD
OUT=$ROOT/bench/out
RUN=$OUT/audit-run
FIGURES=${FIGURES:-$OUT/audit-figures.txt}
SIDECAR=${BENCH_SIDECAR:-$ROOT/bin/warden-sidecar}
UPSTREAM=192.0.2.53
TAG=wba$$
NS_UP=$TAG-up NS_ON=$TAG-on NS_OFF=$TAG-off
PIDS=()

say() { printf '%s\n' "bench audit: $*" >&2; }
die() { say "$*"; exit 1; }
figure() { echo "$*" >>"$FIGURES"; }

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	for ns in "$NS_ON" "$NS_OFF" "$NS_UP"; do ip netns delete "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "needs root: it builds network namespaces"
[ -x "$SIDECAR" ] || die "$SIDECAR missing; run 'make build'"
for cmd in dnsperf dnsmasq jq curl ip; do command -v "$cmd" >/dev/null || die "$cmd not found; 'make deps-bench' installs it"; done

# shellcheck source=bench/quiet.sh
. bench/quiet.sh # the scripts run from the repository root

mkdir -p "$RUN"
rm -f "$RUN"/*.sock "$RUN"/*.ndjson "$RUN"/*.log "$RUN"/loads.txt
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

# Topology: "up" holds the upstream; "on" and "off" each hold a sidecar and
# its dnsperf, each with its own veth to "up".
ip netns add "$NS_UP"
ip -n "$NS_UP" link set lo up
ip -n "$NS_UP" addr add "$UPSTREAM/32" dev lo
i=0
for ns in "$NS_ON" "$NS_OFF"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$NS_UP" link add "up$i" type veth peer name eth0 netns "$ns"
	ip -n "$NS_UP" addr add "198.51.100.$((4 * i + 1))/30" dev "up$i"
	ip -n "$ns" addr add "198.51.100.$((4 * i + 2))/30" dev eth0
	ip -n "$NS_UP" link set "up$i" up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add "$UPSTREAM/32" via "198.51.100.$((4 * i + 1))"
	i=$((i + 1))
done

ip netns exec "$NS_UP" dnsmasq --keep-in-foreground --conf-file=/dev/null --pid-file= --no-hosts --no-resolv \
	--log-facility=- --bind-interfaces --listen-address="$UPSTREAM" --address=/bench.example/192.0.2.80 \
	--local-ttl=300 >"$RUN/upstream.log" 2>&1 &
PIDS+=($!)

RUNNING=() # this run's sidecars and their event readers
declare -A SIDECAR_PID
# cpu_ms PID is the CPU time the process has used, in milliseconds.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($14 + $15) * 1000 / hz }' "/proc/$1/stat"; }
# timed_run SIDE NS RUN runs dnsperf against SIDE's sidecar and appends its
# qps to SIDE's list and its CPU milliseconds per 1000 queries to SIDE's.
timed_run() {
	local side=$1 c0 c1 q
	c0=$(cpu_ms "${SIDECAR_PID[$side]}")
	q=$(dnsperf_run "$2" "$side-$3")
	c1=$(cpu_ms "${SIDECAR_PID[$side]}")
	eval "$side+=(\"\$q\")"
	eval "${side}_cpu+=(\"$(awk -v c=$((c1 - c0)) -v q="$q" -v d="$DURATION" 'BEGIN { printf "%.1f", c * 1000 / (q * d) }')\")"
}
start_sidecar() { # NAME NS GATEWAY [FLAGS...]
	local name=$1 ns=$2 gw=$3 sock=$RUN/$1.sock
	shift 3
	rm -f "$sock"
	ip netns exec "$ns" "$SIDECAR" --mode restricted --domain bench.example --upstream "$UPSTREAM:53" \
		--host-gateway "$gw" --control-socket "$sock" --log-level warn "$@" >>"$RUN/$name.log" 2>&1 &
	PIDS+=($!)
	RUNNING+=($!)
	SIDECAR_PID[$name]=$!
	for _ in $(seq 100); do
		curl -fsS --unix-socket "$sock" http://sidecar/v1/status 2>/dev/null | jq -e .ready >/dev/null && break
		sleep 0.1
	done
	curl -fsS --unix-socket "$sock" http://sidecar/v1/status | jq -e .ready >/dev/null || die "sidecar $name not ready; see $RUN/$name.log"
	# The daemon follows every sidecar's events; so does the benchmark.
	curl -fsSN --unix-socket "$sock" 'http://sidecar/v1/events?follow=1' >>"$RUN/$name-events.ndjson" 2>/dev/null &
	PIDS+=($!)
	RUNNING+=($!)
}
stop_sidecars() {
	local pid
	for pid in "${RUNNING[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${RUNNING[@]}"; do wait "$pid" 2>/dev/null || true; done
	RUNNING=()
}
# Each run starts both sidecars afresh, and the namespaces swap sides from
# one run to the next, so that neither side keeps a namespace, a veth or a
# warmed-up process of its own.
start_pair() { # RUN
	if [ $(($1 % 2)) = 1 ]; then
		ON_NS=$NS_ON OFF_NS=$NS_OFF
		start_sidecar on "$NS_ON" 198.51.100.1
		start_sidecar off "$NS_OFF" 198.51.100.5 --no-first-contacts
	else
		ON_NS=$NS_OFF OFF_NS=$NS_ON
		start_sidecar on "$NS_OFF" 198.51.100.5
		start_sidecar off "$NS_ON" 198.51.100.1 --no-first-contacts
	fi
}

seq -f 'q%06g.bench.example A' 0 99999 >"$RUN/names.txt"

dnsperf_run() { # NS LABEL
	local log=$RUN/dnsperf-$2.txt busy
	busy=$(wait_quiet)
	echo "$busy" >>"$RUN/loads.txt"
	[ "$busy" -le 15 ] || echo "Warning: audit: the machine was ${busy}% busy at the start of run $2" >>"$OUT/warnings.txt"
	ip netns exec "$1" dnsperf -s 127.0.0.1 -d "$RUN/names.txt" -l "$DURATION" -c "$CLIENTS" -q "$OUTSTANDING" -t 2 \
		>"$log" 2>&1 || { cat "$log" >&2; die "dnsperf $2 failed"; }
	awk '/Queries per second/ { printf "%.0f\n", $4 }' "$log"
}

on=() off=() on_cpu=() off_cpu=() contacts=0
# The order alternates too, so neither side always runs first after the wait.
for r in $(seq "$RUNS"); do
	start_pair "$r"
	if [ $((r % 2)) = 1 ]; then
		timed_run on "$ON_NS" "$r"
		timed_run off "$OFF_NS" "$r"
	else
		timed_run off "$OFF_NS" "$r"
		timed_run on "$ON_NS" "$r"
	fi
	n=$(curl -fsS --unix-socket "$RUN/on.sock" http://sidecar/v1/status | jq .events.dnsFirstContacts)
	contacts=$((contacts + n))
	stop_sidecars
	say "run $r: ${on[-1]} qps with first contacts ($n reported, ${on_cpu[-1]} ms CPU per 1000 queries), ${off[-1]} without (${off_cpu[-1]} ms)"
done
med_on=$(printf '%s\n' "${on[@]}" | median)
med_off=$(printf '%s\n' "${off[@]}" | median)
[ "$contacts" -gt 0 ] || die "the sidecar with first contacts reported none; the comparison would mean nothing"
figure dns_forward_qps_audit "$med_on" qps no-first-contacts "$med_off"
# The change is the median of each run's own change: both sidecars of a run
# start together and run back to back, while the machine's speed drifts from
# run to run by more than the effect measured (both sides fell by a tenth
# from one run to the next in a run of 2026-12-04), which a difference of
# each side's median would count as cost or gain.
changes=()
for i in "${!on[@]}"; do
	changes+=("$(awk -v a="${on[$i]}" -v b="${off[$i]}" 'BEGIN { printf "%.2f", (b - a) * 100 / b }')")
done
med_change=$(printf '%s\n' "${changes[@]}" | median)
figure audit_dns_forward_qps_change_pct "$(awk -v v="$med_change" 'BEGIN { if (v < 0) v = 0; printf "%.2f\n", v }')" %
echo "Audit: each run's change (lower with first contacts, in %) ${changes[*]}; the medians of each side $med_on against $med_off qps; the sidecar's CPU per 1000 queries, with first contacts ${on_cpu[*]} ms, without ${off_cpu[*]} ms (each run in turn)." >>"$OUT/audit-notes.txt"
say "with first contacts: ${on[*]} qps ($contacts first contacts reported, $(wc -l <"$RUN/on-events.ndjson") events streamed); without: ${off[*]} qps; machine load at each run's start: $(tr '\n' ' ' <"$RUN/loads.txt")"
