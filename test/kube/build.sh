#!/bin/sh
# build.sh builds the Kubernetes binaries a test cluster runs (kube-apiserver,
# kubelet, kube-controller-manager, kube-scheduler, kubectl) from the Go module
# proxy into $KUBE_CACHE/bin, once: a later run finds them and does nothing.
#
# k8s.io/kubernetes cannot be installed directly (its go.mod replaces the
# staging modules with folders of its own tree), so a small wrapper module
# requires it and replaces each staging module with its published build.
set -eu

KUBE_VERSION=${KUBE_VERSION:-v1.37.2}
KUBE_CACHE=${KUBE_CACHE:-/var/cache/warden-kube}
BINS="kube-apiserver kubelet kube-controller-manager kube-scheduler kubectl"

bin=$KUBE_CACHE/bin
stamp=$bin/.version
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$KUBE_VERSION" ]; then
	ok=1
	for b in $BINS; do [ -x "$bin/$b" ] || ok=0; done
	[ $ok = 1 ] && { echo "kubernetes $KUBE_VERSION binaries: $bin (cached)"; exit 0; }
fi

# The staging modules carry the minor version of Kubernetes with major 0.
staging_version=v0.${KUBE_VERSION#v1.}
minor=$(echo "$KUBE_VERSION" | cut -d. -f2)

work=$KUBE_CACHE/build
mkdir -p "$work" "$bin"
cd "$work"
gomod=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[ -f "$gomod" ] || { echo "build.sh: cannot download k8s.io/kubernetes@$KUBE_VERSION from the module proxy" >&2; exit 1; }
goversion=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")
{
	echo "module warden.local/kubebuild"
	echo
	echo "go $goversion"
	echo
	grep '^godebug' "$gomod" || true
	echo
	echo "require k8s.io/kubernetes $KUBE_VERSION"
	echo
	echo "replace ("
	sed -n '/^replace (/,/^)/p' "$gomod" | sed -n "s#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 $staging_version#p"
	echo ")"
} > go.mod
pkgs=""
for b in $BINS; do pkgs="$pkgs k8s.io/kubernetes/cmd/$b"; done
GOFLAGS=-mod=mod go get $pkgs

date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
v=k8s.io/component-base/version
ld="-s -w -X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=$date"
for b in $BINS; do
	echo "building $b $KUBE_VERSION"
	CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ld" -o "$bin/$b" "k8s.io/kubernetes/cmd/$b"
done
echo "$KUBE_VERSION" > "$stamp"
echo "kubernetes $KUBE_VERSION binaries: $bin"
