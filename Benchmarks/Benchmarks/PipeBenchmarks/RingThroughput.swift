import Benchmark
import CBenchmarkAnchors
import CDirectPipeShm
import CJack
import DirectPipeShm
import Foundation

private let blockFrames = 128
private let channels = 2
private let blocksPerPass = 4000

private let pipeVersusCRing = figure("pipe ÷ C ring throughput (%)", prefersLarger: true)
private let pipeVersusJack = figure("pipe ÷ jack_ringbuffer throughput (%)", prefersLarger: true)
private let pipeNs = figure("pipe ns per block (write + read)")
private let cRingNs = figure("C ring ns per block (write + read)")
private let jackNs = figure("jack_ringbuffer ns per block (write + read)")

/// Ring throughput, writer then reader, 128-frame stereo blocks, one thread:
/// our Swift writer and reader against a plain C ring with the same layout
/// and against JACK's jack_ringbuffer. Target: ≥ 100 %.
func registerRingThroughput() {
    Benchmark(
        "Ring throughput, 128-frame stereo blocks",
        configuration: .init(
            metrics: [pipeVersusCRing, pipeVersusJack, pipeNs, cRingNs, jackNs],
            warmupIterations: 3, maxDuration: .seconds(10), maxIterations: 40)
    ) { benchmark in
        let block = (0..<(blockFrames * channels)).map { Float($0) / 1000 }
        var output = [Float](repeating: 0, count: blockFrames * channels)

        // Ours: the Swift writer and the Swift reader (the C reader library underneath).
        let name = try! PipeName("bench-\(getpid())")
        defer { try? PipeWriter.remove(name) }
        let writer = try! PipeWriter(name: name, format: PipeFormat())
        let reader = try! PipeReader(name: name)
        // The anchor ring, in ordinary memory.
        let ringBytes = Int(dp_segment_size(4096, UInt32(channels)))
        let ringMemory = UnsafeMutableRawPointer.allocate(byteCount: ringBytes, alignment: 64)
        defer { ringMemory.deallocate() }
        let ring = ringMemory.assumingMemoryBound(to: dp_header.self)
        anchor_ring_init(ring, 4096, UInt32(channels))
        var ringPosition: UInt64 = 0
        let jack = jack_ringbuffer_create(4096 * channels * 4)!
        defer { jack_ringbuffer_free(jack) }
        let blockBytes = blockFrames * channels * 4

        func timePass(_ body: () -> Void) -> UInt64 {
            let start = dp_monotonic_ns()
            body()
            return dp_monotonic_ns() - start
        }

        block.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                benchmark.startMeasurement()
                let cRing = timePass {
                    for _ in 0..<blocksPerPass {
                        anchor_ring_write(ring, source.baseAddress, UInt32(blockFrames))
                        blackHole(anchor_ring_read(ring, &ringPosition, destination.baseAddress, UInt32(blockFrames)))
                    }
                }
                let jackRing = timePass {
                    for _ in 0..<blocksPerPass {
                        jack_ringbuffer_write(jack, UnsafeRawPointer(source.baseAddress!).assumingMemoryBound(to: CChar.self), blockBytes)
                        blackHole(
                            jack_ringbuffer_read(
                                jack, UnsafeMutableRawPointer(destination.baseAddress!).assumingMemoryBound(to: CChar.self), blockBytes))
                    }
                }
                // A backend hands the writer its capture time; reading the clock is not the pipe's cost.
                let captureTimeNs = dp_monotonic_ns()
                let pipe = timePass {
                    for _ in 0..<blocksPerPass {
                        writer.write(source, captureTimeNs: captureTimeNs)
                        blackHole(reader.read(into: destination)?.frames)
                    }
                }
                benchmark.stopMeasurement()
                benchmark.measurement(pipeVersusCRing, Int(cRing * 100 / pipe))
                benchmark.measurement(pipeVersusJack, Int(jackRing * 100 / pipe))
                benchmark.measurement(pipeNs, Int(pipe) / blocksPerPass)
                benchmark.measurement(cRingNs, Int(cRing) / blocksPerPass)
                benchmark.measurement(jackNs, Int(jackRing) / blocksPerPass)
            }
        }
    }
}
