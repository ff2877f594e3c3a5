import BerthDaemon
import BerthTestSupport
import Testing

/// A daemon over one forward, `lone`, to pod `lone`'s port 7000, logging into `log`, once it is Ready: its local
/// port and a recorder of every state it shows from then on. For tests that disturb the cluster and then check
/// the forward went on working and what it showed meanwhile.
struct LoneForward: Sendable {
    let daemon: Daemon
    let port: Int
    let recorder: ForwardStateRecorder
    let log: LogLines

    /// Runs `body` with the Ready forward; `warm` sets its warm streams (the default when nil).
    static func with(warm: Int? = nil, _ body: @escaping @Sendable (Harness, LoneForward) async throws -> Void) async throws {
        try await Harness.with { harness in
            try harness.writeManifest("""
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: lone
                    pod: lone
                    ports: [{local: 0, remote: 7000}]
                """ + (warm.map { "\n    warm: \($0)\n" } ?? "\n"))
            let log = LogLines()
            try await harness.withDaemon(logger: log.logger) { daemon in
                let ready = try await awaitStatus(daemon, "lone Ready") { $0.isPhase("lone", .ready) }
                let recorder = ForwardStateRecorder("lone", of: daemon)
                defer { recorder.stop() }
                try await body(harness, LoneForward(daemon: daemon, port: try #require(ready.port("lone")), recorder: recorder, log: log))
            }
        }
    }
}
