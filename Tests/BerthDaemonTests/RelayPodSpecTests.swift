@testable import BerthDaemon
import BerthManifest
import Foundation
import KubeAPI
import Testing

/// The relay pod as a pure function of owner, image and routes (docs/relay.md, "The relay pod").
@Suite struct RelayPodSpecTests {
    static let routes = [
        RelayRoute(forward: "statsd", index: 0, protocol: .udp, host: "10.20.0.7", port: 8125),
        RelayRoute(forward: "orders-db", index: 1, protocol: .tcp, host: "orders.example.com", port: 5433),
        RelayRoute(forward: "orders-db", index: 0, protocol: .tcp, host: "orders.example.com", port: 5432),
        RelayRoute(forward: "v6", index: 0, protocol: .udp, host: "fd00::7", port: 53),
    ]

    @Test func listenPortsFollowForwardNameThenPortAndTheArgumentsSayWhereEachGoes() throws {
        let spec = RelayPodSpec(owner: "0123456789abcdef", image: "ghcr.io/berth-dev/berth-relay:0.2", namespace: "shop", routes: Self.routes)
        #expect(spec.listenPorts[Self.routes[2]] == 10000)
        #expect(spec.listenPorts[Self.routes[1]] == 10001)
        #expect(spec.listenPorts[Self.routes[0]] == 10002)
        #expect(spec.listenPorts[Self.routes[3]] == 10003)
        let container = try #require(spec.pod.spec?.containers?.first)
        #expect(container.name == "relay" && container.image == "ghcr.io/berth-dev/berth-relay:0.2")
        #expect(container.args == [
            "--listen", "127.0.0.1",
            "--tcp", "10000=orders.example.com:5432", "--tcp", "10001=orders.example.com:5433",
            "--udp", "10002=10.20.0.7:8125", "--udp", "10003=[fd00::7]:53",
        ])
        #expect(container.ports?.map(\.containerPort) == [10000, 10001, 10002, 10003])
        #expect(container.ports?.allSatisfy { $0.protocol == "TCP" } == true)
    }

    @Test func thePodIsLabelledForItsOwnerAndGivesUpEveryPrivilege() throws {
        let spec = RelayPodSpec(owner: "0123456789abcdef", image: "relay:1", namespace: "shop", routes: Self.routes)
        #expect(spec.pod.metadata.namespace == "shop")
        #expect(spec.pod.metadata.labels == [
            "app.kubernetes.io/managed-by": "berth", "app.kubernetes.io/name": "berth-relay", "berth.dev/owner": "0123456789abcdef",
        ])
        #expect(spec.name.hasPrefix("berth-relay-0123456789abcdef-") && spec.name.count == "berth-relay-0123456789abcdef-".count + 6)
        let security = try #require(spec.pod.spec?.containers?.first?.securityContext)
        #expect(security == SecurityContext(
            runAsNonRoot: true, runAsUser: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
            capabilities: Capabilities(drop: ["ALL"])))
        #expect(spec.pod.spec?.automountServiceAccountToken == false)
        // What the API server receives: the fields a pod spec spells, nothing berth leaves unset.
        let json = String(decoding: try JSONEncoder().encode(spec.pod), as: UTF8.self)
        #expect(json.contains("\"readOnlyRootFilesystem\":true") && !json.contains("null"))
    }

    @Test func theNameChangesWithWhatThePodRunsAndOnlyWithThat() {
        let base = RelayPodSpec(owner: "0123456789abcdef", image: "relay:1", namespace: "shop", routes: Self.routes)
        #expect(RelayPodSpec(owner: "0123456789abcdef", image: "relay:1", namespace: "shop", routes: Self.routes.reversed()).name == base.name)
        #expect(RelayPodSpec(owner: "0123456789abcdef", image: "relay:2", namespace: "shop", routes: Self.routes).name != base.name)
        #expect(RelayPodSpec(owner: "0123456789abcdef", image: "relay:1", namespace: "shop", routes: Array(Self.routes.dropFirst())).name != base.name)
        #expect(RelayPodSpec(owner: "fedcba9876543210", image: "relay:1", namespace: "shop", routes: Self.routes).name != base.name)
    }

    @Test func theOwnerIsSixteenHexOfUserHostAndTheManifestSetInAnyOrder() {
        let owner = RelayOwner.id(user: "ana", host: "laptop", manifests: ["/a/forwards.yaml", "/a/forwards.local.yaml"])
        #expect(owner.count == 16 && owner.allSatisfy(\.isHexDigit))
        #expect(owner == RelayOwner.id(user: "ana", host: "laptop", manifests: ["/a/forwards.local.yaml", "/a/forwards.yaml"]))
        #expect(owner != RelayOwner.id(user: "ana", host: "laptop", manifests: ["/a/forwards.yaml"]))
        #expect(owner != RelayOwner.id(user: "bo", host: "laptop", manifests: ["/a/forwards.yaml", "/a/forwards.local.yaml"]))
    }
}

/// Where the relay sends each port of a forward (docs/relay.md): the host itself, or the service's cluster name.
@Suite struct RelayRouteTests {
    static let dns = Service(
        metadata: ObjectMeta(name: "kube-dns", namespace: "kube-system"),
        spec: ServiceSpec(ports: [
            ServicePort(name: "dns", protocol: "UDP", port: 53),
            ServicePort(name: "dns-tcp", protocol: "TCP", port: 53),
        ]))

    @Test func aHostTargetSendsEveryPortToTheHost() throws {
        let spec = ForwardSpec(name: "db", target: .host("orders.example.com"), ports: [
            PortMapping(local: 5432, remote: .number(5432)), PortMapping(local: 8125, remote: .number(8125), protocol: .udp),
        ])
        let routes = try ForwardReconciler.relayRoutes(spec, namespace: "shop", observed: ObservedObjects(), clusterDomain: "cluster.local").get()
        #expect(routes == [
            RelayRoute(forward: "db", index: 0, protocol: .tcp, host: "orders.example.com", port: 5432),
            RelayRoute(forward: "db", index: 1, protocol: .udp, host: "orders.example.com", port: 8125),
        ])
    }

    @Test func aServiceTargetSendsToItsClusterNameAndServicePortOfTheSameProtocol() throws {
        let spec = ForwardSpec(name: "dns", namespace: "kube-system", target: .service("kube-dns"), ports: [
            PortMapping(local: 5353, remote: .name("dns"), protocol: .udp), PortMapping(local: 5354, remote: .number(53)),
        ])
        let routes = try ForwardReconciler.relayRoutes(spec, namespace: "kube-system", observed: ObservedObjects(services: [Self.dns]), clusterDomain: "example.internal").get()
        #expect(routes == [
            RelayRoute(forward: "dns", index: 0, protocol: .udp, host: "kube-dns.kube-system.svc.example.internal", port: 53),
            RelayRoute(forward: "dns", index: 1, protocol: .tcp, host: "kube-dns.kube-system.svc.example.internal", port: 53),
        ])
        // `dns` is a UDP port: asking for it over TCP names the protocol that is missing.
        let wrong = ForwardSpec(name: "dns", target: .service("kube-dns"), ports: [PortMapping(local: 5353, remote: .name("dns"))])
        guard case .failure(let problem) = ForwardReconciler.relayRoutes(wrong, namespace: "kube-system", observed: ObservedObjects(services: [Self.dns]), clusterDomain: "cluster.local"),
              case .unresolved(.servicePortNotFound, let message) = problem.outcome else {
            Issue.record("a TCP route to a UDP-only port name must not resolve")
            return
        }
        #expect(message == "service \"kube-dns\" has no TCP port dns")
    }

    @Test func aPodTargetSendsToThePodsAddressAndNamedPortOfTheSameProtocol() throws {
        var pod = Pod(
            metadata: ObjectMeta(name: "statsd-0", namespace: "default", uid: "uid-statsd-0", labels: ["app": "statsd"]),
            spec: PodSpec(containers: [Container(name: "c", ports: [ContainerPort(name: "metrics", containerPort: 8125, protocol: "UDP")])]),
            status: PodStatus(phase: "Running", conditions: [Condition(type: "Ready", status: "True", lastTransitionTime: "2026-01-01T00:00:00Z")]))
        pod.status?.podIP = "10.244.0.9"
        let spec = ForwardSpec(name: "statsd", target: .selector(["app": "statsd"]), ports: [
            PortMapping(local: 8125, remote: .name("metrics"), protocol: .udp),
        ])
        let routes = try ForwardReconciler.relayRoutes(spec, namespace: "default", observed: ObservedObjects(pods: [pod]), clusterDomain: "cluster.local").get()
        #expect(routes == [RelayRoute(forward: "statsd", index: 0, protocol: .udp, host: "10.244.0.9", port: 8125)])
        // No ready pod: unresolved as for a direct forward, so the hold applies.
        pod.status?.conditions = nil
        guard case .failure(let problem) = ForwardReconciler.relayRoutes(spec, namespace: "default", observed: ObservedObjects(pods: [pod]), clusterDomain: "cluster.local"),
              case .unresolved(.noReadyEndpoints, _) = problem.outcome else {
            Issue.record("a pod that is not ready must not be routed to")
            return
        }
    }
}
