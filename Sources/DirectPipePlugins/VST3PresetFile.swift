import DirectPipeDSP
import Foundation

/// A VST3 preset file (`.vstpreset`): which class it is for, the component's state and, where saved, the
/// controller's. The layout, as the format publishes it: "VST3", a version (int32), the class id as 32 hex
/// characters, the offset of the chunk list (int64); the list is "List", a count (int32) and per chunk its id
/// ("Comp", "Cont", "Info"), offset and size (int64 each); little-endian throughout.
public struct VST3PresetFile: Sendable, Equatable {
    public var classID: String
    public var component: Data
    public var controller: Data

    public init(classID: String, component: Data, controller: Data) {
        self.classID = classID
        self.component = component
        self.controller = controller
    }

    /// Reads a preset file's bytes; throws, saying why, when they are not one.
    public init(_ data: Data) throws(EffectError) {
        let bytes = [UInt8](data)
        func fail(_ why: String) -> EffectError { .failed(effect: "vst3 preset", reason: why) }
        func integer<T: FixedWidthInteger>(_ at: Int, _: T.Type) throws(EffectError) -> T {
            guard at >= 0, at + MemoryLayout<T>.size <= bytes.count else { throw fail("it ends before its layout says") }
            return (0..<MemoryLayout<T>.size).reversed().reduce(T(0)) { $0 << 8 | T(bytes[at + $1]) }
        }
        guard bytes.count >= 48, bytes[0..<4].elementsEqual("VST3".utf8) else { throw fail("it does not start with VST3") }
        classID = String(decoding: bytes[8..<40], as: UTF8.self).uppercased()
        let list = Int(try integer(40, Int64.self))
        guard list >= 48, list + 8 <= bytes.count, bytes[list..<(list + 4)].elementsEqual("List".utf8) else { throw fail("it has no chunk list") }
        var chunks: [String: Data] = [:]
        for entry in 0..<Int(try integer(list + 4, Int32.self)) {
            let at = list + 8 + entry * 20
            guard at + 20 <= bytes.count else { throw fail("its chunk list ends early") }
            let id = String(decoding: bytes[at..<(at + 4)], as: UTF8.self)
            let offset = Int(try integer(at + 4, Int64.self)), size = Int(try integer(at + 12, Int64.self))
            guard offset >= 0, size >= 0, offset + size <= bytes.count else { throw fail("its \(id) chunk lies outside the file") }
            chunks[id] = Data(bytes[offset..<(offset + size)])
        }
        guard let component = chunks["Comp"] else { throw fail("it holds no component state") }
        self.component = component
        controller = chunks["Cont"] ?? Data()
    }

    /// The file's bytes.
    public var encoded: Data {
        func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
        let header = 48
        let componentAt = header, controllerAt = componentAt + component.count, listAt = controllerAt + controller.count
        var out = Array("VST3".utf8) + bytes(Int32(1)) + Array(classID.utf8.prefix(32)) + bytes(Int64(listAt))
        out += component + controller
        out += Array("List".utf8) + bytes(Int32(2))
        out += Array("Comp".utf8) + bytes(Int64(componentAt)) + bytes(Int64(component.count))
        out += Array("Cont".utf8) + bytes(Int64(controllerAt)) + bytes(Int64(controller.count))
        return Data(out)
    }

    /// Where presets for a plugin named `name` by `vendor` are looked for, as VST3 hosts on Linux look: the user's
    /// (`~/.vst3/presets/VENDOR/NAME`), then the system's (`/usr/local/share/vst3/presets/…`,
    /// `/usr/share/vst3/presets/…`), then the bundle's own `Contents/Resources/Presets`.
    static func folders(vendor: String, name: String, bundle: String, home: String = NSHomeDirectory()) -> [String] {
        ["\(home)/.vst3/presets", "/usr/local/share/vst3/presets", "/usr/share/vst3/presets"].map { "\($0)/\(vendor)/\(name)" }
            + ["\(bundle)/Contents/Resources/Presets"]
    }

    /// The `.vstpreset` files under `folders` (and their subfolders) made for `classID`, as (path, label) in order.
    static func presets(in folders: [String], classID: String) -> [(path: String, label: String)] {
        folders.flatMap { folder -> [(path: String, label: String)] in
            guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
            var found: [(path: String, label: String)] = []
            while let name = walker.nextObject() as? String {
                guard name.hasSuffix(".vstpreset") else { continue }
                let path = "\(folder)/\(name)"
                guard let data = FileManager.default.contents(atPath: path), let preset = try? VST3PresetFile(data), preset.classID == classID else {
                    continue
                }
                found.append((path, ((name as NSString).lastPathComponent as NSString).deletingPathExtension))
            }
            return found.sorted { $0.path < $1.path }
        }
    }
}
