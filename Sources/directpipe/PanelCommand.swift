import ArgumentParser
import DirectPipeAPI
import DirectPipeSetup
import Foundation

/// `directpipe panel`: the web panel in the browser, with DirectPipe started first when none runs. The
/// desktop entry's command, so clicking "DirectPipe" in a menu always ends in a working panel.
struct PanelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "panel",
        abstract: "Open the web panel, starting DirectPipe first if it is not running.",
        discussion: """
            A DirectPipe that is not running is started through its systemd user unit when one is installed, \
            else as `directpipe run --quiet` in the background (output in \(BackgroundHost.logPath())), with the \
            options after --.
            """)

    @Flag(help: "Print the panel's address instead of opening it in a browser.") var noBrowser = false
    @Option(help: "How long to wait for a DirectPipe it starts to serve the panel, in seconds.") var wait: Double = 20
    @Argument(parsing: .postTerminator, help: "Options for `directpipe run` when it starts one, after --.") var options: [String] = []

    func run() async throws {
        let client: APIClient
        if let running = try? APIClient.running() {
            client = running
        } else {
            do {
                client = try await BackgroundHost(executable: CommandLine.executablePath, options: options, wait: .milliseconds(Int(wait * 1000)))
                    .start()
            } catch {
                printError("directpipe panel: \(error)")
                throw ExitCode.failure
            }
        }
        if noBrowser {
            print(client.panelURL)
            return
        }
        let opened = (try? BackgroundHost.spawn(["/usr/bin/env", "xdg-open", client.panelURL], output: "/dev/null")) == 0
        if !opened { print("open \(client.panelURL) in your browser (xdg-open could not)") }
    }
}
