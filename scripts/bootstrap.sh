#!/usr/bin/env bash
# Installs what SeqTwins needs on a Debian machine, skipping what is already there:
# the Swift toolchain is assumed (swift.org); system packages: libpq-dev, libopenblas-dev, postgresql, pkg-config.
set -euo pipefail
needed=()
for package in libpq-dev libopenblas-dev postgresql pkg-config; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || needed+=("$package")
done
if [ ${#needed[@]} -gt 0 ]; then
    echo "bootstrap: installing ${needed[*]}" >&2
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${needed[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "bootstrap: swift not found; install Swift 6 from swift.org" >&2; exit 1; }
