/// The pod and port an upstream stream reaches.
///
/// Two endpoints are the same only if the pod UID matches too: a pod recreated under the same name
/// is a different endpoint, and connections to the old one must close.
public struct UpstreamEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The pod's namespace.
    public var namespace: String
    /// The pod's name.
    public var podName: String
    /// The pod's UID, which tells a recreated pod from its predecessor.
    public var podUID: String
    /// The container port inside the pod.
    public var port: Int

    /// Creates an endpoint.
    public init(namespace: String, podName: String, podUID: String, port: Int) {
        self.namespace = namespace
        self.podName = podName
        self.podUID = podUID
        self.port = port
    }

    /// `pod/NAMESPACE/NAME:PORT`, as it appears in logs and status.
    public var description: String { "pod/\(namespace)/\(podName):\(port)" }
}
