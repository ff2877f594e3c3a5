import BerthDaemon
import Foundation
import HostPortSyntax

/// What the page shows, sent whole on every event of the stream (docs/dashboard.md).
public struct DashboardSnapshot: Codable, Sendable {
    /// When the snapshot was taken.
    public var at: Date
    /// The daemon's status: every forward in manifest order.
    public var status: DaemonStatus
    /// The daemon's own health.
    public var health: Health
    /// What the page adds to each forward's status, by forward name.
    public var forwards: [String: ForwardExtras]
    /// The last events, newest first.
    public var events: [DashboardEvent]

    /// The daemon's health with the API request rate.
    public struct Health: Codable, Sendable, Hashable {
        /// Watches running now.
        public var watches: Int
        /// API requests sent since the daemon started.
        public var apiRequests: Int
        /// API requests over the last minute (or since the dashboard started, scaled to a minute).
        public var apiRequestsPerMinute: Double
        /// Resyncs after settled network changes.
        public var resyncs: Int
    }

    /// What the dashboard knows of a forward beyond its status.
    public struct ForwardExtras: Codable, Sendable, Hashable {
        /// Times it moved to another pod since the daemon started (its status's `rebinds`).
        public var rebinds: Int
        /// Per port, in status order: a URL to open when the remote port speaks HTTP, else nil.
        public var links: [String?]
    }
}

/// Whether a forward's remote port speaks HTTP, and so gets a link on the page.
///
/// The rule (docs/dashboard.md): the port's name, as the manifest gives it, is `http`, `https`, `web`, `http2`
/// or `h2c`, or begins with `http-`, `https-` or `http2-` (the Kubernetes and Istio naming habit); or its
/// number (as given, or resolved on the pod) is 80, 443, 8080 or 8443. `https` names and ports 443 and 8443
/// link with `https://`.
enum HTTPPortRule {
    static let names: Set<String> = ["http", "https", "web", "http2", "h2c"]
    static let prefixes = ["http-", "https-", "http2-"]
    static let numbers: Set<Int> = [80, 443, 8080, 8443]
    static let secureNumbers: Set<Int> = [443, 8443]

    /// The URL scheme to open `port` with, or nil when it does not look like HTTP.
    static func scheme(of port: PortStatus) -> String? {
        let name = port.remote.lowercased()
        let numbers = [Int(port.remote), port.targetPort].compactMap(\.self)
        if Int(name) == nil, names.contains(name) || prefixes.contains(where: name.hasPrefix) {
            return name.hasPrefix("https") ? "https" : "http"
        }
        guard numbers.contains(where: Self.numbers.contains) else { return nil }
        return numbers.contains(where: secureNumbers.contains) ? "https" : "http"
    }

    /// The links of a forward's ports: its first installed local name, else its address, and the bound port.
    static func links(of forward: ForwardStatus) -> [String?] {
        forward.ports.map { port in
            guard let scheme = scheme(of: port), let local = port.localPort else { return nil }
            let host = forward.namesInstalled == true ? forward.hostnames.first : nil
            let ip = forward.address ?? port.address
            let address = host ?? HostPort.format(host: ip, port: nil)
            return "\(scheme)://\(address):\(local)/"
        }
    }
}

/// One thing that happened, as the events list shows it.
public struct DashboardEvent: Codable, Sendable, Hashable {
    /// When the dashboard saw it.
    public var at: Date
    /// `rebind` (to Rebinding), `failed` (to Failed), `ready` (back to Ready after either), `resync`.
    public var kind: String
    /// The forward, except for a resync.
    public var forward: String?
    /// The reason and message of the new phase, or the resync count.
    public var detail: String?
}
