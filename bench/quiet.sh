# Shell functions both bench scripts use; they source this file. Each
# script sets QUIET_WAIT and defines say before calling them.

# cpu_busy prints the share of CPU time (percent) spent outside idle over
# two seconds, across all CPUs.
cpu_busy() {
	local a b
	read -r -a a < <(head -1 /proc/stat)
	sleep 2
	read -r -a b < <(head -1 /proc/stat)
	awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
		n = split(a, x, " "); split(b, y, " ")
		for (i = 2; i <= n; i++) { t += y[i] - x[i] }
		idle = (y[5] - x[5]) + (y[6] - x[6])
		busy = t > 0 ? 100 * (t - idle) / t : 0
		printf "%.0f\n", busy }'
}

# wait_quiet waits for other work on the machine to end, because every
# figure here is CPU-bound on a shared machine. It prints how busy the
# machine was when it stopped waiting.
wait_quiet() {
	local waited=0 busy
	busy=$(cpu_busy)
	while [ "$busy" -gt 15 ] && [ "$waited" -lt "$QUIET_WAIT" ]; do
		say "machine busy (${busy}% CPU); waiting for it to settle"
		sleep 8
		waited=$((waited + 10))
		busy=$(cpu_busy)
	done
	echo "$busy"
}
