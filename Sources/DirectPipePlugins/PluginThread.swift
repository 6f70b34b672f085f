import CDirectPipePluginABI
import Foundation

/// The one thread that makes every non-audio call into plugins of the formats that care (VST2, VST3, CLAP) and
/// runs every plugin editor, of every format: creating, describing, activating, state, resetting and destroying
/// plugins; opening, idling and closing their editors, serving the file descriptors and timers the editors
/// register, and the X11 connection of the editors' windows. These formats expect such calls from one thread
/// (CLAP and VST3 name it the main thread; CLAP plugins check it through the host's thread-check), and DPF-built
/// plugins keep process-wide variables while an instance is made, so two made at once on two threads can mix
/// them up. The audio thread never calls here and never waits for it.
///
/// Callers of ``run(_:)`` block until their call is done; a call made from this thread runs at once. Between
/// calls the thread waits in `poll` for: a call (an eventfd), the descriptors watched (``watch(_:events:_:)``),
/// the next timer (``addTimer(every:_:)``), and ten times a second runs the idle tasks plugins registered (a CLAP
/// plugin's main-thread callback, when it asked for one).
/// Unchecked Sendable: `job`, `done` and `idleTasks` are guarded by `mutex`; one caller at a time (`callers`);
/// `timers` and `watched` are touched on this thread only.
final class PluginThread: @unchecked Sendable {
    static let shared = PluginThread()

    private let callers = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let wakeFD: Int32
    private var job: (() -> Void)?
    private var done = false
    private var idleTasks: [ObjectIdentifier: () -> Void] = [:]
    private var thread = pthread_t()

    private struct Timer {
        var period: UInt64  // nanoseconds
        var due: UInt64
        var action: () -> Void
    }
    private struct Watch {
        var fd: Int32
        var events: Int16
        var action: (Int16) -> Void
    }
    private var timers: [Int: Timer] = [:]
    private var watched: [Int: Watch] = [:]
    private var nextID = 1
    private var nextIdle: UInt64 = 0

    private init() {
        pthread_mutex_init(callers, nil)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(finished, nil)
        wakeFD = dp_plugin_thread_make_wake_fd()
        precondition(wakeFD >= 0, "cannot make the plugin thread's eventfd")
        let started = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<PluginThread>.fromOpaque(context!).takeUnretainedValue().serve()
                return nil
            }, Unmanaged.passUnretained(self).toOpaque())
        precondition(started == 0, "cannot start the plugin thread")
    }

    /// True on the plugin thread.
    var isCurrent: Bool { pthread_equal(pthread_self(), thread) != 0 }

    /// Runs `body` on the plugin thread and returns what it returns (or throws what it throws).
    func run<T, Failure: Error>(_ body: () throws(Failure) -> T) throws(Failure) -> T {
        if isCurrent { return try body() }
        var result: Result<T, Failure>?
        withoutActuallyEscaping(body) { body in
            pthread_mutex_lock(callers)
            defer { pthread_mutex_unlock(callers) }
            pthread_mutex_lock(mutex)
            job = {
                do throws(Failure) { result = .success(try body()) } catch { result = .failure(error) }
            }
            done = false
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
            while !done { pthread_cond_wait(finished, mutex) }
            job = nil
            pthread_mutex_unlock(mutex)
        }
        return try result!.get()
    }

    /// Runs `task` on the plugin thread between calls, about every 100 ms, until `owner` removes it.
    func addIdleTask(for owner: AnyObject, _ task: @escaping () -> Void) {
        pthread_mutex_lock(mutex)
        idleTasks[ObjectIdentifier(owner)] = task
        pthread_mutex_unlock(mutex)
    }

    func removeIdleTask(for owner: AnyObject) {
        pthread_mutex_lock(mutex)
        idleTasks[ObjectIdentifier(owner)] = nil
        pthread_mutex_unlock(mutex)
    }

    /// Runs `action` every `milliseconds` (at least 1) until ``remove(_:)`` is given what this returns.
    /// On the plugin thread only.
    func addTimer(every milliseconds: Int, _ action: @escaping () -> Void) -> Int {
        precondition(isCurrent, "plugin timers belong to the plugin thread")
        let period = UInt64(max(milliseconds, 1)) * 1_000_000
        defer { nextID += 1 }
        timers[nextID] = Timer(period: period, due: Self.now() + period, action: action)
        return nextID
    }

    /// Calls `action` with the events seen whenever `fd` has any of `events` (poll's), until ``remove(_:)``.
    /// On the plugin thread only.
    func watch(_ fd: Int32, events: Int16, _ action: @escaping (Int16) -> Void) -> Int {
        precondition(isCurrent, "watched descriptors belong to the plugin thread")
        defer { nextID += 1 }
        watched[nextID] = Watch(fd: fd, events: events, action: action)
        return nextID
    }

    /// Changes the events a watch waits for.
    func rewatch(_ id: Int, events: Int16) { watched[id]?.events = events }

    /// Ends a timer or a watch (nothing if it ended already).
    func remove(_ id: Int) {
        precondition(isCurrent, "plugin timers and watches belong to the plugin thread")
        timers[id] = nil
        watched[id] = nil
    }

    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    private func serve() {
        dp_plugin_thread_enter()
        nextIdle = Self.now() + 100_000_000
        var descriptors: [pollfd] = []
        var ids: [Int] = []
        while true {
            pthread_mutex_lock(mutex)
            if var work = job, !done {
                pthread_mutex_unlock(mutex)
                work()
                // Let go of the call before its caller may return: `run` checks that its closure did not escape.
                work = {}
                pthread_mutex_lock(mutex)
                done = true
                pthread_cond_broadcast(finished)
                pthread_mutex_unlock(mutex)
                continue
            }
            pthread_mutex_unlock(mutex)

            let now = Self.now()
            let next = timers.values.reduce(nextIdle) { min($0, $1.due) }
            let timeout = next > now ? Int32(min((next - now + 999_999) / 1_000_000, 1000)) : 0
            descriptors.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
            descriptors.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
            for (id, watch) in watched {
                descriptors.append(pollfd(fd: watch.fd, events: watch.events, revents: 0))
                ids.append(id)
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready > 0 {
                if descriptors[0].revents != 0 {
                    var count: UInt64 = 0
                    _ = read(wakeFD, &count, 8)
                }
                for (offset, id) in ids.enumerated() where descriptors[offset + 1].revents != 0 {
                    watched[id]?.action(descriptors[offset + 1].revents)
                }
            }
            runTimers()
        }
    }

    private func runTimers() {
        let now = Self.now()
        for id in timers.keys.sorted() {
            guard let timer = timers[id], timer.due <= now else { continue }
            timers[id]?.due = max(timer.due + timer.period, now + timer.period / 2)
            timer.action()
        }
        guard now >= nextIdle else { return }
        nextIdle = now + 100_000_000
        pthread_mutex_lock(mutex)
        let tasks = Array(idleTasks.values)
        pthread_mutex_unlock(mutex)
        for task in tasks { task() }
    }
}
