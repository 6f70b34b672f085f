import CDirectPipeRealtime
import Glibc
import Synchronization

/// A thread for the audio callback: asks for SCHED_FIFO and locked memory,
/// carries on with a warning when refused, flushes denormals, and (in tests
/// with the allocation counter preloaded) counts its allocations.
/// Unchecked Sendable: `report` reaches start() through the `ready` atomic (release/acquire); only start()/stop() touch `thread`.
public final class RealtimeThread: @unchecked Sendable {
    /// How the thread's set-up went, for the status line and the log.
    public struct Report: Sendable, Equatable {
        public var realtimeScheduling: Bool
        public var memoryLocked: Bool
        /// Human-readable warnings for what was refused.
        public var warnings: [String]
    }

    /// SCHED_FIFO priority: above desktop work, below JACK's own threads (JACK uses ~70–80 by default).
    public static let priority: Int32 = 60
    /// Callbacks before counting allocations: one-time set-up (e.g. runtime metadata) happens first.
    public static let allocationWarmupIterations = 64

    private let body: @Sendable (RealtimeThread) -> Void
    /// False for work that is not paced by a device (offline processing): it keeps normal scheduling.
    private let realtime: Bool
    private var thread: pthread_t?
    private let running = Atomic<Bool>(false)
    private let ready = Atomic<Int>(0)
    private let allocations = Atomic<Int64>(-1)
    private var report = Report(realtimeScheduling: false, memoryLocked: false, warnings: [])
    /// Read once, before counting starts (a Swift string to C allocates).
    private let probeSelfTest = getenv("DIRECTPIPE_ALLOCATION_PROBE_SELF_TEST") != nil

    /// Runs on the thread after `body` returned and allocation counting ended: what may lock or allocate.
    private let whenDone: (@Sendable () -> Void)?

    /// `body` runs on the new thread until ``isRunning`` turns false; then `whenDone`, uncounted.
    public init(realtime: Bool = true, body: @escaping @Sendable (RealtimeThread) -> Void, whenDone: (@Sendable () -> Void)? = nil) {
        self.realtime = realtime
        self.body = body
        self.whenDone = whenDone
    }

    public var isRunning: Bool { running.load(ordering: .relaxed) }

    /// Audio-thread allocations counted after warm-up, if the counter library is preloaded.
    public var countedAllocations: Int64? {
        let value = allocations.load(ordering: .acquiring)
        return value >= 0 ? value : nil
    }

    /// Starts the thread and returns once it has set itself up.
    public func start() throws(BackendError) -> Report {
        running.store(true, ordering: .relaxed)
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(
            &handle, nil,
            { context in
                let thread = Unmanaged<RealtimeThread>.fromOpaque(context!).takeRetainedValue()
                thread.run()
                return nil
            }, context)
        guard result == 0 else {
            Unmanaged<RealtimeThread>.fromOpaque(context).release()
            running.store(false, ordering: .relaxed)
            throw .threadFailed(result)
        }
        thread = handle
        while ready.load(ordering: .acquiring) == 0 { usleep(100) }
        return report
    }

    /// Asks the body to finish and joins the thread.
    public func stop() {
        running.store(false, ordering: .relaxed)
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    /// Called by the body after each callback: starts allocation counting after warm-up.
    public func noteCallback(_ iteration: Int) {
        guard iteration == Self.allocationWarmupIterations, dp_alloc_probe_present() != 0 else { return }
        dp_alloc_probe_begin()
        // The probe's self-test (tests set it): one Swift allocation here must be counted,
        // or a count of 0 would prove nothing.
        if probeSelfTest {
            withExtendedLifetime([Int](repeating: iteration, count: 64)) {}
        }
    }

    private func run() {
        var warnings: [String] = []
        let scheduling = realtime ? dp_rt_make_realtime(Self.priority) : -1
        if scheduling > 0 {
            warnings.append(
                "real-time scheduling refused (\(String(cString: strerror(scheduling)))): expect xruns under load; see the README on rtprio")
        }
        let locking = realtime ? dp_rt_lock_memory() : -1
        if locking > 0 {
            warnings.append("memory locking refused (\(String(cString: strerror(locking)))): page faults may cause xruns")
        }
        dp_rt_flush_denormals()
        report = Report(realtimeScheduling: scheduling == 0, memoryLocked: locking == 0, warnings: warnings)
        ready.store(1, ordering: .releasing)

        body(self)

        if dp_alloc_probe_present() != 0 { allocations.store(Int64(dp_alloc_probe_end()), ordering: .releasing) }
        whenDone?()
    }
}
