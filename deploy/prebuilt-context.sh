#!/usr/bin/env bash
# Lays out the build context of deploy/Containerfile.prebuilt: a `seqtwins` binary built on this machine (Debian
# bookworm, like the image), the Swift runtime libraries it links (found with ldd; none for a binary built with
# --static-swift-stdlib) and the migrations.
#   deploy/prebuilt-context.sh [BINARY] [DIR]     default: .build/debug/seqtwins, .build/container-context
#   podman build --pull=never --build-arg BASE_IMAGE=localhost/debian:bookworm \
#       -f deploy/Containerfile.prebuilt -t seqtwins:latest .build/container-context
# The debug binary that `swift build --build-tests` (scripts/test.sh, CI) already made will do: hot modules are
# optimised even in debug builds, and CI then builds Swift once.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${1:-$root/.build/debug/seqtwins}"
dir="${2:-$root/.build/container-context}"
[ -x "$binary" ] || { echo "prebuilt-context.sh: no executable at $binary: run swift build first" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir/swift-runtime"
# A stripped copy: the image needs no debug symbols.
cp "$binary" "$dir/seqtwins"
strip --strip-debug "$dir/seqtwins" 2>/dev/null || true
cp -r "$root/Migrations" "$dir/Migrations"
# Swift's own libraries come from the toolchain; the system's (libpq, OpenBLAS, ...) from the image's apt-get.
swift_lib="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib/swift/linux"
missing=$(ldd "$binary" | awk '/not found/ {print $1}')
[ -z "$missing" ] || { echo "prebuilt-context.sh: $binary needs libraries not found here: $missing" >&2; exit 1; }
ldd "$binary" | awk '$3 ~ /^\// {print $3}' | while read -r library; do
    case "$(readlink -f "$library")" in
    "$(readlink -f "$swift_lib")"/*) cp -L "$library" "$dir/swift-runtime/" ;;
    esac
done
echo "prebuilt-context.sh: $dir: seqtwins ($(du -h "$dir/seqtwins" | cut -f1)), $(find "$dir/swift-runtime" -name '*.so*' | wc -l) Swift runtime libraries, $(find "$dir/Migrations" -name '*.sql' | wc -l) migrations" >&2
