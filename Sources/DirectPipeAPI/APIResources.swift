import Foundation

/// Where the files shipped with the program (the web panel, the OpenAPI document) are.
///
/// Installed (`/usr/bin/directpipe`), they are in `share/directpipe` beside its `bin` folder, where the Debian
/// package puts them; run from a build, in the resource bundle SwiftPM writes beside the program.
enum APIResources {
    static let folder: URL? = {
        let program = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let installed = program.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("share/directpipe")
        if FileManager.default.fileExists(atPath: installed.appendingPathComponent("openapi.yaml").path) { return installed }
        return Bundle.module.resourceURL
    }()
}
