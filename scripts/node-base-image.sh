#!/usr/bin/env bash
# Assembles a local Node 24 base image for machines that cannot pull from a registry (CI here):
# the Node binary from scripts/node24.sh, this machine's npm, a POSIX shell, jemalloc (which the
# Dockerfile would otherwise install from Debian), and the shared libraries they need.
# Usage: scripts/node-base-image.sh [IMAGE] (default localhost/didit-node-base:24-jemalloc).
# Needs root, podman, ldd and Debian's libjemalloc2. Pass the result as the Dockerfile's NODE_IMAGE and RUNTIME_IMAGE.
set -euo pipefail
image=${1:-localhost/didit-node-base:24-jemalloc}
root="$(cd "$(dirname "$0")/.." && pwd)"
if podman image exists "$image"; then echo "$image"; exit 0; fi
bin=$("$root/scripts/node24.sh")
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{usr/local/bin,usr/local/lib/node_modules,usr/bin,bin,etc/ssl/certs,tmp,root,home/node}
chmod 1777 "$rootfs/tmp"
cp "$bin/node" "$rootfs/usr/local/bin/node"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
cp "$(readlink -f /bin/sh)" "$rootfs/bin/sh"
cp /usr/bin/env "$rootfs/usr/bin/env"
jemalloc="/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2"
mkdir -p "$rootfs$(dirname "$jemalloc")"
cp -L "$jemalloc" "$rootfs$jemalloc"
for file in "$bin/node" /bin/sh /usr/bin/env "$jemalloc"; do
  ldd "$file" | grep -oE '/[^ ]+' | while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
done
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$rootfs/etc/group"
tar -C "$rootfs" -cf "$rootfs.tar" .
# This machine's trust store (which may hold a TLS-inspecting proxy's CA) serves npm in the build stage.
podman import --quiet --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' "$rootfs.tar" "$image" >/dev/null
rm -f "$rootfs.tar"
echo "$image"
