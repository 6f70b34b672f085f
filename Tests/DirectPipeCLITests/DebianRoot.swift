import Foundation
import Testing

/// A fresh Debian 12 (`debootstrap --variant=minbase bookworm`) in a folder of the test's own, with /proc and a
/// /dev/shm of its own mounted while it lives: the machine of a user who has never seen DirectPipe.
///
/// The minbase tree is made once and kept as a tarball in `$DIRECTPIPE_TEST_CACHE` (default
/// `/var/cache/directpipe-tests`), with the packages apt downloads inside it, so only the first run on a machine
/// pays for debootstrap and the downloads. Needs root (chroot, mount).
final class DebianRoot: @unchecked Sendable {
    let path: URL
    private var mounts: [String] = []

    static var cache: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.environment["DIRECTPIPE_TEST_CACHE"] ?? "/var/cache/directpipe-tests")
    }

    /// The Debian mirror this machine's apt uses (debootstrap and the root's apt take their packages from it).
    static var mirror: String {
        let sources = (try? String(contentsOfFile: "/etc/apt/sources.list.d/debian.sources", encoding: .utf8)) ?? ""
        let uri = sources.split(separator: "\n").first { $0.hasPrefix("URIs:") }?.split(separator: " ").dropFirst().first
        return uri.map(String.init) ?? "http://deb.debian.org/debian"
    }

    /// Unpacks the cached minbase tree (making it first if there is none) and mounts what a program needs.
    init() throws {
        let cache = Self.cache
        let tarball = cache.appendingPathComponent("debian12-minbase.tar")
        try FileManager.default.createDirectory(at: cache.appendingPathComponent("archives/partial"), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: tarball.path) { try Self.makeTarball(tarball) }
        path = FileManager.default.temporaryDirectory.appendingPathComponent("dp-debian-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        try Self.host("/bin/tar", ["-C", path.path, "-xf", tarball.path])
        let resolver = path.appendingPathComponent("etc/resolv.conf")  // apt inside reaches the mirror as this machine does
        try? FileManager.default.removeItem(at: resolver)
        try FileManager.default.copyItem(atPath: "/etc/resolv.conf", toPath: resolver.path)
        try mount(["-t", "proc", "proc"], at: "proc")
        try mount(["-t", "tmpfs", "-o", "mode=1777", "shm"], at: "dev/shm")
        // apt's downloads land in the cache and are there for the next run.
        try mount(["--bind", cache.appendingPathComponent("archives").path], at: "var/cache/apt/archives")
    }

    deinit {
        for target in mounts.reversed() { _ = try? Self.host("/bin/umount", ["-l", target]) }
        // Only once nothing is mounted inside: never follow a bind mount into the cache.
        if mounts.allSatisfy({ (try? Self.host("/bin/mountpoint", ["-q", $0])) == nil }) {
            try? FileManager.default.removeItem(at: path)
        }
    }

    /// Runs `command` with /bin/sh inside the root, as root with a clean environment; its status and output
    /// (standard output and error together).
    @discardableResult
    func run(_ command: String, timeout: TimeInterval = 120) throws -> (status: Int32, output: String) {
        let process = try start(command)
        let status = process.finish(timeout: timeout)
        return (status, process.output + process.errorOutput)
    }

    /// Starts `command` inside the root and returns at once.
    func start(_ command: String) throws -> TestProcess {
        var environment = [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
            "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
        ]
        environment["DISPLAY"] = ProcessInfo.processInfo.environment["DISPLAY"]
        return try TestProcess(URL(fileURLWithPath: "/usr/sbin/chroot"), [path.path, "/bin/sh", "-c", command], environment: environment)
    }

    /// Copies a file of this machine into the root.
    func copy(_ file: URL, to relativePath: String) throws {
        let target = path.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: file, to: target)
    }

    func exists(_ pathInRoot: String) -> Bool { FileManager.default.fileExists(atPath: path.path + pathInRoot) }

    private func mount(_ arguments: [String], at relativePath: String) throws {
        let target = path.appendingPathComponent(relativePath).path
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try Self.host("/bin/mount", arguments + [target])
        mounts.append(target)
    }

    private static func makeTarball(_ tarball: URL) throws {
        let folder = tarball.deletingLastPathComponent().appendingPathComponent("minbase-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let started = Date()
        try host("/usr/sbin/debootstrap", ["--variant=minbase", "bookworm", folder.path, mirror], timeout: 1800)
        let partial = tarball.appendingPathExtension("partial")
        try host("/bin/tar", ["-C", folder.path, "-cf", partial.path, "."])
        try FileManager.default.moveItem(at: partial, to: tarball)
        print("DebianRoot: made the Debian 12 minbase tree in \(Int(Date().timeIntervalSince(started))) s (cached in \(tarball.path))")
    }

    /// Runs a program of this machine; throws with its output when it fails.
    @discardableResult
    private static func host(_ program: String, _ arguments: [String], timeout: TimeInterval = 300) throws -> String {
        let process = try TestProcess(URL(fileURLWithPath: program), arguments)
        let status = process.finish(timeout: timeout)
        guard status == 0 else {
            throw SetupFailure(
                description: "\(program) \(arguments.joined(separator: " ")): status \(status)\n\(process.output)\(process.errorOutput)")
        }
        return process.output
    }
}
