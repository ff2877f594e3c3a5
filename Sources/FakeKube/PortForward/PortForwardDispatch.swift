import Foundation
import NIOHTTP1

// docs/port-forward.md, "Dispatch" as a pure function of the request head, so every branch is testable without sockets.

/// The protocol a port-forward upgrade request gets.
enum PortForwardUpgradePlan: Equatable {
    /// SPDY/3.1 directly on the connection (kubectl ≤1.30, or the fallback).
    case spdy
    /// SPDY/3.1 tunnelled in WebSocket binary messages (KEP-4006, kubectl 1.31+).
    case spdyOverWebSocket(key: String)
    /// WebSocket `v4.channel.k8s.io` (or no subprotocol: binary framing) for these ports.
    case webSocketV4(key: String, subprotocol: String?, ports: [Int])
}

/// What to do with a request, before admission decides on the pod.
enum PortForwardDispatch: Equatable {
    /// Not a port-forward upgrade: the API handler answers it.
    case notPortForwardUpgrade
    /// Upgrade with this plan.
    case upgrade(PortForwardUpgradePlan)
    /// Refuse before any upgrade, as the kubelet/apiserver would.
    case reject(status: HTTPResponseStatus, message: String, extraHeaders: [(String, String)])

    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.notPortForwardUpgrade, .notPortForwardUpgrade): true
        case (.upgrade(let a), .upgrade(let b)): a == b
        case (.reject(let a, let m, let h), .reject(let b, let n, let k)):
            a == b && m == n && h.map { "\($0):\($1)" } == k.map { "\($0):\($1)" }
        default: false
        }
    }

    static let portForwardProtocol = "portforward.k8s.io"
    static let tunnelProtocol = "SPDY/3.1+portforward.k8s.io"
    static let v4Protocol = "v4.channel.k8s.io"

    /// Whether the path is `/api/v1/namespaces/NS/pods/NAME/portforward`.
    static func isPortForwardPath(_ uri: String) -> Bool {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 8 && parts[0].isEmpty && parts[1] == "api" && parts[2] == "v1"
            && parts[3] == "namespaces" && !parts[4].isEmpty && parts[5] == "pods" && !parts[6].isEmpty
            && parts[7] == "portforward"
    }

    /// Whether the request carries `Upgrade` with `Connection: upgrade` (what makes it an upgrade request).
    static func asksForUpgrade(_ head: HTTPRequestHead) -> Bool {
        !head.headers["upgrade"].isEmpty && tokens(head.headers["connection"]).contains("upgrade")
    }

    /// Whether the upgrade asked for is a WebSocket (the SPDY tunnel or v4), not the SPDY `POST`.
    static func asksForWebSocket(_ head: HTTPRequestHead) -> Bool {
        asksForUpgrade(head) && tokens(head.headers["upgrade"]).contains("websocket")
    }

    /// Decides the protocol for a port-forward request, given that it is one.
    static func decide(_ head: HTTPRequestHead) -> PortForwardDispatch {
        guard isPortForwardPath(head.uri), asksForUpgrade(head) else { return .notPortForwardUpgrade }
        let upgrade = tokens(head.headers["upgrade"])
        if upgrade.contains("websocket") {
            guard let key = head.headers.first(name: "sec-websocket-key"), !key.isEmpty,
                head.headers.first(name: "sec-websocket-version") == "13"
            else {
                return .reject(status: .badRequest, message: "unable to upgrade: invalid WebSocket handshake", extraHeaders: [])
            }
            let offered = head.headers["sec-websocket-protocol"]
                .flatMap { $0.split(separator: ",") }
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            if offered.contains(where: { $0.hasPrefix("SPDY/3.1+") && $0.hasSuffix(".k8s.io") }) {
                return .upgrade(.spdyOverWebSocket(key: key))
            }
            let chosen = offered.first { $0 == v4Protocol }
            if !offered.isEmpty && chosen == nil {
                return .reject(
                    status: .badRequest,
                    message: "unable to upgrade: unsupported WebSocket subprotocols \(offered), server accepts [\(v4Protocol)]",
                    extraHeaders: []
                )
            }
            switch ports(from: head.uri) {
            case .failure(let message):
                return .reject(status: .badRequest, message: message, extraHeaders: [])
            case .success(let ports):
                return .upgrade(.webSocketV4(key: key, subprotocol: chosen, ports: ports))
            }
        }
        if upgrade.contains("spdy/3.1") {
            let versions = tokens(head.headers["x-stream-protocol-version"])
            guard versions.contains(portForwardProtocol) else {
                return .reject(
                    status: .forbidden,
                    message: "unable to upgrade: unable to negotiate protocol: client supports \(versions), server accepts [\(portForwardProtocol)]",
                    extraHeaders: [("X-Accepted-Stream-Protocol-Versions", portForwardProtocol)]
                )
            }
            return .upgrade(.spdy)
        }
        return .reject(status: .badRequest, message: "Upgrade request required", extraHeaders: [])
    }

    private enum PortsResult { case success([Int]), failure(String) }

    /// The `ports` query: repeated and/or comma-separated, each 1…65535, at least one.
    private static func ports(from uri: String) -> PortsResult {
        let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
        var ports: [Int] = []
        for item in query.split(separator: "&") where !item.isEmpty {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, pair[0] == "ports" else { continue }
            let value = String(pair[1]).removingPercentEncoding ?? String(pair[1])
            for raw in value.split(separator: ",") {
                guard let port = Int(raw.trimmingCharacters(in: .whitespaces)), (1...65535).contains(port) else {
                    return .failure("invalid port value \"\(raw)\": ports must be integers between 1 and 65535")
                }
                ports.append(port)
            }
        }
        return ports.isEmpty ? .failure("query parameter \"ports\" is required") : .success(ports)
    }

    private static func tokens(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }
}
