import CDirectPipeRealtime
import Foundation
import Synchronization

/// Counts allocations on an audio thread a sound server owns (JACK's process
/// thread, PipeWire's data thread), when the counter library is preloaded
/// (tests). The counter is per thread, so the callback itself begins counting
/// after warm-up and reads its own count when the control side asks.
/// Exists only when the counter is there (``whenCounting()``): in a real run the callback does not touch it.
/// Unchecked Sendable: `iteration` is touched only by the server's audio thread; the finish request and the count are Atomics.
final class ServerThreadAllocations: @unchecked Sendable {
    /// A counter when the counting library is preloaded, else nil.
    static func whenCounting() -> ServerThreadAllocations? {
        dp_alloc_probe_present() != 0 ? ServerThreadAllocations() : nil
    }

    private init() {}

    /// Only the audio thread touches this.
    private var iteration = 0
    private let finishRequested = Atomic<Bool>(false)
    private let count = Atomic<Int64>(-1)

    /// The count, once the audio thread has read it (after ``finish()``).
    var value: Int64? {
        let value = count.load(ordering: .acquiring)
        return value >= 0 ? value : nil
    }

    /// On the audio thread, once per callback.
    func noteCallback() {
        iteration += 1
        if iteration == RealtimeThread.allocationWarmupIterations { dp_alloc_probe_begin() }
        if iteration > RealtimeThread.allocationWarmupIterations, finishRequested.load(ordering: .acquiring),
            count.load(ordering: .relaxed) < 0
        {
            count.store(Int64(dp_alloc_probe_end()), ordering: .releasing)
        }
    }

    /// Off the audio thread, while callbacks still run: asks the audio thread for its count
    /// and waits up to a second for it.
    func finish() {
        finishRequested.store(true, ordering: .releasing)
        let deadline = Date().addingTimeInterval(1)
        while count.load(ordering: .acquiring) < 0, Date() < deadline { usleep(1000) }
    }
}
