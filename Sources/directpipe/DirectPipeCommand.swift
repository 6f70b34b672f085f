import ArgumentParser
import DirectPipeControl

@main
struct DirectPipeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directpipe",
        abstract: "A low-latency microphone processor: one microphone to OBS, a virtual mic and your headphones.",
        version: DirectPipeVersion.string,
        subcommands: [
            RunCommand.self, ControlCommand.self, DevicesCommand.self, LatencyCommand.self, ProcessCommand.self, PluginsCommand.self,
            SendCommand.self,
            TapCommand.self, OBSCommand.self, ServiceCommand.self, PanelCommand.self,
        ]
    )
}
