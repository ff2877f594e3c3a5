import BerthManifest
import KubeAPI
import KubeClient
import Testing

@testable import BerthDaemon

/// Pods and services as the stores hold them, with only the fields resolution reads.
private enum Cluster {
    static func pod(
        _ name: String, labels: [String: String] = ["app": "web"], ready: Bool = true, phase: String = "Running",
        readySince: String = "2026-01-01T00:00:00Z", terminating: Bool = false, ports: [ContainerPort] = [.init(name: "http", containerPort: 8080)]
    ) -> Pod {
        Pod(
            metadata: ObjectMeta(name: name, namespace: "default", uid: "uid-\(name)", deletionTimestamp: terminating ? "2026-01-02T00:00:00Z" : nil, labels: labels),
            spec: PodSpec(containers: [Container(name: "c", ports: ports)]),
            status: PodStatus(phase: phase, conditions: [Condition(type: "Ready", status: ready ? "True" : "False", lastTransitionTime: readySince)]))
    }

    static let service = Service(
        metadata: ObjectMeta(name: "web", namespace: "default"),
        spec: ServiceSpec(selector: ["app": "web"], ports: [ServicePort(name: "http", port: 80, targetPort: .string("http"))]))

    static func slice(_ endpoints: [(String, Bool)], port: Int = 8080) -> EndpointSlice {
        EndpointSlice(
            metadata: ObjectMeta(name: "web-abc", namespace: "default", labels: [EndpointSlice.serviceNameLabel: "web"]),
            addressType: "IPv4",
            endpoints: endpoints.map { name, ready in
                Endpoint(addresses: ["10.0.0.1"], conditions: EndpointConditions(ready: ready), targetRef: ObjectReference(kind: "Pod", name: name, uid: "uid-\(name)"))
            },
            ports: [EndpointPort(name: "http", port: port, protocol: "TCP")])
    }
}

@Suite struct TargetResolverTests {
    private func resolve(
        _ target: ForwardTarget, ports remotes: [RemotePort] = [.number(80)], _ observed: ObservedObjects, current: String? = nil
    ) -> TargetResolution {
        TargetResolver.resolve(
            target: target, ports: remotes.map { PortMapping(local: 0, remote: $0) }, namespace: "default",
            observed: observed, current: current)
    }

    @Test func aPodUnderAHeadlessServiceHasItsDomainName() {
        var pod = Cluster.pod("postgres-0", labels: ["app": "postgres"])
        pod.spec?.hostname = "postgres-0"
        pod.spec?.subdomain = "postgres"
        let headless = Service(metadata: ObjectMeta(name: "postgres", namespace: "default"), spec: ServiceSpec(selector: ["app": "postgres"], clusterIP: "None"))
        var withIP = headless
        withIP.spec?.clusterIP = "10.96.0.9"
        let target = ForwardTarget.selector(["app": "postgres"])
        #expect(resolve(target, ports: [.number(8080)], ObservedObjects(services: [headless], pods: [pod]))
            == .endpoint(ResolvedEndpoint(pod: "postgres-0", uid: "uid-postgres-0", containerPorts: [8080], podDomainName: "postgres-0.postgres")))
        // A service with a cluster IP gives its pods no names, nor does a subdomain no service has.
        #expect(resolve(target, ports: [.number(8080)], ObservedObjects(services: [withIP], pods: [pod]))
            == .endpoint(ResolvedEndpoint(pod: "postgres-0", uid: "uid-postgres-0", containerPorts: [8080])))
        #expect(resolve(target, ports: [.number(8080)], ObservedObjects(pods: [pod]))
            == .endpoint(ResolvedEndpoint(pod: "postgres-0", uid: "uid-postgres-0", containerPorts: [8080])))
    }

    @Test func serviceUsesTheSlicePortOfTheReadyEndpoint() {
        let observed = ObservedObjects(
            services: [Cluster.service], endpointSlices: [Cluster.slice([("web-1", false), ("web-2", true)], port: 9000)],
            pods: [Cluster.pod("web-1"), Cluster.pod("web-2")])
        #expect(resolve(.service("web"), ports: [.name("http")], observed) == .endpoint(ResolvedEndpoint(pod: "web-2", uid: "uid-web-2", containerPorts: [9000])))
    }

    /// Pods and slices come from separate watches: a slice can name a ready pod the pods store does not have yet.
    /// The service's endpoint is then that pod, by the slice's UID, and it must count as live: the next reconcile
    /// would otherwise close the connections just bridged to it, as if the pod were gone.
    @Test func aPodOnlyASliceNamesYetIsTheEndpointAndCountsAsLive() {
        let observed = ObservedObjects(
            services: [Cluster.service], endpointSlices: [Cluster.slice([("web-2", true)])], pods: [Cluster.pod("web-1")])
        #expect(resolve(.service("web"), observed) == .endpoint(ResolvedEndpoint(pod: "web-2", uid: "uid-web-2", containerPorts: [8080])))
        #expect(observed.livePodUIDs == ["uid-web-1", "uid-web-2"])
        #expect(ObservedObjects(pods: [Cluster.pod("web-1")]).livePodUIDs == ["uid-web-1"])
    }

    /// A StatefulSet's pod deleted and made again under its name, and the pods and slices watches apart: the slice
    /// names one incarnation, the pods store another (either may be the newer). The endpoint is the slice's pod, even
    /// when the store's is terminating, and carries the store's UID beside it.
    @Test func aSliceAndAPodsStoreNamingTwoPodsOfOneNameGiveAnEndpointWithBothUIDs() {
        var slice = Cluster.slice([("app-0", true)])
        slice.endpoints?[0].targetRef?.uid = "uid-app-0-again"
        for stored in [Cluster.pod("app-0"), Cluster.pod("app-0", terminating: true)] {
            let observed = ObservedObjects(services: [Cluster.service], endpointSlices: [slice], pods: [stored])
            #expect(resolve(.service("web"), observed) == .endpoint(ResolvedEndpoint(
                pod: "app-0", uid: "uid-app-0-again", containerPorts: [8080], otherUID: "uid-app-0")))
        }
    }

    /// Connections to such an endpoint went to whichever pod had the name: they count as to a live pod while either
    /// UID is, whichever watch catches up first. A pair neither of whose UIDs is live any more (the pod deleted
    /// again) keeps nothing alive.
    @Test func eitherUIDOfAPairKeepsTheOtherLive() {
        let pairs = [("uid-app-0-again", "uid-app-0")]
        #expect(ForwardReconciler.livePods(["uid-app-0"], pairedIn: pairs) == ["uid-app-0", "uid-app-0-again"])
        #expect(ForwardReconciler.livePods(["uid-app-0-again"], pairedIn: pairs) == ["uid-app-0", "uid-app-0-again"])
        #expect(ForwardReconciler.livePods(["uid-app-0-third"], pairedIn: pairs) == ["uid-app-0-third"])
    }

    @Test func serviceStaysWithTheEndpointInUseWhileReady() {
        let observed = ObservedObjects(
            services: [Cluster.service], endpointSlices: [Cluster.slice([("web-1", true), ("web-2", true)])],
            pods: [Cluster.pod("web-1", readySince: "2026-01-01T00:00:00Z"), Cluster.pod("web-2", readySince: "2026-01-03T00:00:00Z")])
        #expect(resolve(.service("web"), observed) == .endpoint(ResolvedEndpoint(pod: "web-1", uid: "uid-web-1", containerPorts: [8080])))
        #expect(resolve(.service("web"), observed, current: "web-2") == .endpoint(ResolvedEndpoint(pod: "web-2", uid: "uid-web-2", containerPorts: [8080])))
    }

    @Test func serviceSkipsTerminatingPodsAndReportsNoReadyEndpoints() {
        let observed = ObservedObjects(
            services: [Cluster.service], endpointSlices: [Cluster.slice([("web-1", true)])],
            pods: [Cluster.pod("web-1", terminating: true)])
        guard case .unresolved(let reason, _) = resolve(.service("web"), observed) else {
            Issue.record("a terminating pod must not be chosen")
            return
        }
        #expect(reason == .noReadyEndpoints)
    }

    @Test func serviceErrorsNameWhatIsMissing() {
        let observed = ObservedObjects(services: [Cluster.service])
        #expect(resolve(.service("nope"), observed) == .unresolved(.notFound, message: "service \"nope\" not found in namespace default"))
        guard case .unresolved(.servicePortNotFound, let message) = resolve(.service("web"), ports: [.number(81)], observed) else {
            Issue.record("port 81 is not a service port")
            return
        }
        #expect(message.contains("81"))
    }

    @Test func serviceWithoutSlicesFallsBackToItsSelectorAndNamedTargetPort() {
        let observed = ObservedObjects(services: [Cluster.service], pods: [Cluster.pod("web-1", ready: false), Cluster.pod("web-2")])
        #expect(resolve(.service("web"), ports: [.name("http")], observed) == .endpoint(ResolvedEndpoint(pod: "web-2", uid: "uid-web-2", containerPorts: [8080])))
    }

    @Test func podMustBeRunningAndReady() {
        #expect(resolve(.pod("web-1"), ports: [.name("http")], ObservedObjects(pods: [Cluster.pod("web-1")]))
            == .endpoint(ResolvedEndpoint(pod: "web-1", uid: "uid-web-1", containerPorts: [8080])))
        guard case .unresolved(.noReadyEndpoints, let message) = resolve(.pod("web-1"), ObservedObjects(pods: [Cluster.pod("web-1", phase: "Pending")])) else {
            Issue.record("a pending pod must not be chosen")
            return
        }
        #expect(message.contains("Pending"))
        guard case .unresolved(.notFound, _) = resolve(.pod("gone"), ObservedObjects()) else {
            Issue.record("a missing pod is NotFound")
            return
        }
    }

    /// kube-dns lists port 53 twice, UDP first: a direct forward (TCP) takes the TCP entry and its slice port,
    /// and a name that is only UDP is refused with a word on `/udp`.
    @Test func servicePortIsTheTCPEntryWhenAPortIsBothUDPAndTCP() {
        let dns = Service(
            metadata: ObjectMeta(name: "kube-dns", namespace: "default"),
            spec: ServiceSpec(selector: ["app": "web"], ports: [
                ServicePort(name: "dns", protocol: "UDP", port: 53, targetPort: .string("dns")),
                ServicePort(name: "dns-tcp", protocol: "TCP", port: 53, targetPort: .string("dns-tcp")),
            ]))
        let pod = Cluster.pod("dns-0", ports: [
            .init(name: "dns", containerPort: 5353, protocol: "UDP"), .init(name: "dns-tcp", containerPort: 53, protocol: "TCP"),
        ])
        let slice = EndpointSlice(
            metadata: ObjectMeta(name: "kube-dns-abc", namespace: "default", labels: [EndpointSlice.serviceNameLabel: "kube-dns"]),
            addressType: "IPv4",
            endpoints: [Endpoint(addresses: ["10.0.0.1"], conditions: EndpointConditions(ready: true), targetRef: ObjectReference(kind: "Pod", name: "dns-0", uid: "uid-dns-0"))],
            ports: [EndpointPort(name: "dns", port: 5353, protocol: "UDP"), EndpointPort(name: "dns-tcp", port: 53, protocol: "TCP")])
        for observed in [
            ObservedObjects(services: [dns], endpointSlices: [slice], pods: [pod]), ObservedObjects(services: [dns], pods: [pod]),
        ] {
            #expect(resolve(.service("kube-dns"), ports: [.number(53)], observed)
                == .endpoint(ResolvedEndpoint(pod: "dns-0", uid: "uid-dns-0", containerPorts: [53])))
            guard case .unresolved(.servicePortNotFound, let message) = resolve(.service("kube-dns"), ports: [.name("dns")], observed) else {
                Issue.record("a UDP service port must not resolve for a direct forward")
                continue
            }
            #expect(message.contains("is UDP") && message.contains("dns/udp"), "\(message)")
        }
    }

    @Test func namedPortMustExistWithTCP() {
        let udp = Cluster.pod("dns-0", ports: [.init(name: "dns", containerPort: 53, protocol: "UDP")])
        guard case .unresolved(.namedPortNotFound, let message) = resolve(.pod("dns-0"), ports: [.name("dns")], ObservedObjects(pods: [udp])) else {
            Issue.record("a UDP-only named port must not resolve")
            return
        }
        #expect(message.contains("dns"))
    }

    @Test func workloadsAndSelectorsPickTheLongestReadyPod() {
        let set = StatefulSet(metadata: ObjectMeta(name: "db", namespace: "default"), spec: WorkloadSpec(selector: LabelSelector(matchLabels: ["app": "db"])))
        let pods = [
            Cluster.pod("db-1", labels: ["app": "db"], readySince: "2026-01-02T00:00:00Z"),
            Cluster.pod("db-0", labels: ["app": "db"], readySince: "2026-01-01T00:00:00Z"),
            Cluster.pod("db-2", labels: ["app": "db"], ready: false),
            Cluster.pod("web-1"),
        ]
        let observed = ObservedObjects(pods: pods, statefulSets: [set])
        #expect(resolve(.statefulSet("db"), ports: [.number(5432)], observed) == .endpoint(ResolvedEndpoint(pod: "db-0", uid: "uid-db-0", containerPorts: [5432])))
        #expect(resolve(.selector(["app": "db"]), ports: [.number(5432)], observed, current: "db-1")
            == .endpoint(ResolvedEndpoint(pod: "db-1", uid: "uid-db-1", containerPorts: [5432])))
        guard case .unresolved(.notFound, _) = resolve(.deployment("api"), observed) else {
            Issue.record("a missing deployment is NotFound")
            return
        }
        guard case .unresolved(.noReadyEndpoints, _) = resolve(.selector(["app": "none"]), observed) else {
            Issue.record("a selector without pods has no endpoints")
            return
        }
    }
}
