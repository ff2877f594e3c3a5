import BerthManifest
import Crypto
import Foundation
import KubeAPI

/// The relay pod berth runs in one namespace of one cluster, as a pure function of who owns it, its image and
/// the routes it carries (docs/relay.md, "The relay pod"). Pods are immutable, so another route set is another
/// pod: its name ends in a hash of what it runs.
public struct RelayPodSpec: Sendable, Hashable {
    /// The label every pod berth manages carries.
    public static let managedByLabel = "app.kubernetes.io/managed-by"
    /// The label that says the pod is a relay.
    public static let nameLabel = "app.kubernetes.io/name"
    /// The label naming the daemon that owns the pod; a daemon never touches another owner's pods.
    public static let ownerLabel = "berth.dev/owner"
    /// The first port the relay listens on; the others follow in route order.
    public static let firstListenPort = 10000
    /// The uid the relay runs as (the image's `USER`): not root.
    public static let relayUser = 65532

    /// The pod's name: `berth-relay-OWNER-HASH`.
    public let name: String
    /// The pod as it is created.
    public let pod: Pod
    /// The relay's listen port of each route.
    public let listenPorts: [RelayRoute: Int]

    /// Builds the pod of `owner` in `namespace` that carries `routes` with `image`.
    public init(owner: String, image: String, namespace: String, routes: [RelayRoute]) {
        let ordered = routes.sorted(by: RelayRoute.inRelayOrder)
        var arguments = ["--listen", "127.0.0.1"]
        var ports: [Int: RelayRoute] = [:]
        var listenPorts: [RelayRoute: Int] = [:]
        for (offset, route) in ordered.enumerated() {
            let listen = Self.firstListenPort + offset
            arguments += ["--\(route.protocol.rawValue)", "\(listen)=\(route.destination)"]
            ports[listen] = route
            listenPorts[route] = listen
        }
        let hash = RelayHash.hex(([image] + arguments).joined(separator: "\n")).prefix(6)
        name = "berth-relay-\(owner)-\(hash)"
        self.listenPorts = listenPorts
        let container = Container(
            name: "relay", image: image,
            // Declared TCP: every listen port is reached through port-forward, UDP ones carry framed datagrams.
            ports: ports.keys.sorted().map { ContainerPort(containerPort: $0, protocol: "TCP") },
            args: arguments,
            securityContext: SecurityContext(
                runAsNonRoot: true, runAsUser: Self.relayUser, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
                capabilities: Capabilities(drop: ["ALL"])))
        pod = Pod(
            metadata: ObjectMeta(name: name, namespace: namespace, labels: Self.labels(owner: owner)),
            spec: PodSpec(
                containers: [container], restartPolicy: "Always", terminationGracePeriodSeconds: 1,
                // The relay never talks to the API server: no token in the pod.
                automountServiceAccountToken: false))
    }

    /// The labels of every relay pod of `owner`, which also select them.
    public static func labels(owner: String) -> [String: String] {
        [managedByLabel: "berth", nameLabel: "berth-relay", ownerLabel: owner]
    }
}

/// SHA-256 as lowercase hex: a stable short id when a prefix is taken (not a secret).
enum RelayHash {
    static func hex(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Who owns a relay pod: one daemon, told apart by user, machine and manifest set, so two daemons sharing a
/// namespace never delete each other's relay.
public enum RelayOwner {
    /// 16 hex digits of a hash of the user name, host name and the sorted absolute manifest paths.
    public static func id(user: String, host: String, manifests: [String]) -> String {
        String(RelayHash.hex(([user, host] + manifests.sorted()).joined(separator: "\n")).prefix(16))
    }
}
