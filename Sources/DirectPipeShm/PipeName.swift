import CDirectPipeShm

/// The name of a pipe's shared-memory object: `/DirectPipeAudio`, or
/// `/DirectPipeAudio-<name>` with `<name>` of 1–32 characters `[a-z0-9_-]`.
public struct PipeName: Sendable, Hashable, CustomStringConvertible {
    /// The full object name, starting with `/`.
    public let rawValue: String

    /// The pipe OBS reads by default.
    public static let standard = PipeName(validated: DP_DEFAULT_PIPE_NAME)

    /// Accepts a full name (`/DirectPipeAudio-voice`) or just the suffix
    /// (`voice`) for convenience on the command line.
    public init(_ text: String) throws(PipeError) {
        let full = text.hasPrefix("/") ? text : "\(DP_DEFAULT_PIPE_NAME)-\(text)"
        guard dp_pipe_name_is_valid(full) != 0 else { throw .badName(text) }
        rawValue = full
    }

    private init(validated: String) { rawValue = validated }

    public var description: String { rawValue }
}
