#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: which call, on what, and `errno`. Every system call
/// of this module goes through ``systemCall(_:_:_:)`` and fails with this.
public struct SystemError: Error, Equatable, CustomStringConvertible {
    /// The call that failed, e.g. `shm_open`.
    public var call: String
    /// What it was called on, e.g. a pipe name; may be empty.
    public var subject: String
    public var errno: Int32

    public init(call: String, subject: String = "", errno: Int32) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        return subject.isEmpty ? "\(call): \(reason)" : "\(call) \(subject): \(reason)"
    }
}

/// Runs a system call that reports failure with a negative result and
/// `errno`, retrying on `EINTR`, and turns failure into a ``SystemError``.
@discardableResult
func systemCall<Result: SignedInteger>(
    _ call: String, _ subject: String = "", _ body: () -> Result
) throws(SystemError) -> Result {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SystemError(call: call, subject: subject, errno: code)
    }
}
