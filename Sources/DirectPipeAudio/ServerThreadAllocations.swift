import CDirectPipeRealtime
import Foundation
import Synchronization

/// Counts allocations on an audio thread a sound server owns (JACK's process
/// thread, PipeWire's data thread), when the counter library is preloaded
/// (tests). The counter is per thread, so the callback itself begins counting
/// after warm-up and reads its own count when the control side asks.
final class ServerThreadAllocations: @unchecked Sendable {
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
        if iteration == RealtimeThread.allocationWarmupIterations, dp_alloc_probe_present() != 0 { dp_alloc_probe_begin() }
        if iteration > RealtimeThread.allocationWarmupIterations, finishRequested.load(ordering: .acquiring),
           count.load(ordering: .relaxed) < 0 {
            count.store(Int64(dp_alloc_probe_end()), ordering: .releasing)
        }
    }

    /// Off the audio thread, while callbacks still run: asks the audio thread for its count
    /// and waits up to a second for it.
    func finish() {
        guard dp_alloc_probe_present() != 0 else { return }
        finishRequested.store(true, ordering: .releasing)
        let deadline = Date().addingTimeInterval(1)
        while count.load(ordering: .acquiring) < 0, Date() < deadline { usleep(1000) }
    }
}
