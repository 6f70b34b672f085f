import DirectPipeDSP
import Foundation

/// A preset: the effects chain (with parameters, bypass and plugin state) and the input gain, as JSON with a
/// format version. Quick slots A–E are presets too, kept under their letter.
public struct Preset: Sendable, Codable, Equatable {
    /// The version of this file format; a newer file is refused rather than half-understood.
    public static let currentFormat = 1

    public var format: Int
    public var name: String
    public var chain: ChainDescription
    public var inputGainDB: Double?

    public init(name: String, chain: ChainDescription, inputGainDB: Double? = nil) {
        format = Self.currentFormat
        self.name = name
        self.chain = chain
        self.inputGainDB = inputGainDB
    }

    private enum CodingKeys: String, CodingKey {
        case format, name, chain
        case inputGainDB = "input_gain_db"
    }
}

/// Named presets and the quick slots, in `$XDG_CONFIG_HOME/directpipe/` (`presets/NAME.json`,
/// `slots/A.json` … `slots/E.json`). Every write is atomic and keeps the previous file as `.bak`; a file
/// that cannot be read is refused with its name, the line and what is wrong, and nothing changes.
public struct PresetStore: Sendable {
    public static let slots = ["A", "B", "C", "D", "E"]
    public let folder: String

    public init(folder: String = PresetStore.defaultFolder) {
        self.folder = folder
    }

    /// `$XDG_CONFIG_HOME/directpipe` (default `~/.config/directpipe`).
    public static var defaultFolder: String { (SettingsFile.defaultPath as NSString).deletingLastPathComponent }

    public func presetPath(_ name: String) -> String { "\(folder)/presets/\(name).json" }
    public func slotPath(_ slot: String) -> String { "\(folder)/slots/\(slot).json" }

    /// The names of the saved presets, sorted.
    public func presetNames() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: "\(folder)/presets")) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The slots that hold a preset.
    public func filledSlots() -> [String] { Self.slots.filter { FileManager.default.fileExists(atPath: slotPath($0)) } }

    public func loadPreset(_ name: String) throws(ActionError) -> Preset {
        try Self.check(name: name)
        return try Self.read(presetPath(name))
    }

    public func loadSlot(_ slot: String) throws(ActionError) -> Preset {
        guard Self.slots.contains(slot) else { throw ActionError(.invalid, "no slot '\(slot)' (slots are A to E)") }
        return try Self.read(slotPath(slot))
    }

    public func savePreset(_ preset: Preset) throws(ActionError) {
        try Self.check(name: preset.name)
        try Self.write(preset, to: presetPath(preset.name))
    }

    /// Renames a preset: written under the new name, the old file kept as `OLD.json.bak`. A name taken is refused.
    public func renamePreset(_ name: String, to newName: String) throws(ActionError) {
        var preset = try loadPreset(name)
        try Self.check(name: newName)
        guard !FileManager.default.fileExists(atPath: presetPath(newName)) else {
            throw ActionError(.conflict, "a preset '\(newName)' exists already (delete or rename it first)")
        }
        preset.name = newName
        try Self.write(preset, to: presetPath(newName))
        try retire(presetPath(name))
    }

    /// Deletes a preset: its file becomes `NAME.json.bak` (the last one deleted can be brought back by hand).
    public func deletePreset(_ name: String) throws(ActionError) {
        try Self.check(name: name)
        guard FileManager.default.fileExists(atPath: presetPath(name)) else { throw ActionError(.notFound, "no preset '\(name)'") }
        try retire(presetPath(name))
    }

    /// A preset file as it is stored (for export), after checking that it reads.
    public func presetData(_ name: String) throws(ActionError) -> Data {
        _ = try loadPreset(name)
        guard let data = FileManager.default.contents(atPath: presetPath(name)) else { throw ActionError(.notFound, "no preset '\(name)'") }
        return data
    }

    private func retire(_ path: String) throws(ActionError) {
        guard rename(path, path + ".bak") == 0 else {
            throw ActionError(.conflict, "\(path): \(String(cString: strerror(errno)))")
        }
    }

    public func saveSlot(_ slot: String, _ preset: Preset) throws(ActionError) {
        guard Self.slots.contains(slot) else { throw ActionError(.invalid, "no slot '\(slot)' (slots are A to E)") }
        try Self.write(preset, to: slotPath(slot))
    }

    /// A preset file given by path (an export from elsewhere), checked like our own.
    public static func read(_ path: String) throws(ActionError) -> Preset {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ActionError(.notFound, "\(path): no such preset")
        }
        let preset: Preset
        do {
            preset = try JSONDecoder().decode(Preset.self, from: data)
        } catch {
            let backup = FileManager.default.fileExists(atPath: path + ".bak") ? "; the previous version is in \(path).bak" : ""
            throw ActionError(.conflict, "\(path): \(JSONProblem.describe(error, in: data))\(backup)")
        }
        guard preset.format <= Preset.currentFormat else {
            throw ActionError(.conflict, "\(path): format \(preset.format) is newer than this DirectPipe reads (\(Preset.currentFormat))")
        }
        return preset
    }

    /// Writes `preset` to `path` (atomically, the old file kept as .bak): an export, or our own store.
    public static func write(_ preset: Preset, to path: String) throws(ActionError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try AtomicFile.write(try encoder.encode(preset), to: path)
        } catch {
            throw ActionError(.conflict, "\(path): \(error.localizedDescription)")
        }
    }

    /// What a preset's or a recording's name may hold: ASCII letters and digits, space, - _ and ., as the API document
    /// says; a file name every file system and shell takes as it is.
    static let nameCharacters = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -_.")

    private static func check(name: String) throws(ActionError) {
        guard !name.isEmpty, name.count <= 64, !name.hasPrefix("."), name.unicodeScalars.allSatisfy(nameCharacters.contains) else {
            throw ActionError(.invalid, "'\(name)' is not a preset name (letters A–Z, digits, space, - _ and ., at most 64)")
        }
    }
}
