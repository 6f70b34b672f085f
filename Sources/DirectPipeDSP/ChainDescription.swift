import Foundation

/// A chain as JSON: which effects, in order, with their parameters, bypass
/// and plugin state. The same format goes into presets.
///
/// ```json
/// {"effects": [{"id": "highpass", "parameters": {"frequency": 90}},
///              {"id": "http://lsp-plug.in/plugins/lv2/compressor_mono", "bypass": true}]}
/// ```
public struct ChainDescription: Sendable, Codable, Equatable {
    public struct Effect: Sendable, Codable, Equatable {
        /// A built-in name, an LV2 URI or a LADSPA `file.so:label`.
        public var id: String
        public var bypass: Bool
        public var parameters: [String: Float]
        /// An LV2 plugin's saved state (Turtle), restored after the parameters.
        public var state: String?

        public init(id: String, bypass: Bool = false, parameters: [String: Float] = [:], state: String? = nil) {
            self.id = id
            self.bypass = bypass
            self.parameters = parameters
            self.state = state
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            bypass = try container.decodeIfPresent(Bool.self, forKey: .bypass) ?? false
            parameters = try container.decodeIfPresent([String: Float].self, forKey: .parameters) ?? [:]
            state = try container.decodeIfPresent(String.self, forKey: .state)
        }
    }

    public var effects: [Effect]
    /// The whole chain bypassed (the input passes, delayed by the chain's latency).
    public var bypass: Bool

    public init(effects: [Effect], bypass: Bool = false) {
        self.effects = effects
        self.bypass = bypass
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        effects = try container.decode([Effect].self, forKey: .effects)
        bypass = try container.decodeIfPresent(Bool.self, forKey: .bypass) ?? false
    }

    /// Reads a chain file; the error names the file and what is wrong with it.
    public init(contentsOf path: String) throws(ChainFileError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ChainFileError(path: path, reason: "cannot be read") }
        do {
            self = try JSONDecoder().decode(Self.self, from: data)
        } catch {
            throw ChainFileError(path: path, reason: JSONProblem.describe(error, in: data))
        }
    }

    /// The chain as pretty JSON.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The ready voice chain with the best noise removal this machine has (see ``VoiceChain``).
    public static var voice: ChainDescription { VoiceChain.best().chain }
}

/// A chain file that cannot be used: which file and why.
public struct ChainFileError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
