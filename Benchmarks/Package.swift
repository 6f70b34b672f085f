// swift-tools-version: 6.1
// DirectPipe's benchmarks, in a package of their own (as swift-nio does) so
// the main build and CI stay fast. Run: scripts/bench.sh
import PackageDescription

let package = Package(
    name: "DirectPipeBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "DirectPipe", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // Anchors measured in the same run: a plain C ring with the pipe's layout, a raw futex wake.
        .target(name: "CBenchmarkAnchors", dependencies: [.product(name: "CDirectPipeShm", package: "DirectPipe")]),
        .systemLibrary(name: "CJack", pkgConfig: "jack", providers: [.apt(["libjack-jackd2-dev"])]),
        .executableTarget(
            name: "PipeBenchmarks",
            dependencies: [
                "CBenchmarkAnchors", "CJack",
                .product(name: "DirectPipeShm", package: "DirectPipe"),
                .product(name: "DirectPipeEngine", package: "DirectPipe"),
                .product(name: "DirectPipeDSP", package: "DirectPipe"),
                .product(name: "DirectPipePlugins", package: "DirectPipe"),
                .product(name: "CDirectPipeShm", package: "DirectPipe"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/PipeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
