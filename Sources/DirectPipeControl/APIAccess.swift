import Foundation

/// How control clients find and may use the running DirectPipe's API: a random token made at first start
/// (`api-token`, mode 0600, in the config folder; every change and every WebSocket must present it) and
/// `api.json`, naming the running host's address and process.
public struct APIAccess: Sendable, Codable, Equatable {
    public var url: String
    public var pid: Int32

    public init(url: String, pid: Int32) {
        self.url = url
        self.pid = pid
    }

    public static func tokenPath(folder: String) -> String { "\(folder)/api-token" }

    /// The web panel at `url` (the API's base address), with the token in the fragment: never sent over the
    /// network, the page keeps it and takes it out of the address bar.
    public static func panelURL(_ url: String, token: String) -> String { "\(url)/#token=\(token)" }
    public static func endpointPath(folder: String) -> String { "\(folder)/api.json" }

    /// The token, made (32 random bytes, hex) if there is none yet.
    public static func token(folder: String) throws -> String {
        let path = tokenPath(folder: folder)
        if let data = FileManager.default.contents(atPath: path),
            let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), token.count >= 32
        {
            return token
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try AtomicFile.write(Data((token + "\n").utf8), to: path, mode: 0o600, keepBackup: false)
        chmod(path, 0o600)
        return token
    }

    /// Says where the API runs, for `directpipe ctl`.
    public static func publish(_ access: APIAccess, folder: String) throws {
        try AtomicFile.write(try JSONEncoder().encode(access), to: endpointPath(folder: folder), mode: 0o600, keepBackup: false)
    }

    /// Where the running host's API is, if one said so.
    public static func find(folder: String) -> APIAccess? {
        FileManager.default.contents(atPath: endpointPath(folder: folder)).flatMap { try? JSONDecoder().decode(APIAccess.self, from: $0) }
    }
}

/// One DirectPipe host per config folder: an exclusive lock on `instance.lock`, held while the process lives.
public final class InstanceLock: Sendable {
    private let fd: Int32

    /// Takes the lock, or says which process holds it.
    public init(folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/instance.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ActionError(.conflict, "\(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &buffer, buffer.count, 0)
            let holder = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(fd)
            throw ActionError(
                .conflict, "another DirectPipe (pid \(holder)) is running with the config folder \(folder) (stop it, or start this one with --no-api)"
            )
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit { close(fd) }
}
