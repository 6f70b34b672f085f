import CDirectPipePluginABI
import Foundation

/// The one thread that makes every non-audio call into VST2, VST3 and CLAP plugins: creating, describing,
/// activating, state, resetting and destroying them. These formats expect such calls from one thread (CLAP and
/// VST3 name it the main thread; CLAP plugins check it through the host's thread-check), and DPF-built plugins
/// keep process-wide variables while an instance is made, so two made at once on two threads can mix them up.
/// The audio thread never calls here and never waits for it. Callers block until their call is done; a call made
/// from this thread runs at once. Between calls, ten times a second, it runs the idle tasks plugins registered
/// (a CLAP plugin's main-thread callback, when it asked for one).
/// Unchecked Sendable: `job`, `done` and `idleTasks` are guarded by `mutex`; one caller at a time (`callers`).
final class PluginThread: @unchecked Sendable {
    static let shared = PluginThread()

    private let callers = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var job: (() -> Void)?
    private var done = false
    private var idleTasks: [ObjectIdentifier: () -> Void] = [:]
    private var thread = pthread_t()

    private init() {
        pthread_mutex_init(callers, nil)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
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
            pthread_cond_broadcast(wake)
            while !done { pthread_cond_wait(wake, mutex) }
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

    private func serve() {
        dp_plugin_thread_enter()
        pthread_mutex_lock(mutex)
        while true {
            while job == nil || done {
                var deadline = timespec()
                clock_gettime(CLOCK_REALTIME, &deadline)
                deadline.tv_nsec += 100_000_000
                if deadline.tv_nsec >= 1_000_000_000 {
                    deadline.tv_sec += 1
                    deadline.tv_nsec -= 1_000_000_000
                }
                if pthread_cond_timedwait(wake, mutex, &deadline) == ETIMEDOUT, !idleTasks.isEmpty {
                    let tasks = Array(idleTasks.values)
                    pthread_mutex_unlock(mutex)
                    for task in tasks { task() }
                    pthread_mutex_lock(mutex)
                }
            }
            let work = job!
            pthread_mutex_unlock(mutex)
            work()
            pthread_mutex_lock(mutex)
            done = true
            pthread_cond_broadcast(wake)
        }
    }
}
