import BerthDaemon
import Foundation
import Testing

/// The typed reasons write the same words status has always written, and keep words berth does not name.
@Suite struct ForwardReasonTests {
    @Test func eachReasonWritesTheWordStatusShowsAndReadsBackToItself() throws {
        let words = ForwardReason.named.map(\.rawValue)
        #expect(words == [
            "CacheSyncing", "PortInUse", "PermissionDenied", "AddressUnavailable", "ListenFailed", "KubeconfigInvalid",
            "NotFound", "NoReadyEndpoints", "ServicePortNotFound", "NamedPortNotFound", "NoSelector", "Forbidden",
            "Unauthorized", "ClusterUnreachable", "ObserveFailed", "PortForwardFailed", "RelayStarting", "RelayPodFailed",
        ])
        for reason in ForwardReason.named {
            let encoded = try JSONEncoder().encode(reason)
            #expect(String(decoding: encoded, as: UTF8.self) == "\"\(reason.rawValue)\"")
            let decoded = try JSONDecoder().decode(ForwardReason.self, from: encoded)
            #expect(decoded == reason)
            guard case .other = decoded else { continue }
            Issue.record("\(reason.rawValue) decoded as other")
        }
    }

    @Test func aWordFromTheAPIServerIsKeptAsItCame() throws {
        let decoded = try JSONDecoder().decode(ForwardReason.self, from: Data(#""TooManyRequests""#.utf8))
        #expect(decoded == .other("TooManyRequests"))
        #expect(String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self) == #""TooManyRequests""#)
        #expect(ForwardReason(word: "Forbidden") == .forbidden, "a word berth names is its own case")
        guard case .forbidden = ForwardReason(word: "Forbidden") else {
            Issue.record("Forbidden from the API server is not .forbidden")
            return
        }
    }

    @Test func aStatusDocumentShowsTheReasonAsAPlainString() throws {
        let status = ForwardStatus(
            name: "db", phase: .failed, reason: .portInUse, message: "in use", target: "service/db", context: nil,
            namespace: "data", ports: [], since: Date(timeIntervalSince1970: 0))
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(status)) as? [String: Any]
        #expect(object?["reason"] as? String == "PortInUse")
        let back = try JSONDecoder().decode(ForwardStatus.self, from: JSONEncoder().encode(status))
        #expect(back.reason == .portInUse)
    }
}
