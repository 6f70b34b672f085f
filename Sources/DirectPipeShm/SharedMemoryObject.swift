import CDirectPipeShm

#if canImport(Glibc)
    import Glibc
#endif

/// An open POSIX shared-memory object (`shm_open`), closed on deinit.
final class SharedMemoryObject {
    let name: String
    let fd: Int32

    /// Opens `name` read-write; with `create`, makes it (mode 0600) if absent.
    init(name: String, create: Bool) throws(SystemError) {
        self.name = name
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        fd = try systemCall("shm_open", name) { shm_open(name, flags, 0o600) }
    }

    deinit { close(fd) }

    /// Current size in bytes.
    func size() throws(SystemError) -> Int {
        var info = stat()
        try systemCall("fstat", name) { fstat(fd, &info) }
        return Int(info.st_size)
    }

    func resize(to bytes: Int) throws(SystemError) {
        try systemCall("ftruncate", name) { ftruncate(fd, off_t(bytes)) }
    }

    /// Takes the writer's advisory lock on the object (flock, held until the descriptor closes); false when
    /// another writer holds it. Atomic, unlike looking at the header: two writers starting on a fresh name
    /// at once cannot both get it.
    func lockForWriting() throws(SystemError) -> Bool {
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
        guard errno == EWOULDBLOCK else { throw SystemError(call: "flock", subject: name, errno: errno) }
        return false
    }

    /// Gives the writer's lock back (a stopped writer: the next one may start while this object lives on).
    func unlockForWriting() { _ = flock(fd, LOCK_UN) }

    /// Only the owner may read or write the pipe (protocol: mode 0600).
    func restrictToOwner() throws(SystemError) {
        try systemCall("fchmod", name) { fchmod(fd, 0o600) }
    }

    /// Maps `bytes` shared, read-write.
    func map(bytes: Int) throws(SystemError) -> SharedMemoryMapping {
        guard let base = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw SystemError(call: "mmap", subject: name, errno: errno)
        }
        return SharedMemoryMapping(base: base, bytes: bytes)
    }

    /// Removes the name; processes that have it mapped keep their mapping.
    static func unlink(name: String) throws(SystemError) {
        try systemCall("shm_unlink", name) { shm_unlink(name) }
    }
}

/// A `mmap`ed region, unmapped on deinit. Protected by the memtrap from the
/// moment it exists: another process may shrink the object under it at any
/// time, and a fault then must not kill us (least of all on the audio thread).
final class SharedMemoryMapping {
    let base: UnsafeMutableRawPointer
    let bytes: Int
    /// The memtrap slot, or -1 if every slot is taken (then unprotected).
    let trapSlot: Int32

    init(base: UnsafeMutableRawPointer, bytes: Int) {
        self.base = base
        self.bytes = bytes
        trapSlot = dp_memtrap_add(base, bytes)
    }

    deinit {
        dp_memtrap_remove(trapSlot)
        munmap(base, bytes)
    }

    /// A fault was caught in this mapping: its contents are zeros now, not the object's.
    var isDamaged: Bool { dp_memtrap_faulted(trapSlot) != 0 }
}
