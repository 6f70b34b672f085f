# Sourced by the project's scripts: puts a Swift 6 toolchain on PATH or explains how to get one.
# Debian 12 packages no Swift 6, so the toolchain is the one thing these scripts cannot install.
directpipe_find_swift() {
    local dir
    for dir in "$(dirname "$(command -v swift 2>/dev/null || echo /nonexistent/swift)")" /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        if [ -x "$dir/swift" ] && "$dir/swift" --version 2>/dev/null | grep -Eq 'Swift version (6|[7-9])\.'; then
            case ":$PATH:" in *":$dir:"*) ;; *) export PATH="$dir:$PATH" ;; esac
            return 0
        fi
    done
    cat >&2 <<'MSG'
DirectPipe needs a Swift 6 toolchain (6.1 or newer), and Debian 12 does not package one.
Install it from https://www.swift.org/install/linux/ (the Debian 12 tarball, or 'swiftly'),
unpack it to /opt/swift (so that /opt/swift/usr/bin/swift exists), and run this again.
MSG
    return 1
}
