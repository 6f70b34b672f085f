import Foundation

/// Writing a user's file without ever damaging it: the new contents go to a
/// temporary file in the same folder, are flushed to disk (fsync), and are
/// renamed over the old file, whose previous contents are kept as `NAME.bak`.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644, keepBackup: Bool = true) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = "\(folder)/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("cannot create \(temporary)") }
        var written = 0
        let ok = data.withUnsafeBytes { bytes -> Bool in
            while written < bytes.count {
                let count = Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written)
                if count < 0 { if errno == EINTR { continue } else { return false } }
                written += count
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok else {
            unlink(temporary)
            throw failure("cannot write \(temporary)")
        }
        if keepBackup, FileManager.default.fileExists(atPath: path) {
            let backup = path + ".bak"
            unlink(backup)
            if link(path, backup) != 0 { _ = try? FileManager.default.copyItem(atPath: path, toPath: backup) }
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw failure("cannot move the new file into place")
        }
        let directory = open(folder, O_RDONLY | O_DIRECTORY)  // the rename itself made durable
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    private static func failure(_ what: String) -> NSError {
        NSError(domain: "DirectPipe", code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "\(what): \(String(cString: strerror(errno)))"])
    }
}
