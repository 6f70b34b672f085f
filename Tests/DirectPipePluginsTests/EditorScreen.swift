import Foundation

/// A private X server (Xvfb) for the editor tests, made this process's `DISPLAY` while it lives, and what the tests
/// ask of it: windows by title and screenshots (scripts/build-native.sh's `x11_probe`), clicks and drags (xdotool).
final class EditorScreen {
    struct Window: Equatable {
        var id: UInt
        var width: Int
        var height: Int
        var mapped: Bool
        var x: Int
        var y: Int
    }

    let name: String
    private let server: Process
    private let probe = TestPlugins.native.appendingPathComponent("x11_probe").path
    /// Where screenshots are kept, as the tests' artifacts.
    static let artifacts = TestPlugins.packageRoot.appendingPathComponent("artifacts/editors")

    init() throws {
        let output = Pipe()
        server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/Xvfb")
        server.arguments = ["-displayfd", "1", "-nolisten", "tcp", "-screen", "0", "1600x1200x24"]
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        var text = ""
        while !text.hasSuffix("\n") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let number = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "Xvfb did not start"])
        }
        name = ":\(number)"
        setenv("DISPLAY", name, 1)
        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
    }

    deinit {
        unsetenv("DISPLAY")
        // SIGKILL: a child of the test process may start with SIGTERM blocked (the mask a spawning thread had).
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
    }

    /// Runs `tool` with `arguments` against this display; its standard output and exit status.
    @discardableResult
    func run(_ tool: String, _ arguments: [String]) -> (output: String, status: Int32) {
        let process = Process(), output = Pipe()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.environment = ["DISPLAY": name, "PATH": "/usr/bin:/bin"]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return ("", -1) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), process.terminationStatus)
    }

    /// The top-level window titled `title`, if there is one.
    func window(titled title: String) -> Window? {
        let (output, status) = run(probe, ["find", title])
        let fields = output.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard status == 0, fields.count == 6 else { return nil }
        return Window(id: UInt(fields[0]), width: fields[1], height: fields[2], mapped: fields[3] == 1, x: fields[4], y: fields[5])
    }

    /// Waits (up to `seconds`) until `condition` holds of the window titled `title` (nil: there is none).
    func wait(for title: String, seconds: Double = 20, until condition: (Window?) -> Bool) -> Window? {
        let deadline = Date().addingTimeInterval(seconds)
        var found = window(titled: title)
        while !condition(found), Date() < deadline {
            usleep(50_000)
            found = window(titled: title)
        }
        return found
    }

    /// What a screenshot shows: distinct colours, the luminance's spread, a hash of the pixels.
    struct Shot: Equatable {
        var distinct = 0
        var deviation = 0.0
        var checksum = ""
    }

    /// A screenshot of `window` (of the part `x`, `y`, `width`, `height` of it, if given) kept as `name`.png among the
    /// artifacts.
    func screenshot(_ window: Window, _ name: String, part: (x: Int, y: Int, width: Int, height: Int)? = nil) -> Shot {
        let path = Self.artifacts.appendingPathComponent("\(name).png").path
        var arguments = ["shot", String(window.id), path]
        if let part { arguments += [part.x, part.y, part.width, part.height].map(String.init) }
        let fields = run(probe, arguments).output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard fields.count == 3, let distinct = Int(fields[0]), let deviation = Double(fields[1]) else { return Shot() }
        return Shot(distinct: distinct, deviation: deviation, checksum: fields[2])
    }

    /// Waits (up to `seconds`) until `condition` holds; whether it does.
    func waitUntil(seconds: Double = 20, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition(), Date() < deadline { usleep(50_000) }
        return condition()
    }

    /// How many clients the X server has now (the probe's own connection among them).
    func clients() -> Int { Int(run(probe, ["clients"]).output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }

    /// Waits (up to `seconds`) for `window` to show more than a blank: the editor has drawn itself.
    func waitForDrawing(_ window: Window, _ name: String, seconds: Double = 30) -> Shot {
        let deadline = Date().addingTimeInterval(seconds)
        var shot = screenshot(window, name)
        while shot.distinct < 16, Date() < deadline {
            usleep(200_000)
            shot = screenshot(window, name)
        }
        return shot
    }

    /// Presses the left button at (`x`, `y`) in `window`, moves to (`x + dx`, `y + dy`) in steps, releases.
    func drag(_ window: Window, x: Int, y: Int, dx: Int, dy: Int) {
        let xdotool = "/usr/bin/xdotool"
        run(xdotool, ["mousemove", String(window.x + x), String(window.y + y)])
        run(xdotool, ["mousedown", "1"])
        for step in 1...8 {
            run(xdotool, ["mousemove", String(window.x + x + dx * step / 8), String(window.y + y + dy * step / 8)])
            usleep(30_000)
        }
        run(xdotool, ["mouseup", "1"])
    }
}
