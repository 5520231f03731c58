#!/bin/sh
# Builds one systemd lab image into the cache (src/lab/image.ts):
#   sh image-build.sh DEST SUITE PACKAGES CUSTOMIZE-HOOK MIRROR-LINE...
# DEST/rootfs is the Debian system, DEST/layers/<variant> the variants' overlay layers. The image
# is built beside DEST and renamed into place only when complete, so a failed or interrupted
# build never leaves a half image in the cache. Two builds of one image wait for each other.
set -eu
dest=$1
suite=$2
packages=$3
customize=$4
shift 4

parent=$(dirname "$dest")
mkdir -p "$parent"
exec 9>"$parent/.build.lock"
flock 9
if [ -d "$dest/rootfs" ]; then
  echo "image: $dest is already built"
  exit 0
fi

tmp=$dest.tmp.$$
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$tmp/layers"

# The hook reads its paths from the environment: mmdebstrap runs it through `sh -c`, and a path
# in the hook's text would need a second level of quoting.
FLEET_IMAGE_CUSTOMIZE=$customize
FLEET_IMAGE_LAYERS=$tmp/layers
export FLEET_IMAGE_CUSTOMIZE FLEET_IMAGE_LAYERS
# shellcheck disable=SC2016 # $1 and the variables are expanded by the hook's shell, not this one
mmdebstrap --variant=minbase --include="$packages" \
  --customize-hook='sh "$FLEET_IMAGE_CUSTOMIZE" "$1" "$FLEET_IMAGE_LAYERS"' \
  "$suite" "$tmp/rootfs" "$@"

mv "$tmp" "$dest"
trap - EXIT
