import Foundation
import Synchronization

@testable import KubeClient

/// A wall clock the test moves by hand, so credential expiry is tested without waiting.
final class ManualWallClock: Sendable {
    private let current = Mutex(Date())

    var now: @Sendable () -> Date { { self.current.withLock { $0 } } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }
}

/// A shell script acting as an exec credential plugin. Each run increments a counter, records
/// `KUBERNETES_EXEC_INFO` and its arguments, and answers with token `tok-<run>`.
struct ExecPluginFixture {
    let dir: TemporaryDirectory
    let script: String

    init(dir: TemporaryDirectory, name: String = "plugin.sh", exitCode: Int = 0, certificate: TestPKI.Identity? = nil) throws {
        self.dir = dir
        let status: String
        let printfArguments = certificate == nil ? #""$REPLY_VERSION" "$count" "$EXPIRY""# : #""$REPLY_VERSION""#
        if let certificate {
            let cert = certificate.certificatePEM.replacingOccurrences(of: "\n", with: "\\\\n")
            let key = certificate.keyPEM.replacingOccurrences(of: "\n", with: "\\\\n")
            status = #"{"clientCertificateData":"\#(cert)","clientKeyData":"\#(key)"}"#
        } else {
            status = #"{"token":"tok-%s","expirationTimestamp":"%s"}"#
        }
        script = try dir.write(name, """
            #!/bin/sh
            count=$(cat "$STATE_DIR/count" 2>/dev/null || echo 0)
            count=$((count+1))
            echo $count > "$STATE_DIR/count"
            printf '%s' "$KUBERNETES_EXEC_INFO" > "$STATE_DIR/info.json"
            printf '%s' "$*" > "$STATE_DIR/args"
            if [ \(exitCode) -ne 0 ]; then echo "plugin failing on purpose" >&2; exit \(exitCode); fi
            printf '{"apiVersion":"%s","kind":"ExecCredential","status":\(status)}' \(printfArguments)
            """, executable: true)
    }

    var runs: Int {
        (try? String(contentsOfFile: "\(dir.path)/count", encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    }

    var execInfo: [String: Any] {
        let data = FileManager.default.contents(atPath: "\(dir.path)/info.json") ?? Data()
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    var args: String { (try? String(contentsOfFile: "\(dir.path)/args", encoding: .utf8)) ?? "" }

    func config(
        apiVersion: String = ExecConfig.v1, command: String = "./plugin.sh", replyVersion: String? = nil,
        expiry: String = "", provideClusterInfo: Bool = false, installHint: String? = nil
    ) -> ExecConfig {
        ExecConfig(
            apiVersion: apiVersion, command: command, args: ["get-token", "--cluster", "c1"],
            env: [.init(name: "STATE_DIR", value: dir.path), .init(name: "REPLY_VERSION", value: replyVersion ?? apiVersion),
                  .init(name: "EXPIRY", value: expiry)],
            installHint: installHint, provideClusterInfo: provideClusterInfo, interactiveMode: "Never", directory: dir.path)
    }
}
