/// Why a forward is in its phase: the machine word of `reason` in `berth status -o json`, the dashboard and the
/// logs (docs/controller.md, "Phases and reasons").
///
/// Encoded as its raw value, the same string status has always shown. Words berth does not name itself (the
/// `reason` of a `Status` the API server sent when it refused a stream) are kept as they came, in `other`.
public enum ForwardReason: Sendable, Hashable {
    /// The cluster's caches have not had their first list yet (Pending).
    case cacheSyncing
    /// Another process listens on the local port.
    case portInUse
    /// The local address or port may not be bound by this user.
    case permissionDenied
    /// The local address is not one of this host's.
    case addressUnavailable
    /// Binding failed for another reason.
    case listenFailed
    /// The kubeconfig or its context cannot be used.
    case kubeconfigInvalid
    /// The service, pod, deployment or statefulset (or, for a stream, the pod) does not exist.
    case notFound
    /// The target exists but no pod behind it is ready.
    case noReadyEndpoints
    /// The service has no port with this number or name.
    case servicePortNotFound
    /// No container of the chosen pod declares a port with this name.
    case namedPortNotFound
    /// The service or workload selects no pods (no selector).
    case noSelector
    /// The API server denied a list, watch, stream or relay pod (RBAC).
    case forbidden
    /// The API server rejected the credentials.
    case unauthorized
    /// The API server does not answer.
    case clusterUnreachable
    /// A watch failed for another reason.
    case observeFailed
    /// Streams to the pod fail (the kubelet's error for the port, a broken connection).
    case portForwardFailed
    /// The relay pod is on its way (docs/relay.md).
    case relayStarting
    /// The relay pod cannot be created.
    case relayPodFailed
    /// A word berth does not name itself, as the API server sent it.
    case other(String)

    /// Every reason berth names itself, for tables and tests.
    public static let named: [ForwardReason] = [
        .cacheSyncing, .portInUse, .permissionDenied, .addressUnavailable, .listenFailed, .kubeconfigInvalid,
        .notFound, .noReadyEndpoints, .servicePortNotFound, .namedPortNotFound, .noSelector, .forbidden,
        .unauthorized, .clusterUnreachable, .observeFailed, .portForwardFailed, .relayStarting, .relayPodFailed,
    ]
}

extension ForwardReason: RawRepresentable {
    /// The word as status shows it: `PortInUse`, `NoReadyEndpoints`, …
    public var rawValue: String {
        switch self {
        case .cacheSyncing: "CacheSyncing"
        case .portInUse: "PortInUse"
        case .permissionDenied: "PermissionDenied"
        case .addressUnavailable: "AddressUnavailable"
        case .listenFailed: "ListenFailed"
        case .kubeconfigInvalid: "KubeconfigInvalid"
        case .notFound: "NotFound"
        case .noReadyEndpoints: "NoReadyEndpoints"
        case .servicePortNotFound: "ServicePortNotFound"
        case .namedPortNotFound: "NamedPortNotFound"
        case .noSelector: "NoSelector"
        case .forbidden: "Forbidden"
        case .unauthorized: "Unauthorized"
        case .clusterUnreachable: "ClusterUnreachable"
        case .observeFailed: "ObserveFailed"
        case .portForwardFailed: "PortForwardFailed"
        case .relayStarting: "RelayStarting"
        case .relayPodFailed: "RelayPodFailed"
        case .other(let word): word
        }
    }

    /// The reason a word stands for; never nil: a word berth does not name is `other`.
    public init?(rawValue: String) {
        self.init(word: rawValue)
    }

    /// The reason a word stands for: one of berth's own, or `other` (an API server's `Status.reason`).
    public init(word: String) {
        self = Self.byWord[word] ?? .other(word)
    }

    private static let byWord: [String: ForwardReason] = Dictionary(uniqueKeysWithValues: named.map { ($0.rawValue, $0) })
}

extension ForwardReason: Codable {
    /// Decodes the word as status wrote it.
    public init(from decoder: any Decoder) throws {
        self.init(word: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the word, unchanged from the strings status has always written.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension ForwardReason {
    /// Equal when the words are: `.other("NotFound")` is `.notFound`.
    public static func == (lhs: ForwardReason, rhs: ForwardReason) -> Bool { lhs.rawValue == rhs.rawValue }

    /// Hashes the word, as `==` compares it.
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}

extension ForwardReason: CustomStringConvertible {
    public var description: String { rawValue }
}
