// swift-tools-version: 6.1
// DirectPipe: a low-latency microphone processor for Linux.
// Benchmarks live in their own package (Benchmarks/) so this build stays fast.
import PackageDescription

let package = Package(
    name: "DirectPipe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "directpipe", targets: ["directpipe"]),
        .library(name: "DirectPipeShm", targets: ["DirectPipeShm"]),
        .library(name: "DirectPipeEngine", targets: ["DirectPipeEngine"]),
        .library(name: "DirectPipeDSP", targets: ["DirectPipeDSP"]),
        .library(name: "DirectPipePlugins", targets: ["DirectPipePlugins"]),
        // The protocol header and C reader, for the benchmarks package and other C users.
        .library(name: "CDirectPipeShm", targets: ["CDirectPipeShm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    ],
    targets: [
        // C: the protocol header (layout + static asserts), the reader library, futex shims.
        .target(name: "CDirectPipeShm"),
        // Swift: shared-memory segment, real-time writer, reader.
        .target(
            name: "DirectPipeShm",
            dependencies: ["CDirectPipeShm", .product(name: "Atomics", package: "swift-atomics")]
        ),
        // libsndfile, for WAV/FLAC files.
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .target(name: "DirectPipeAudioFile", dependencies: ["CSndfile"]),
        // C: what an audio thread needs from the system (SCHED_FIFO, mlockall, denormals, allocation probe).
        .target(name: "CDirectPipeRealtime", linkerSettings: [.linkedLibrary("dl")]),
        // libsamplerate, for outputs on another clock and models at their own rate.
        .systemLibrary(name: "CSamplerate", pkgConfig: "samplerate", providers: [.apt(["libsamplerate0-dev"])]),
        // libebur128, for loudness (EBU R 128): the output's meters and the auto-gain.
        .systemLibrary(name: "CEBUR128", pkgConfig: "libebur128", providers: [.apt(["libebur128-dev"])]),
        // speexdsp's preprocessor, for the noise-suppression built-in.
        .systemLibrary(name: "CSpeexDSP", pkgConfig: "speexdsp", providers: [.apt(["libspeexdsp-dev"])]),
        // Swift: planar buffers, parameters, the built-in effects and the effect chain. No devices, no plugins.
        // RNNoise is loaded at run time (dlopen); libsamplerate takes the chain's rate to and from its 48 kHz;
        // libebur128 measures loudness.
        .target(name: "DirectPipeDSP", dependencies: ["CSpeexDSP", "CSamplerate", "CEBUR128", .product(name: "Atomics", package: "swift-atomics")]),
        // lilv (LV2 discovery and instances) and the LADSPA header.
        .systemLibrary(name: "CLilv", pkgConfig: "lilv-0", providers: [.apt(["liblilv-dev", "lv2-dev"])]),
        // The LADSPA header (a plugin is a descriptor of C function pointers, loaded with dlopen).
        .systemLibrary(name: "CLADSPA", providers: [.apt(["ladspa-sdk"])]),
        // C: the LV2 features a host gives a plugin (URID map, options, log, worker): C structs of callbacks.
        .target(name: "CDirectPipeLV2", dependencies: ["CDirectPipePluginABI"], linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("dl")]),
        // Our own declarations of the VST2, VST3 and CLAP ABIs, and the host-side C they need.
        // libX11 is loaded at run time (dlopen) for the editors' windows: its headers only at build time (libx11-dev).
        .target(name: "CDirectPipePluginABI", linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("dl")]),
        // Swift: LV2 and LADSPA plugins as chain effects, plugin scanning, chains built from their JSON.
        .target(
            name: "DirectPipePlugins", dependencies: ["DirectPipeDSP", "CLilv", "CLADSPA", "CDirectPipeLV2", "CDirectPipePluginABI"],
            linkerSettings: [.linkedLibrary("dl")]),
        // Swift: the engine (real-time processing, controls, meters), independent of devices.
        .target(
            name: "DirectPipeEngine",
            dependencies: ["DirectPipeShm", "CDirectPipeShm", "DirectPipeDSP", .product(name: "Atomics", package: "swift-atomics")]
        ),
        // C: the JACK API, with a wrapper for its variadic client_open.
        .target(name: "CDirectPipeJack", linkerSettings: [.linkedLibrary("jack")]),
        // C: the ALSA PCM API.
        .target(name: "CDirectPipeAlsa", linkerSettings: [.linkedLibrary("asound")]),
        // PipeWire's headers and library, found with pkg-config.
        .systemLibrary(name: "CPipeWire", pkgConfig: "libpipewire-0.3", providers: [.apt(["libpipewire-0.3-dev"])]),
        // C: a PipeWire node (pw_filter) that links its own ports; SPA pods and variadic calls stay in C.
        .target(name: "CDirectPipePipeWire", dependencies: ["CPipeWire"]),
        // Swift: audio backends behind one protocol: PipeWire, JACK, ALSA and the internal clock.
        .target(
            name: "DirectPipeAudio",
            dependencies: [
                "DirectPipeEngine", "DirectPipeAudioFile", "CDirectPipeRealtime", "CDirectPipeShm",
                "CDirectPipeJack", "CDirectPipeAlsa", "CDirectPipePipeWire", "CSamplerate",
            ]
        ),
        // Swift: settings (the configuration file), the actions every control source goes through, presets.
        .target(name: "DirectPipeControl", dependencies: ["DirectPipeEngine", "DirectPipeDSP", "DirectPipePlugins", "DirectPipeAudioFile"]),
        // Swift: the HTTP/WebSocket API (Hummingbird) over the actions: token, loopback Host, own Origin.
        .target(
            name: "DirectPipeAPI",
            dependencies: [
                "DirectPipeControl",
                "DirectPipeAudio",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("openapi.yaml"), .copy("panel")]
        ),
        // Swift: the host: session planning (backend choice), the running audio side and its restarts, latency.
        .target(
            name: "DirectPipeHost",
            dependencies: [
                "DirectPipeShm", "CDirectPipeShm", "DirectPipeAudioFile", "DirectPipeEngine", "DirectPipeAudio", "DirectPipeControl",
                "DirectPipeDSP", "DirectPipePlugins", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Swift: putting DirectPipe into the user's desktop: the OBS plugin's files and docks, the systemd user
        // unit, a host started in the background for the panel.
        .target(name: "DirectPipeSetup", dependencies: ["DirectPipeControl", "DirectPipeAPI"]),
        // Swift: `directpipe run` composed: the host, its control center, the API and the run loop in one ServiceGroup.
        .target(
            name: "DirectPipeApp",
            dependencies: [
                "DirectPipeHost", "DirectPipeAPI", "DirectPipeControl", "DirectPipeAudio", "DirectPipeEngine", "DirectPipeShm",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // Swift: tools to try and check a pipe without DirectPipe's engine or OBS: a paced test-signal sender, a tap.
        .target(name: "DirectPipeDiagnostics", dependencies: ["DirectPipeShm", "DirectPipeAudioFile", "DirectPipeHost"]),
        .executableTarget(
            name: "directpipe",
            dependencies: [
                "DirectPipeHost",
                "DirectPipeShm",
                "DirectPipeAudioFile",
                "DirectPipeEngine",
                "DirectPipeAudio",
                "DirectPipeControl",
                "DirectPipeAPI",
                "DirectPipeSetup",
                "DirectPipeDiagnostics",
                "DirectPipeApp",
                "DirectPipeDSP",
                "DirectPipePlugins",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "DirectPipeShmTests", dependencies: ["DirectPipeShm", "CDirectPipeShm"]),
        .testTarget(name: "DirectPipeAudioFileTests", dependencies: ["DirectPipeAudioFile"]),
        .testTarget(name: "DirectPipeEngineTests", dependencies: ["DirectPipeEngine", "DirectPipeShm", "DirectPipeAudioFile", "DirectPipeDSP"]),
        .testTarget(name: "DirectPipeDSPTests", dependencies: ["DirectPipeDSP"]),
        .testTarget(name: "DirectPipePluginsTests", dependencies: ["DirectPipePlugins", "DirectPipeDSP"]),
        .testTarget(name: "DirectPipeControlTests", dependencies: ["DirectPipeControl", "DirectPipeDSP", "DirectPipeEngine"]),
        .testTarget(name: "DirectPipeAudioTests", dependencies: ["DirectPipeAudio", "DirectPipeEngine", "DirectPipeShm"]),
        .testTarget(
            name: "DirectPipeAPITests",
            dependencies: [
                "DirectPipeAPI", "DirectPipeControl", "DirectPipeDSP", "DirectPipeEngine", "DirectPipePlugins",
                .product(name: "Logging", package: "swift-log"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "DirectPipeHostTests",
            dependencies: [
                "DirectPipeHost", "DirectPipeAudio", "DirectPipeControl", "DirectPipeDSP", "DirectPipeEngine", "DirectPipeShm",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "DirectPipeAppTests",
            dependencies: [
                "DirectPipeApp", "DirectPipeAPI", "DirectPipeControl", "DirectPipeHost", "DirectPipeShm",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "DirectPipeSetupTests", dependencies: ["DirectPipeSetup", "DirectPipeControl"]),
        .testTarget(name: "DirectPipeDiagnosticsTests", dependencies: ["DirectPipeDiagnostics", "DirectPipeShm"]),
        .testTarget(name: "DirectPipeCLITests", dependencies: ["DirectPipeShm", "DirectPipeAudioFile"]),
    ],
    swiftLanguageModes: [.v6]
)
