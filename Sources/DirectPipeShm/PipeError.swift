import CDirectPipeShm

/// Why a pipe could not be opened, created or read. Each case prints as one
/// line that names the problem.
public enum PipeError: Error, Equatable, CustomStringConvertible {
    case badName(String)
    case notFound(PipeName)
    case permissionDenied(PipeName)
    /// The object is smaller than its header or its format needs.
    case shortSegment(PipeName)
    /// The object is not a DirectPipe segment (wrong magic).
    case notDirectPipe(PipeName)
    case unsupportedVersion(PipeName)
    case unsupportedHeaderSize(PipeName)
    case badFormat(String)
    /// Another live process is writing this pipe.
    case busy(PipeName, writerPID: Int32)
    case system(SystemError)
    case outOfMemory

    /// Maps the C library's error for `name`.
    init(_ error: dp_error, name: PipeName) {
        switch error {
        case DP_ERR_BAD_NAME: self = .badName(name.rawValue)
        case DP_ERR_NOT_FOUND: self = .notFound(name)
        case DP_ERR_PERMISSION: self = .permissionDenied(name)
        case DP_ERR_SHORT_SEGMENT: self = .shortSegment(name)
        case DP_ERR_BAD_MAGIC: self = .notDirectPipe(name)
        case DP_ERR_BAD_VERSION: self = .unsupportedVersion(name)
        case DP_ERR_BAD_HEADER_SIZE: self = .unsupportedHeaderSize(name)
        case DP_ERR_BAD_FORMAT: self = .badFormat("pipe \(name) declares a sample rate, channel count or capacity out of range")
        case DP_ERR_NO_MEMORY: self = .outOfMemory
        default: self = .system(SystemError(call: "open", subject: name.rawValue, errno: 0))
        }
    }

    public var description: String {
        switch self {
        case .badName(let text):
            "bad pipe name '\(text)': expected /DirectPipeAudio or /DirectPipeAudio-NAME (NAME: 1–32 of a-z 0-9 _ -)"
        case .notFound(let name): "no such pipe \(name) (is DirectPipe running?)"
        case .permissionDenied(let name): "permission denied on pipe \(name) (it belongs to another user)"
        case .shortSegment(let name): "pipe \(name) is smaller than its header or format requires"
        case .notDirectPipe(let name): "\(name) is not a DirectPipe segment (wrong magic)"
        case .unsupportedVersion(let name): "pipe \(name) uses an unsupported protocol version (this program speaks version \(DP_PROTOCOL_VERSION))"
        case .unsupportedHeaderSize(let name): "pipe \(name) has an unsupported header size (expected \(DP_HEADER_BYTES))"
        case .badFormat(let detail): "bad format: \(detail)"
        case .busy(let name, let pid) where pid > 0: "pipe \(name) is already being written by process \(pid)"
        case .busy(let name, _): "pipe \(name) is being taken by another writer that is starting"
        case .system(let error): error.description
        case .outOfMemory: "out of memory"
        }
    }
}
