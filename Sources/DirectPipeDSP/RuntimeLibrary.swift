import Foundation

/// A C library DirectPipe loads at run time (`dlopen`) rather than links, because Debian 12 has no package of it:
/// RNNoise and DeepFilterNet, taken from PyPI wheels by the project's scripts. Not closed once opened.
struct RuntimeLibrary {
    let handle: UnsafeMutableRawPointer

    /// Where DirectPipe's own copies go, in the order looked at after the system's search: the Debian package's,
    /// `scripts/install-deps.sh`'s (as root), and a user's own (the fetch scripts without root).
    static func folders(home: String) -> [String] {
        ["/usr/lib/directpipe", "/usr/local/lib/directpipe", home + "/.local/lib/directpipe"]
    }

    /// Opens `file` (a path or a soname), or says in one line why it cannot ("FILE: not found", the loader's error).
    static func open(_ file: String) -> Result<RuntimeLibrary, RuntimeLibraryProblem> {
        guard let handle = dlopen(file, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "\(file): cannot be opened"
            return .failure(RuntimeLibraryProblem(reason.contains("No such file") ? "\(file): not found" : reason))
        }
        return .success(RuntimeLibrary(handle: handle))
    }

    /// A function of the library as the C type `T`, or nil when it does not have it.
    func symbol<T>(_ name: String, as type: T.Type) -> T? { dlsym(handle, name).map { unsafeBitCast($0, to: type) } }

    func close() { dlclose(handle) }
}

/// One line on why a runtime library could not be used.
struct RuntimeLibraryProblem: Error {
    let text: String
    init(_ text: String) { self.text = text }
}
