#!/bin/bash
# cluster.sh starts and stops a single-node Kubernetes cluster on this
# machine for the Kubernetes backend and its tests:
#
#   cluster.sh up     build the binaries (once, cached), install the Debian
#                     packages, start etcd, kube-apiserver,
#                     kube-controller-manager, kube-scheduler, a private
#                     containerd and a kubelet, and import the images
#   cluster.sh down   stop all of it by PID, unmount, remove the bridge and
#                     restore the host settings the kubelet changed
#   cluster.sh env    print the kubeconfig path and the node's addresses
#
# Both are idempotent. Nothing here touches Docker: its containerd, networks,
# iptables chains and containers are left alone. No pod can pull an image:
# every image is imported from the local Docker engine, and containerd runs
# with a proxy that refuses at once.
set -euo pipefail

KUBE_CACHE=${KUBE_CACHE:-/var/cache/warden-kube}
STATE=${KUBE_STATE:-/var/lib/warden-kube}
RUN=${KUBE_RUN:-/run/warden-kube}
IMAGE_TAG=${WARDEN_IMAGE_TAG:-latest}
IMAGES=${KUBE_IMAGES:-"warden-sidecar:$IMAGE_TAG warden-agent-test:$IMAGE_TAG"}
NODE_NAME=warden-kube
BRIDGE=wkube0
BRIDGE_MAC=02:77:6b:00:00:01
POD_CIDR=198.18.0.0/24
POD_GATEWAY=198.18.0.1
SERVICE_CIDR=198.18.1.0/24
PAUSE_IMAGE=warden-kube-pause:1
ETCD_PORT=23790
ETCD_PEER_PORT=23800
API_PORT=6443
SYSCTLS="vm.overcommit_memory kernel.panic kernel.panic_on_oops"
SOCK=$RUN/containerd.sock
BIN=$KUBE_CACHE/bin
here=$(cd "$(dirname "$0")" && pwd)

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

# node_ip is the machine's own address: the kubelet refuses a loopback one,
# and pods reach the API server there.
node_ip() {
	ip -4 route get 192.0.2.255 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -1
}

install_packages() {
	local missing=""
	command -v etcd >/dev/null || missing="$missing etcd-server"
	command -v containerd >/dev/null || missing="$missing containerd"
	command -v runc >/dev/null || PATH=$PATH:/usr/sbin command -v runc >/dev/null || missing="$missing runc"
	[ -x /usr/lib/cni/bridge ] || missing="$missing containernetworking-plugins"
	command -v openssl >/dev/null || missing="$missing openssl"
	command -v curl >/dev/null || missing="$missing curl"
	[ -z "$missing" ] && return 0
	log "installing:$missing"
	# The packages must not start their own etcd or containerd: a
	# policy-rc.d refusing every service start holds for the install only.
	local own_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		own_policy=1
	fi
	local rc=0
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; } || rc=$?
	[ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
	[ $rc = 0 ] || die "installing$missing failed"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# start NAME CMD... runs CMD in its own session, logging to $STATE/log/NAME.log.
start() {
	local name=$1
	shift
	if pid_alive "$RUN/$name.pid"; then return 0; fi
	setsid "$@" >>"$STATE/log/$name.log" 2>&1 </dev/null &
	echo $! > "$RUN/$name.pid"
}

# wait_for WHAT SECONDS CMD... polls CMD until it succeeds.
wait_for() {
	local what=$1 secs=$2
	shift 2
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || die "$what not ready after ${secs}s (logs: $STATE/log)"
		sleep 0.2
	done
}

# cert NAME CN [O] makes a client or server certificate signed by the CA.
cert() {
	local name=$1 cn=$2 org=${3:-} pki=$STATE/pki
	[ -f "$pki/$name.crt" ] && return 0
	local subj="/CN=$cn"
	[ -n "$org" ] && subj="/O=$org$subj"
	openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
	openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
	local ext=$pki/$name.ext
	if [ "$name" = apiserver ]; then
		printf 'subjectAltName=IP:127.0.0.1,IP:%s,IP:%s,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' \
			"$NODE_IP" "${SERVICE_CIDR%.0/24}.1" > "$ext"
	else
		printf 'extendedKeyUsage=clientAuth\n' > "$ext"
	fi
	openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-days 30 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
}

kubeconfig() {
	local name=$1
	cat > "$STATE/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: warden-kube
  cluster:
    server: https://$NODE_IP:$API_PORT
    certificate-authority: $STATE/pki/ca.crt
users:
- name: $name
  user:
    client-certificate: $STATE/pki/$name.crt
    client-key: $STATE/pki/$name.key
contexts:
- name: warden-kube
  context: {cluster: warden-kube, user: $name}
current-context: warden-kube
EOF
}

make_pki() {
	local pki=$STATE/pki
	mkdir -p "$pki"
	if [ ! -f "$pki/ca.crt" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" \
			-days 30 -subj "/CN=warden-kube-ca" 2>/dev/null
		openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
		openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
	fi
	cert apiserver kube-apiserver
	cert admin admin system:masters
	cert kubelet-client kube-apiserver-kubelet-client system:masters
	cert controller-manager system:kube-controller-manager
	cert scheduler system:kube-scheduler
	cert kubelet "system:node:$NODE_NAME" system:nodes
	kubeconfig admin
	kubeconfig controller-manager
	kubeconfig scheduler
	kubeconfig kubelet
}

write_containerd_config() {
	mkdir -p "$STATE/cni/net.d"
	cat > "$STATE/containerd.toml" <<EOF
version = 2
root = "$STATE/containerd"
state = "$RUN/containerd"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$RUN/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/library/$PAUSE_IMAGE"
  # Root here lacks CAP_SYS_RESOURCE: runc cannot lower oom_score_adj.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
EOF
	cat > "$STATE/cni/net.d/10-warden-kube.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "warden-kube",
  "plugins": [{
    "type": "bridge",
    "bridge": "$BRIDGE",
    "isGateway": true,
    "ipMasq": false,
    "ipam": {
      "type": "host-local",
      "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY", "rangeStart": "198.18.0.10", "rangeEnd": "198.18.0.200"}]],
      "routes": [{"dst": "0.0.0.0/0"}],
      "dataDir": "$STATE/cni/ipam"
    }
  }]
}
EOF
}

write_kubelet_config() {
	cat > "$STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $STATE/pki/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
makeIPTablesUtilChains: false
containerRuntimeEndpoint: unix://$SOCK
podLogsDir: $STATE/pod-logs
readOnlyPort: 0
resolvConf: $STATE/resolv.conf
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOF
	# Pods name their own resolvers (the sidecar's DNS filter answers
	# every question); nothing of the host's leaks in.
	echo "nameserver $POD_GATEWAY" > "$STATE/resolv.conf"
}

# pause_image builds the sandbox image: a static Go program that waits.
pause_image() {
	local dir=$STATE/pause
	mkdir -p "$dir"
	(cd "$here/../.." && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$dir/pause" ./test/kube/pause)
	tar -C "$dir" -cf "$dir/rootfs.tar" pause
	docker import --change 'ENTRYPOINT ["/pause"]' "$dir/rootfs.tar" "$PAUSE_IMAGE" >/dev/null
}

import_images() {
	local img
	for img in $PAUSE_IMAGE $IMAGES; do
		docker image inspect "$img" >/dev/null 2>&1 ||
			die "image $img is missing: run 'make images IMAGE_TAG=$IMAGE_TAG' first"
		log "importing $img"
		docker save "$img" | ctr -n k8s.io -a "$SOCK" images import --no-unpack - >/dev/null
	done
}

save_sysctls() {
	[ -f "$STATE/sysctl.saved" ] && return 0
	local s
	for s in $SYSCTLS; do echo "$s=$(sysctl -n "$s")"; done > "$STATE/sysctl.saved"
}

api_ready() {
	curl -fsS --cacert "$STATE/pki/ca.crt" --cert "$STATE/pki/admin.crt" --key "$STATE/pki/admin.key" \
		"https://$NODE_IP:$API_PORT/readyz" >/dev/null
}

up() {
	NODE_IP=$(node_ip)
	[ -n "$NODE_IP" ] || die "cannot find this machine's own address"
	[ "$(id -u)" = 0 ] || die "needs root"
	command -v docker >/dev/null || die "needs the docker CLI (images come from the local engine)"
	if pid_alive "$RUN/kubelet.pid" && api_ready 2>/dev/null; then
		log "already up; kubeconfig: $STATE/admin.kubeconfig"
		import_images
		return 0
	fi
	# A half-started cluster is taken down before a fresh start.
	down quiet
	"$here/build.sh"
	install_packages
	mkdir -p "$STATE/log" "$RUN"
	save_sysctls
	make_pki
	write_containerd_config
	write_kubelet_config
	# The bridge exists before the first pod, so the tests' stand-in for the
	# internet can listen on its gateway address. Its MAC address is set:
	# a bridge otherwise takes the lowest of its ports', which changes as
	# pods come and go and leaves the other pods' ARP entries for the
	# gateway pointing nowhere for a while.
	if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
		ip link add "$BRIDGE" address "$BRIDGE_MAC" type bridge
		ip addr add "$POD_GATEWAY/${POD_CIDR#*/}" dev "$BRIDGE"
		ip link set "$BRIDGE" up
	fi
	local pki=$STATE/pki k=$BIN

	log "starting etcd"
	start etcd etcd --name default --data-dir "$STATE/etcd" \
		--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT"
	wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

	log "starting kube-apiserver on $NODE_IP:$API_PORT"
	start kube-apiserver "$k/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
		--bind-address "$NODE_IP" --advertise-address "$NODE_IP" --secure-port "$API_PORT" \
		--service-cluster-ip-range "$SERVICE_CIDR" --client-ca-file "$pki/ca.crt" \
		--tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
		--kubelet-client-certificate "$pki/kubelet-client.crt" --kubelet-client-key "$pki/kubelet-client.key" \
		--service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
		--service-account-issuer https://kubernetes.default.svc \
		--kubelet-preferred-address-types InternalIP \
		--authorization-mode Node,RBAC --anonymous-auth=false --enable-admission-plugins NodeRestriction
	wait_for kube-apiserver 60 api_ready

	log "starting kube-controller-manager and kube-scheduler"
	start kube-controller-manager "$k/kube-controller-manager" --kubeconfig "$STATE/controller-manager.kubeconfig" \
		--authentication-kubeconfig "$STATE/controller-manager.kubeconfig" --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
		--service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
		--use-service-account-credentials --leader-elect=false --bind-address 127.0.0.1
	start kube-scheduler "$k/kube-scheduler" --kubeconfig "$STATE/scheduler.kubeconfig" \
		--authentication-kubeconfig "$STATE/scheduler.kubeconfig" --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
		--leader-elect=false --bind-address 127.0.0.1

	log "starting containerd (private: $SOCK)"
	# Any pull fails at once and nothing leaves the machine.
	start containerd env HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY= \
		containerd --config "$STATE/containerd.toml"
	wait_for containerd 30 ctr -a "$SOCK" version
	pause_image
	import_images

	log "starting kubelet"
	start kubelet "$k/kubelet" --config "$STATE/kubelet.yaml" --kubeconfig "$STATE/kubelet.kubeconfig" \
		--root-dir "$STATE/kubelet" --cert-dir "$STATE/kubelet/pki" --hostname-override "$NODE_NAME" \
		--node-ip "$NODE_IP"
	wait_for "node $NODE_NAME" 90 "$k/kubectl" --kubeconfig "$STATE/admin.kubeconfig" \
		wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
	# The controller that publishes kube-root-ca.crt, which the sidecars
	# need, works a moment after the node is ready.
	wait_for "kube-root-ca.crt" 30 "$k/kubectl" --kubeconfig "$STATE/admin.kubeconfig" get configmap kube-root-ca.crt -n default
	log "up; kubeconfig: $STATE/admin.kubeconfig"
}

# stop NAME kills the process of NAME.pid and waits for it.
stop() {
	local f=$RUN/$1.pid
	[ -f "$f" ] || return 0
	local pid
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		local end=$((SECONDS + 15))
		while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

# our_shims lists the PIDs of the runc shims our containerd started (they
# outlive it); Docker's shims name Docker's socket and are not listed.
our_shims() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -q -- "-address $SOCK " && echo "${p#/proc/}"
	done
	return 0
}

down() {
	local quiet=${1:-}
	[ -n "$quiet" ] || log "stopping"
	stop kubelet
	if pid_alive "$RUN/containerd.pid"; then
		local id
		for id in $(ctr -n k8s.io -a "$SOCK" tasks ls -q 2>/dev/null); do
			ctr -n k8s.io -a "$SOCK" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
		done
		for id in $(ctr -n k8s.io -a "$SOCK" tasks ls -q 2>/dev/null); do
			ctr -n k8s.io -a "$SOCK" tasks rm -f "$id" >/dev/null 2>&1 || true
		done
	fi
	stop containerd
	local pid
	for pid in $(our_shims); do kill -KILL "$pid" 2>/dev/null || true; done
	stop kube-scheduler
	stop kube-controller-manager
	stop kube-apiserver
	stop etcd
	# Mounts: the kubelet's volumes, containerd's rootfs and shm, and the
	# pods' network namespaces (containerd names them cni-<uuid>).
	local m
	for m in $(awk '{print $5}' /proc/self/mountinfo | grep -E "^($STATE|$RUN)(/|$)" | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	for m in $(awk '{print $5}' /proc/self/mountinfo | grep -E '^/run/netns/cni-[0-9a-f-]+$' | sort -u); do
		umount -l "$m" 2>/dev/null || true
		rm -f "$m"
	done
	ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
	# The kubelet's cgroups, emptied now that their processes are gone.
	local d
	for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf /var/lib/cni/results/warden-kube-* 2>/dev/null || true
	if [ -f "$STATE/sysctl.saved" ]; then
		local kv
		while read -r kv; do sysctl -qw "$kv" || log "restoring $kv failed"; done < "$STATE/sysctl.saved"
	fi
	[ -d "$STATE" ] && rm -rf --one-file-system "$STATE"
	[ -d "$RUN" ] && rm -rf --one-file-system "$RUN"
	[ -n "$quiet" ] || log "down"
}

env_() {
	NODE_IP=$(node_ip)
	echo "KUBECONFIG=$STATE/admin.kubeconfig"
	echo "NODE_IP=$NODE_IP"
	echo "POD_GATEWAY=$POD_GATEWAY"
	echo "KUBE_API=https://$NODE_IP:$API_PORT"
	echo "KUBECTL=$BIN/kubectl"
}

case "${1:-}" in
up) up ;;
down) down ;;
env) env_ ;;
*) die "usage: cluster.sh up|down|env" ;;
esac
