import ArgumentParser
import DirectPipeDiagnostics
import DirectPipeShm
import Foundation

/// `directpipe send`: a real-time paced pipe writer, so the pipe can be used
/// and tested without an audio device.
struct SendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Write a generated signal into a pipe, paced in real time.",
        discussion: """
            'counter' writes, for pipe position p and channel c, (p*channels + c) mod 2^23 / 2^23: \
            a reader can check every sample's position ('directpipe tap --verify-counter').
            """
    )

    @Option(help: "Pipe name: /DirectPipeAudio, /DirectPipeAudio-NAME, or just NAME.")
    var pipe: String = PipeName.standard.rawValue

    @Option(help: "Sample rate in Hz (8000-384000).")
    var rate: UInt32 = 48000

    @Option(help: "Interleaved channels (1-8).")
    var channels: UInt32 = 2

    @Option(help: "Frames per block, like an audio callback's period.")
    var block: Int = 128

    @Option(help: "Ring capacity in frames (power of two, 1024-65536).")
    var capacity: UInt32 = 4096

    @Option(help: "Stop after this many seconds (default: until Ctrl-C).")
    var seconds: Double?

    @Option(help: "tone:HZ, counter or silence.")
    var signal: TestSignal = .tone(hertz: 440)

    func validate() throws {
        guard block >= 1, block <= 65536 else { throw ValidationError("--block must be 1-65536 frames") }
        if let seconds, !(seconds > 0 && seconds.isFinite) { throw ValidationError("--seconds must be a positive number") }
    }

    func run() throws {
        let name = try PipeName(pipe)
        let format = try PipeFormat(sampleRate: rate, channels: channels, capacityFrames: capacity)
        let writer = try PipeWriter(name: name, format: format)
        StopRequest.installHandlers()
        printError("directpipe send: \(signal) to \(name) (\(format)), blocks of \(block) frames; Ctrl-C stops")

        let sent = PipeSender(writer: writer, signal: signal, blockFrames: block)
            .run(frames: seconds.map { UInt64($0 * Double(rate)) }) { StopRequest.isRequested }
        writer.stop()
        printError("directpipe send: stopped after \(sent) frames (\(String(format: "%.2f", Double(sent) / Double(rate))) s)")
    }
}

extension TestSignal: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
