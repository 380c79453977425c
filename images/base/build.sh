#!/usr/bin/env bash
# Builds the base image warden-base:bookworm from Debian packages, for machines
# where no container registry can be reached. It uses the mirror that this
# machine's apt sources name, so it needs nothing but Debian's archive.
set -euo pipefail
IMAGE=${IMAGE:-warden-base:bookworm}
SUITE=${SUITE:-bookworm}
INCLUDE=${INCLUDE:-ca-certificates,iptables,ipset,iproute2,sudo,git,curl,procps}

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE already present"
  exit 0
fi
mirror=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | awk '{print $2}' | grep -m1 -E 'debian/?$' || true)
mirror=${mirror:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
echo "debootstrap $SUITE from $mirror (variant minbase, with $INCLUDE)"
debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$root" "$mirror"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
echo "importing as $IMAGE"
tar -C "$root" -c . | docker import --change 'CMD ["/bin/bash"]' - "$IMAGE"
