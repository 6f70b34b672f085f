import DirectPipeAudioFile
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The Debian packages `scripts/package.sh` builds (scripts/test.sh builds them before the Swift tests), installed
/// with apt into a fresh Debian 12 as a user would, their dependencies from Debian: the program, the C reader
/// library through pkg-config, the man page, the OBS source in libobs, and a purge that leaves nothing behind.
@Suite(.serialized, .enabled(if: getuid() == 0 && BuiltPackages.found != nil, "needs root and scripts/package.sh's packages"))
struct DebianPackageTests {
    @Test func thePackagesInstallIntoAFreshDebian12AndEverythingInThemWorks() throws {
        let (program, obs) = try #require(BuiltPackages.found)
        let root = try DebianRoot()
        try root.copy(program, to: "tmp/debs/\(program.lastPathComponent)")
        try root.copy(obs, to: "tmp/debs/\(obs.lastPathComponent)")
        try root.copy(Programs.packageRoot.appendingPathComponent("Tests/Native/packaged_reader.c"), to: "tmp/packaged_reader.c")
        try root.copy(Programs.nativeDirectory.appendingPathComponent("obs-host"), to: "usr/local/bin/obs-host")

        let update = try root.run("apt-get update -q", timeout: 600)
        try #require(update.status == 0, "\(update.output)")
        // The packages and what the test itself uses there: a C compiler, pkg-config, man.
        let install = try root.run(
            "cd /tmp/debs && apt-get install -y -q ./\(program.lastPathComponent) ./\(obs.lastPathComponent) gcc libc6-dev pkg-config man-db",
            timeout: 1800)
        try #require(install.status == 0, "\(install.output.suffix(4000))")

        let version = try root.run("directpipe --version")
        #expect(
            version.status == 0 && version.output.trimmingCharacters(in: .whitespacesAndNewlines) == BuiltPackages.version(of: program),
            "\(version.output)")

        // A program of someone else's, built against the installed header and library through pkg-config.
        let compile = try root.run("cc -Wall -Werror -o /tmp/packaged-reader /tmp/packaged_reader.c $(pkg-config --cflags --libs directpipe-reader)")
        try #require(compile.status == 0, "\(compile.output)")

        // The engine on the internal clock writes the pipe while that program reads it; the panel is served from
        // the files the package put in /usr/share/directpipe.
        let pipe = "/DirectPipeAudio-debian"
        let reader = try root.start("/tmp/packaged-reader \(pipe) 8")
        let run = try root.start("directpipe run --backend clock --seconds 3 --json --pipe \(pipe)")
        var panel: String?
        let deadline = Date().addingTimeInterval(20)
        while panel == nil, run.process.isRunning, Date() < deadline {
            panel = run.errorOutput.split(separator: "\n").first { $0.contains("panel http://") }.map { String($0.split(separator: " ").last!) }
            usleep(50_000)
        }
        let address = try #require(panel, "the run printed its panel's address: \(run.errorOutput)")
        let page = try fetch(address.components(separatedBy: "#")[0])  // the token rides in the fragment, for the page's script
        #expect(page.status == 200 && page.body.contains("<html"), "the panel's page: \(page.status) \(page.body.prefix(300))")
        #expect(run.finish(timeout: 30) == 0, "a clean exit: \(run.errorOutput)")
        #expect(reader.finish(timeout: 30) == 0, "\(reader.errorOutput)")
        let read = try #require(reader.jsonLines.last, "\(reader.output)\(reader.errorOutput)")
        #expect((read.int("frames") ?? 0) > 0 && read.int("rate") == 48000 && read.int("channels") == 2, "the reader read the pipe: \(read)")

        // DeepFilterNet and RNNoise from the package's own copies (this fresh root has no other): the voice chain
        // takes DeepFilterNet, no warning; RNNoise loads as an effect of its own.
        let tone = FileManager.default.temporaryDirectory.appendingPathComponent("dp-debian-tone-\(UUID().uuidString).wav")
        defer { try? FileManager.default.removeItem(at: tone) }
        let writer = try AudioFileWriter(path: tone.path, sampleRate: 48000, channels: 1)
        try (0..<48000).map { 0.2 * Float(sin(Double($0) * 0.04)) }.withUnsafeBufferPointer { try writer.write($0) }
        try writer.finish()
        try root.copy(tone, to: "tmp/tone.wav")
        let voice = try root.run("directpipe process --chain voice /tmp/tone.wav /tmp/voice.wav 2>&1")
        #expect(voice.status == 0 && !voice.output.contains("warning") && voice.output.contains("deepfilter"), "\(voice.output)")
        let rnnoise = try root.run("directpipe process --effect rnnoise /tmp/tone.wav /tmp/rnnoise.wav 2>&1")
        #expect(rnnoise.status == 0, "\(rnnoise.output)")

        let manual = try root.run("MANPAGER=cat MANWIDTH=100 man directpipe")
        #expect(manual.status == 0 && manual.output.contains("DIRECTPIPE") && manual.output.contains("panel"), "\(manual.output.prefix(2000))")
        for file in [
            "/usr/share/bash-completion/completions/directpipe", "/usr/share/zsh/vendor-completions/_directpipe",
            "/usr/share/fish/vendor_completions.d/directpipe.fish", "/usr/share/applications/directpipe.desktop",
            "/usr/share/icons/hicolor/scalable/apps/directpipe.svg", "/usr/lib/systemd/user/directpipe.service",
        ] {
            #expect(root.exists(file), "\(file) is installed")
        }
        let unit = try root.run("cat /usr/lib/systemd/user/directpipe.service")
        #expect(unit.output.contains("ExecStart=/usr/bin/directpipe run --api"), "\(unit.output)")

        // The OBS source: where Debian's OBS loads system plugins, loaded by libobs, reading a live pipe.
        let status = try root.run("directpipe obs status")
        #expect(status.output.contains("system: installed at /usr/lib/x86_64-linux-gnu/obs-plugins/directpipe-obs.so"), "\(status.output)")
        let display = try XvfbDisplay()
        let sender = try root.start("directpipe send --pipe \(pipe) --signal counter --seconds 30")
        let host = try root.run(
            "DISPLAY=\(display.name) obs-host --plugin /usr/lib/x86_64-linux-gnu/obs-plugins/directpipe-obs.so "
                + "--data /usr/share/obs/obs-plugins/directpipe-obs --pipe \(pipe) --seconds 3", timeout: 60)
        sender.signal(SIGTERM)
        sender.finish()
        let heard = try #require(
            host.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .last { $0.string("event") == "final" }, "\(host.output.suffix(3000))")
        #expect((heard.int("frames") ?? 0) > 0 && heard.int("counter_errors") == 0, "libobs heard the pipe through the packaged source: \(heard)")

        // A purge leaves no file of ours.
        let listed = try root.run("dpkg -L directpipe obs-directpipe")
        let files = listed.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("/") }
        #expect(files.count > 10, "\(listed.output)")
        let purge = try root.run("apt-get remove --purge -y -q directpipe obs-directpipe", timeout: 300)
        #expect(purge.status == 0, "\(purge.output)")
        let left = files.filter { file in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: root.path.path + file, isDirectory: &isFolder) && !isFolder.boolValue
        }
        #expect(left.isEmpty, "files left after the purge: \(left)")
        print(
            "Debian package: the packaged reader read \(read.int("frames") ?? 0) frames, libobs heard \(heard.int("frames") ?? 0) "
                + "through the packaged source, \(files.count) paths purged")
        for folder in ["/usr/share/directpipe", "/usr/include/directpipe", "/usr/share/obs/obs-plugins/directpipe-obs", "/usr/share/doc/directpipe"] {
            #expect(!root.exists(folder), "\(folder) is gone")
        }
    }

    @Test func lintianFindsNothingUnexplained() throws {
        let (program, obs) = try #require(BuiltPackages.found)
        let lintian = try TestProcess(URL(fileURLWithPath: "/usr/bin/lintian"), ["--no-tag-display-limit", program.path, obs.path])
        let status = lintian.finish(timeout: 600)
        let report = lintian.output + lintian.errorOutput
        print("lintian:\n\(report)")
        let findings = report.split(separator: "\n").filter { $0.hasPrefix("E:") || $0.hasPrefix("W:") }
        #expect(status == 0 && findings.isEmpty, "lintian's errors and warnings: \(findings)")
    }

    /// GET `address` from this machine (the root shares its network).
    private func fetch(_ address: String) throws -> (status: Int, body: String) {
        let url = try #require(URL(string: address))
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, String) = (0, "")
        URLSession.shared.dataTask(with: url) { data, response, error in
            result = (
                (response as? HTTPURLResponse)?.statusCode ?? 0, data.map { String(decoding: $0, as: UTF8.self) } ?? "\(error.map { "\($0)" } ?? "")"
            )
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 20)
        return result
    }
}

/// The two packages of the last `scripts/package.sh` (.build/packages, or $DIRECTPIPE_PACKAGES).
enum BuiltPackages {
    static var found: (program: URL, obs: URL)? {
        let folder = URL(
            fileURLWithPath: ProcessInfo.processInfo.environment["DIRECTPIPE_PACKAGES"]
                ?? Programs.packageRoot.appendingPathComponent(".build/packages").path)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        guard let program = names.first(where: { $0.hasPrefix("directpipe_") && $0.hasSuffix(".deb") }),
            let obs = names.first(where: { $0.hasPrefix("obs-directpipe_") && $0.hasSuffix(".deb") })
        else { return nil }
        return (folder.appendingPathComponent(program), folder.appendingPathComponent(obs))
    }

    /// The version in a package's file name (`directpipe_0.1.0_amd64.deb`).
    static func version(of package: URL) -> String { String(package.lastPathComponent.split(separator: "_")[1]) }
}
