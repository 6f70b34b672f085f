import Benchmark
import CDirectPipeShm
import DirectPipeShm
import Foundation

/// Allocations in the writer's real-time path (PipeWriter.write) and in the
/// reader's read path. Target: 0 (the writer is also checked at compile time
/// with @_noAllocation).
func registerWriterAllocations() {
    let name = try! PipeName("alloc-\(getpid())")
    let block = [Float](repeating: 0.25, count: 128 * 2)
    var output = [Float](repeating: 0, count: 128 * 2)

    Benchmark(
        "Writer path allocations (128-frame stereo block)",
        configuration: .init(metrics: [.mallocCountTotal, .wallClock], scalingFactor: .kilo, maxIterations: 1000)
    ) { benchmark in
        let writer = try! PipeWriter(name: name, format: PipeFormat())
        defer { try? PipeWriter.remove(name) }
        block.withUnsafeBufferPointer { source in
            let now = dp_monotonic_ns()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                writer.write(source, captureTimeNs: now)
            }
            benchmark.stopMeasurement()
        }
    }

    Benchmark(
        "Reader path allocations (128-frame stereo block)",
        configuration: .init(metrics: [.mallocCountTotal, .wallClock], scalingFactor: .kilo, maxIterations: 1000)
    ) { benchmark in
        let writer = try! PipeWriter(name: name, format: PipeFormat())
        defer { try? PipeWriter.remove(name) }
        let reader = try! PipeReader(name: name)
        block.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    writer.write(source, captureTimeNs: dp_monotonic_ns())
                    blackHole(reader.read(into: destination)?.frames)
                }
                benchmark.stopMeasurement()
            }
        }
    }
}
