# Sourced: the release build every entry script shares (setup.sh starts it, test.sh starts it for a few
# seconds, package.sh packages it), so what a user runs is what the tests ran. Sets $release_bin.
directpipe_build_release() {
    echo "build: directpipe (release, static Swift standard library) and the native pieces..."
    release_bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
    # SwiftPM keeps a build plan made without --static-swift-stdlib (by a plain `swift build -c release` or a
    # plugin's build) and links dynamically with it again: start that plan anew.
    if [ -f "$release_bin/directpipe" ] && readelf -d "$release_bin/directpipe" | grep -q 'NEEDED.*libswiftCore'; then
        echo "build: the last release build linked the Swift standard library dynamically; planning it anew"
        rm -f "$release_bin/directpipe" .build/release.yaml "$release_bin/description.json"
    fi
    swift build -c release --static-swift-stdlib --product directpipe
    scripts/build-native.sh .build/native
}
