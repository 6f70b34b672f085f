import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import Foundation
import Testing

/// The control model on its own: actions in JSON, files written without damage, presets read with
/// precise errors.
@Suite struct ControlActionTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-control-\(UUID().uuidString)").path

    @Test(arguments: [
        ControlAction.setInputGain(decibels: -3), .muteInput(nil), .muteOutput(.virtualMic, true), .setOutputVolume(.pipe, 0.5),
        .enableOutput(.monitor, true), .panic(false), .bypassEffect(2, nil), .masterBypass(true),
        .setParameter(effect: 1, symbol: "ratio", value: 4), .addEffect(id: "gain", at: 0, parameters: ["gain": -6]), .removeEffect(3),
        .moveEffect(from: 0, to: 2), .switchSlot("C"), .nextSlot, .previousSlot, .loadPreset("talk"), .savePreset("talk"), .resetXruns,
        .openEditor(1), .closeEditor(0), .setGuard(on: true, ceilingDB: -2, truePeak: true), .setGuard(on: nil, ceilingDB: nil, truePeak: false),
    ])
    func actionsRoundTripThroughJSON(action: ControlAction) throws {
        let data = try JSONEncoder().encode(action)
        #expect(try JSONDecoder().decode(ControlAction.self, from: data) == action, "\(String(decoding: data, as: UTF8.self))")
        #expect(String(decoding: data, as: UTF8.self).contains("\"action\":\"\(action.name)\""))
        #expect(ControlAction.names.contains(action.name))
    }

    @Test func unknownActionsAndOutputsAreNamed() {
        for (json, words) in [
            (#"{"action": "fly"}"#, "'fly' is not an action"), (#"{"action": "mute_output", "output": "tv"}"#, "'tv' is not an output"),
        ] {
            do {
                _ = try JSONDecoder().decode(ControlAction.self, from: Data(json.utf8))
                Issue.record("\(json) decoded")
            } catch {
                #expect(JSONProblem.describe(error, in: Data(json.utf8)).contains(words), "\(error)")
            }
        }
    }

    /// A number too large for a parameter is still a number: the effect refuses it by its range, not the decoder as
    /// "invalid JSON" (schemathesis sent 4e225 once).
    @Test func hugeNumbersDecodeAndAreLeftToTheRangeCheck() throws {
        let set = try JSONDecoder().decode(
            ControlAction.self, from: Data(#"{"action": "set_parameter", "effect": 0, "symbol": "g", "value": 1e300}"#.utf8))
        #expect(set == .setParameter(effect: 0, symbol: "g", value: .infinity))
        let add = try JSONDecoder().decode(
            ControlAction.self, from: Data(#"{"action": "add_effect", "id": "gain", "parameters": {"gain": -4e225}}"#.utf8))
        #expect(add == .addEffect(id: "gain", at: nil, parameters: ["gain": -.infinity]))
    }

    @Test func atomicWritesKeepTheOldFileAsBackupAndSetTheMode() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/sub/file.json"
        try AtomicFile.write(Data("one".utf8), to: path)
        try AtomicFile.write(Data("two".utf8), to: path, mode: 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
        #expect(try String(contentsOfFile: path + ".bak", encoding: .utf8) == "one")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(folder)/sub").filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func presetsRoundTripAndBrokenOnesSayWhereAndWhatWentWrong() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = PresetStore(folder: folder)
        let preset = Preset(name: "talk", chain: .voice, inputGainDB: 3)
        try store.savePreset(preset)
        #expect(try store.loadPreset("talk") == preset)
        #expect(store.presetNames() == ["talk"])
        try store.saveSlot("B", preset)
        #expect(store.filledSlots() == ["B"])

        try "{\n \"format\": 1,\n \"name\": \"x\",\n \"chain\": {\"effects\": [}\n}".write(
            toFile: store.presetPath("broken"), atomically: true, encoding: .utf8)
        #expect(throws: ActionError.self) { try store.loadPreset("broken") }
        do { _ = try store.loadPreset("broken") } catch { #expect(error.message.contains("broken.json: not valid JSON at line 4"), "\(error)") }
        try #"{"format": 9, "name": "x", "chain": {"effects": []}}"#.write(toFile: store.presetPath("future"), atomically: true, encoding: .utf8)
        do { _ = try store.loadPreset("future") } catch { #expect(error.message.contains("format 9 is newer"), "\(error)") }
        try #"{"format": 1, "name": "x", "chain": {"effects": [{"id": 5}]}}"#.write(
            toFile: store.presetPath("typed"), atomically: true, encoding: .utf8)
        do { _ = try store.loadPreset("typed") } catch { #expect(error.message.contains("expected String at chain.effects[0].id"), "\(error)") }
        #expect(throws: ActionError.self) { try store.savePreset(Preset(name: "../../etc", chain: .voice)) }
        #expect(throws: ActionError.self) { try store.loadSlot("F") }
    }

    /// Renaming and deleting keep the old file as .bak (recoverable by hand); a name taken or missing is refused.
    @Test func presetsRenameAndDeleteKeepingTheOldFile() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = PresetStore(folder: folder)
        try store.savePreset(Preset(name: "talk", chain: .voice))
        try store.savePreset(Preset(name: "music", chain: ChainDescription(effects: [])))
        try store.renamePreset("talk", to: "speech")
        #expect(store.presetNames() == ["music", "speech"])
        #expect(try store.loadPreset("speech").name == "speech" && store.loadPreset("speech").chain == .voice)
        #expect(FileManager.default.fileExists(atPath: store.presetPath("talk") + ".bak"))
        func refusal(_ body: () throws(ActionError) -> Void) -> ActionError? {
            do { try body() } catch { return error }
            return nil
        }
        let taken = refusal { () throws(ActionError) in try store.renamePreset("speech", to: "music") }
        #expect(taken?.kind == .conflict && taken?.message.contains("exists already") == true, "\(String(describing: taken))")
        #expect(refusal { () throws(ActionError) in try store.renamePreset("nosuch", to: "x") }?.kind == .notFound)
        #expect(throws: ActionError.self) { try store.renamePreset("speech", to: "../x") }
        try store.deletePreset("music")
        #expect(store.presetNames() == ["speech"])
        #expect(FileManager.default.fileExists(atPath: store.presetPath("music") + ".bak"))
        #expect(refusal { () throws(ActionError) in try store.deletePreset("music") }?.kind == .notFound)
        #expect(String(decoding: try store.presetData("speech"), as: UTF8.self).contains("\"speech\""))
    }
}
