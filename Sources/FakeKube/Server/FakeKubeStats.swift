import Synchronization

/// A snapshot of what the fake cluster has served and holds open (`GET /fake/v1/stats`).
public struct FakeKubeStats: Sendable, Equatable {
    /// A kind of request: its verb (`get`, `list`, `watch`, `create`, `delete`, `patch`, `update`, `portforward`,
    /// `discovery`, `fake`) and resource (`pods`, `endpointslices`, … or the path for non-resource requests).
    public struct RequestKey: Sendable, Hashable, Comparable {
        /// The verb.
        public var verb: String
        /// The resource.
        public var resource: String

        /// A key.
        public init(verb: String, resource: String) {
            self.verb = verb
            self.resource = resource
        }

        /// Orders by verb, then resource.
        public static func < (lhs: RequestKey, rhs: RequestKey) -> Bool {
            (lhs.verb, lhs.resource) < (rhs.verb, rhs.resource)
        }
    }

    /// Requests served since start (or the last reset), by verb and resource.
    public var requests: [RequestKey: Int]
    /// Watch streams open now.
    public var openWatches: Int
    /// Port-forward sessions (upgraded connections) open now.
    public var openPortForwardSessions: Int
    /// Forwarded streams open now.
    public var openPortForwardStreams: Int
    /// Port-forward sessions accepted since start.
    public var totalPortForwardSessions: Int = 0
    /// Forwarded streams open now in each open session, oldest session first.
    public var portForwardStreamsPerSession: [Int] = []
    /// API server connections open now.
    public var openConnections: Int

    /// Requests with this verb (and resource, when given).
    public func count(verb: String, resource: String? = nil) -> Int {
        requests.filter { $0.key.verb == verb && (resource == nil || $0.key.resource == resource) }.values.reduce(0, +)
    }

    /// Every request counted, excluding the `/fake/v1` endpoints themselves.
    public var totalAPIRequests: Int {
        requests.filter { $0.key.verb != "fake" }.values.reduce(0, +)
    }

    /// The JSON served at `/fake/v1/stats`.
    public var json: JSON {
        var byVerb: [String: JSON] = [:]
        var byKey: [String: JSON] = [:]
        for (key, count) in requests {
            byVerb[key.verb] = .int((byVerb[key.verb]?.intValue ?? 0) + count)
            byKey["\(key.verb) \(key.resource)"] = .int(count)
        }
        return [
            "kind": "FakeKubeStats",
            "requests": .object(byKey),
            "requestsByVerb": .object(byVerb),
            "totalAPIRequests": .int(totalAPIRequests),
            "openWatches": .int(openWatches),
            "openConnections": .int(openConnections),
            "portForward": [
                "openSessions": .int(openPortForwardSessions), "openStreams": .int(openPortForwardStreams),
                "totalSessions": .int(totalPortForwardSessions),
                "streamsPerSession": .array(portForwardStreamsPerSession.map { .int($0) }),
            ],
        ]
    }
}

/// Request counters, shared by every connection.
final class RequestCounters: Sendable {
    private let counts = Mutex<[FakeKubeStats.RequestKey: Int]>([:])

    func count(verb: String, resource: String) {
        counts.withLock { $0[FakeKubeStats.RequestKey(verb: verb, resource: resource), default: 0] += 1 }
    }

    var snapshot: [FakeKubeStats.RequestKey: Int] { counts.withLock { $0 } }

    func reset() { counts.withLock { $0 = [:] } }
}
