import Foundation
import Testing

/// Review finding 7: a writer that restarts in place with another format of the same size (2 × 1024 frames
/// become 1 × 2048) while a reader copies out of the ring. The C reader must not return the new writer's
/// frames read with the old layout; it re-checks the generation after the copy (reader rule 3). The window is
/// hit every time: copy-window-check builds reader.c with the copy routed through a hook that restarts the
/// writer just before it (see Tests/Native/copy_window_check.c). Without the re-check the read gave 256 frames
/// of the new writer as if they had two channels.
@Suite struct ReaderCopyWindowTests {
    @Test func aWriterRestartingDuringTheCopyIsNotReadInTheOldFormat() throws {
        let pipe = uniquePipe("copywin")
        defer { removePipe(pipe) }
        let check = try TestProcess(Programs.nativeDirectory.appendingPathComponent("copy-window-check"), ["--pipe", pipe])
        #expect(check.finish() == 0, "\(check.output) \(check.errorOutput)")
        let result = try #require(check.jsonLines.last, "\(check.errorOutput)")
        #expect(result["restart_done"] as? Bool == true, "the restart happened during the copy: \(result)")
        #expect(result.int("foreign") == 0, "frames of the new writer read in the old format: \(result)")
        #expect(
            result.int("after_channels") == 1 && (result.int("after") ?? 0) > 0 && result.int("after_wrong") == 0,
            "the new writer's frames, in its format, next: \(result)")
    }
}
