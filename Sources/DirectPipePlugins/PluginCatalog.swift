import DirectPipeDSP
import Foundation

/// What a chain can use, as `plugins list`, the API's plugin list and the panel show it: the built-ins first, then
/// the scanned plugins, narrowed by format and a search text; and how a scan went, per format.
public enum PluginCatalog {
    /// Which records to show.
    public struct Filter: Sendable, Equatable {
        /// Only this format (nil: every format).
        public var format: EffectInfo.Format?
        /// Only records whose id, name, maker or category contain this, in any case (nil: all).
        public var search: String?
        /// Also plugins that failed, are blocklisted or are not effects.
        public var includeUnusable: Bool

        public init(format: EffectInfo.Format? = nil, search: String? = nil, includeUnusable: Bool = false) {
            self.format = format
            self.search = search
            self.includeUnusable = includeUnusable
        }

        public func matches(_ record: PluginRecord) -> Bool {
            guard format == nil || record.format == format, includeUnusable || record.status == .ok else { return false }
            guard let search else { return true }
            return [record.id, record.info?.name ?? "", record.info?.author ?? "", record.info?.category ?? ""]
                .contains { $0.localizedCaseInsensitiveContains(search) }
        }
    }

    /// The built-ins as records (always usable).
    public static var builtins: [PluginRecord] {
        BuiltinEffects.all.map { PluginRecord(id: $0.id, format: .builtin, status: .ok, info: $0) }
    }

    /// The built-ins and `scanned` (records without an info only with `includeUnusable`), as `filter` lets through.
    public static func records(scanned: [PluginRecord], filter: Filter = Filter()) -> [PluginRecord] {
        (builtins + scanned.filter { filter.includeUnusable || $0.info != nil }).filter(filter.matches)
    }

    /// How a scan went for one format.
    public struct ScanSummary: Sendable, Equatable {
        public var format: EffectInfo.Format
        /// Effects (records with audio in and out) and how many of them work, failed or were blocklisted.
        public var effects: Int, working: Int, failed: Int, blocklisted: Int
        /// Plugins that are not effects (instruments, analysers).
        public var notEffects: Int

        /// One line for people: "lv2: 120 of 124 effects work (96.8 %); 3 failed, 1 blocklisted; 6 are not effects".
        public var line: String {
            let percent = effects == 0 ? 100 : Double(working) * 100 / Double(effects)
            return "\(format.rawValue): \(working) of \(effects) effects work (\(String(format: "%.1f", percent)) %); "
                + "\(failed) failed, \(blocklisted) blocklisted; \(notEffects) are not effects"
        }
    }

    /// The scan's summary for each format it found plugins of.
    public static func summaries(of records: [PluginRecord]) -> [ScanSummary] {
        EffectInfo.Format.allCases.filter { format in format != .builtin && records.contains { $0.format == format } }.map { format in
            let mine = records.filter { $0.format == format }
            let effects = mine.filter { $0.status != .notAnEffect }
            return ScanSummary(
                format: format, effects: effects.count, working: effects.filter { $0.status == .ok }.count,
                failed: effects.filter { $0.status == .failed }.count, blocklisted: effects.filter(\.isBlocklisted).count,
                notEffects: mine.count - effects.count)
        }
    }
}
