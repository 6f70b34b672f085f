import DirectPipeControl
import Foundation
import Testing

@testable import DirectPipeHost

/// `run`'s report of a real session on the internal clock, in process: what the JSON carries (scripts and the
/// end-to-end tests read these keys) and what the line says.
@Suite(.serialized) struct RunReportTests {
    @Test func theReportSaysWhatRunsInBothForms() throws {
        let (host, name) = try runningHost(LogLines())
        defer { stop(host, name) }
        #expect(callbacks(of: host, reach: 10))
        let report = RunReport(host.current, final: true, processCPUNs: 5, wakeups: 3)
        #expect(report.event == "final" && report.backend == "clock" && report.backendConnected)
        #expect(report.rate == 48000 && report.period == 128 && report.channels == 2 && report.callbacks >= 10)
        #expect(report.pipe == name.rawValue && report.overruns <= report.callbacks)

        let json = try #require(try JSONSerialization.jsonObject(with: report.json) as? [String: Any])
        for key in [
            "event", "time_ns", "backend_connected", "rate", "period", "callbacks", "overruns", "graph_xruns", "pipe",
            "pipe_reader_lag", "input_peak_dbfs", "process_cpu_ns", "main_loop_wakeups",
        ] {
            #expect(json[key] != nil, "\(key) in \(json.keys.sorted())")
        }
        #expect(json["monitor_drift_ppm"] == nil, "no monitor bridge, no monitor figures")
        #expect(report.json.last == UInt8(ascii: "\n"))

        let line = report.line
        #expect(line.hasPrefix("clock 48000 Hz/128  in "), "\(line)")
        #expect(line.contains("xruns \(report.overruns) (graph 0)  \(name.rawValue): 0 waiting"), "\(line)")
        #expect(line.hasSuffix("(\(report.callbacks) callbacks)"), "\(line)")
        #expect(RunReport.dBFS(0) == -120 && RunReport.dBFS(1) == 0)
    }
}
