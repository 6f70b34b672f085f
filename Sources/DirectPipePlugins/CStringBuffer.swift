extension String {
    /// The text in a fixed-size C character array (imported as a tuple), up to its first NUL.
    init<Field>(cField field: Field) {
        self = withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The text a C function wrote into `buffer`, up to its first NUL (all of it when there is none).
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
