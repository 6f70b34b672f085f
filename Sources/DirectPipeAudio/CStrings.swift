import Glibc

// Swift strings into C configuration structs and C messages out of them, for the C glue.

/// What a C function writes into a message buffer, as a Swift string.
func cMessage(_ body: (UnsafeMutablePointer<CChar>, Int) -> Void) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
        buffer.initialize(repeating: 0)
        body(buffer.baseAddress!, buffer.count)
        return String(cString: buffer.baseAddress!)
    }
}

/// Swift strings as C strings that live until `free()`, for a C configuration struct.
struct CStrings {
    let pointers: UnsafeMutablePointer<UnsafePointer<CChar>?>
    let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count)
        for (index, string) in strings.enumerated() { pointers[index] = UnsafePointer(strdup(string)) }
    }

    subscript(index: Int) -> UnsafePointer<CChar>? { pointers[index] }

    func free() {
        for index in 0..<count { Glibc.free(UnsafeMutablePointer(mutating: pointers[index])) }
        pointers.deallocate()
    }
}
