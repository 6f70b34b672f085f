import DirectPipeAudio
import DirectPipeHost
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `directpipe run`'s own service beside the API: a status report each second, the chain reloaded on SIGHUP,
/// an impulse for `directpipe latency` on SIGUSR1, and the end of the run (its `--seconds`, a file played through, or the group's graceful shutdown on SIGINT
/// or SIGTERM). It sleeps between those: every needless wake-up is a context switch beside the audio thread.
struct RunService: Service {
    let host: RunHost
    let status: RunStatus
    /// When the run ends by itself (CLOCK_MONOTONIC ns), if it does.
    let endNs: UInt64?
    /// What SIGHUP does (nil: SIGHUP is left alone).
    let reload: (@Sendable () -> Void)?
    /// SIGUSR1, trapped before the pipe named this process as its writer: `directpipe latency`, on a backend with no
    /// graph to probe (the clock, a file, ALSA), asks for an impulse with it (the API's `measure_latency` asks
    /// the engine directly).
    let latencyRequests: UnixSignalsSequence
    /// How often the loop woke, for the final report.
    let wakeups: Wakeups

    final class Wakeups: Sendable {
        private let count = Atomic<Int>(0)
        var value: Int { count.load(ordering: .relaxed) }
        func add() { count.add(1, ordering: .relaxed) }
    }

    private enum Event: Sendable { case report, reload, end }

    func run() async throws {
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        let file = host.current.backend as? FileBackend
        let reloads = reload == nil ? nil : await UnixSignalsSequence(trapping: .sighup)
        await withDiscardingTaskGroup { group in
            group.addTask { await Self.tick(until: endNs, into: sink) }
            if let file {
                group.addTask {
                    await file.untilFinished()
                    sink.yield(.end)
                }
            }
            group.addTask { [latencyRequests, host] in
                for await _ in latencyRequests { host.controls.requestLatencyImpulse() }
            }
            if let reloads {
                group.addTask {
                    for await _ in reloads { sink.yield(.reload) }
                }
            }
            await withGracefulShutdownHandler {
                for await event in events {
                    wakeups.add()
                    switch event {
                    case .report: status.report(final: false)
                    case .reload: reload?()
                    case .end: return
                    }
                    host.current.engine.collectRetiredChains()
                }
            } onGracefulShutdown: {
                sink.yield(.end)
            }
            group.cancelAll()
        }
    }

    /// A report each second from now, then the end at `endNs`.
    private static func tick(until endNs: UInt64?, into sink: AsyncStream<Event>.Continuation) async {
        var next = MonotonicClock.nowNs + 1_000_000_000
        while !Task.isCancelled {
            let wake = min(next, endNs ?? .max)
            let now = MonotonicClock.nowNs
            if wake > now {
                do { try await Task.sleep(for: .nanoseconds(Int64(min(wake - now, UInt64(Int64.max))))) } catch { return }
            }
            if let endNs, MonotonicClock.nowNs >= endNs {
                sink.yield(.end)
                return
            }
            if MonotonicClock.nowNs >= next {
                next += 1_000_000_000
                sink.yield(.report)
            }
        }
    }
}
