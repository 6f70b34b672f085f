import Foundation
import Testing

/// DirectPipe's PipeWire glue under AddressSanitizer (`pw-stress`, built by scripts/build-native.sh): the node
/// created and destroyed 200 times on a private graph, asked each time for its data thread's scheduling (an
/// invoke on the data loop while the loop thread links the node), while another thread lists the graph's nodes
/// without pause, both starting libpipewire at once. No sanitizer report, no hang, every node ran.
@Suite(.serialized) struct PipeWireStressTests {
    @Test func theNodeStartsAndStops200TimesBesideADeviceLister() throws {
        let session = try PipeWireSession("stress", sessionManager: false)
        var environment = session.environment
        environment["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0"  // libpipewire keeps a few allocations for good
        let stress = try TestProcess(
            Programs.nativeDirectory.appendingPathComponent("pw-stress"), ["--iterations", "200"],
            environment: environment)
        let status = stress.finish(timeout: 300)  // a hang is killed here, and fails below
        #expect(status == 0, "\(stress.errorOutput.suffix(6000))")
        #expect(!stress.errorOutput.contains("AddressSanitizer"), "\(stress.errorOutput.suffix(6000))")
        let result = try #require(stress.jsonLines.last, "\(stress.errorOutput.suffix(3000))")
        print("pw-stress: \(result)")
        #expect(result.int("iterations") == 200 && result.int("ran") == 200, "\(result)")
        #expect(result.int("listing_errors") == 0 && (result.int("listings") ?? 0) > 0, "\(result)")
    }
}
