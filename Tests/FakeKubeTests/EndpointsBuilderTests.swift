import Testing

@testable import FakeKube

@Suite struct EndpointsBuilderTests {
    private let service: JSON = [
        "metadata": ["name": "web", "namespace": "default", "uid": "svc-uid"],
        "spec": [
            "selector": ["app": "web"],
            "ports": [["name": "http", "port": 80, "targetPort": "http"], ["name": "admin", "port": 81, "targetPort": 9000]],
        ],
    ]

    private func pod(_ name: String, ip: String?, ready: Bool, terminating: Bool = false, httpPort: Int = 8080, app: String = "web") -> JSON {
        var metadata: JSON = ["name": .string(name), "namespace": "default", "uid": .string("uid-\(name)"), "labels": ["app": .string(app)]]
        if terminating { metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z" }
        var status: JSON = [
            "phase": "Running",
            "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
        ]
        if let ip { status["podIP"] = .string(ip) }
        return [
            "metadata": metadata,
            "spec": ["nodeName": "n1", "containers": [["name": "c", "ports": [["name": "http", "containerPort": .int(httpPort)]]]]],
            "status": status,
        ]
    }

    @Test func conditionsFollowReadinessAndTermination() throws {
        let pods = [
            pod("a", ip: "10.0.0.1", ready: true),
            pod("b", ip: "10.0.0.2", ready: false),
            pod("c", ip: "10.0.0.3", ready: true, terminating: true),
            pod("d", ip: nil, ready: true),
            pod("e", ip: "10.0.0.5", ready: true, app: "other"),
        ]
        let slices = EndpointsBuilder.slices(service: service, pods: pods)
        #expect(slices.count == 1)
        let slice = try #require(slices.first)
        #expect(slice["metadata"]?["labels"]?["kubernetes.io/service-name"] == "web")
        let endpoints = try #require(slice["endpoints"]?.arrayValue)
        #expect(endpoints.map { $0["targetRef"]?["name"]?.stringValue } == ["a", "b", "c"])
        let conditions = endpoints.map { $0["conditions"]! }
        #expect(conditions[0] == ["ready": true, "serving": true, "terminating": false])
        #expect(conditions[1] == ["ready": false, "serving": false, "terminating": false])
        #expect(conditions[2] == ["ready": false, "serving": true, "terminating": true])
        #expect(slice["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"], ["name": "admin", "port": 9000, "protocol": "TCP"]])
    }

    @Test func podsResolvingANamedPortDifferentlyGetTheirOwnSlices() throws {
        let slices = EndpointsBuilder.slices(
            service: service, pods: [pod("a", ip: "10.0.0.1", ready: true), pod("b", ip: "10.0.0.2", ready: true, httpPort: 8081)])
        #expect(slices.count == 2)
        let names = Set(slices.compactMap { $0["metadata"]?["name"]?.stringValue })
        #expect(names.count == 2)
        let ports = Set(slices.compactMap { $0["ports"]?.arrayValue?.first?["port"]?.intValue })
        #expect(ports == [8080, 8081])
    }

    @Test func aServiceWithoutPodsHasOneEmptySlice() {
        let slices = EndpointsBuilder.slices(service: service, pods: [])
        #expect(slices.count == 1)
        #expect(slices.first?["endpoints"] == [])
    }

    @Test func legacyEndpointsLeaveTerminatingPodsOut() throws {
        let endpoints = EndpointsBuilder.endpoints(
            service: service,
            pods: [pod("a", ip: "10.0.0.1", ready: true), pod("b", ip: "10.0.0.2", ready: false), pod("c", ip: "10.0.0.3", ready: true, terminating: true)])
        let subset = try #require(endpoints["subsets"]?.arrayValue?.first)
        #expect(subset["addresses"]?.arrayValue?.map { $0["ip"]?.stringValue } == ["10.0.0.1"])
        #expect(subset["notReadyAddresses"]?.arrayValue?.map { $0["ip"]?.stringValue } == ["10.0.0.2"])
    }

    /// Slice and Endpoints ports say the service port's protocol, as the controllers write them: kube-dns lists
    /// 53 twice, UDP and TCP.
    @Test func portsCarryTheServicePortsProtocol() throws {
        let dns: JSON = [
            "metadata": ["name": "kube-dns", "namespace": "default", "uid": "dns-uid"],
            "spec": [
                "selector": ["app": "web"],
                "ports": [
                    ["name": "dns", "port": 53, "targetPort": 53, "protocol": "UDP"],
                    ["name": "dns-tcp", "port": 53, "targetPort": 53, "protocol": "TCP"], ["name": "metrics", "port": 9153],
                ],
            ],
        ]
        let pods = [pod("a", ip: "10.0.0.1", ready: true)]
        let slice = try #require(EndpointsBuilder.slices(service: dns, pods: pods).first)
        #expect(
            slice["ports"] == [
                ["name": "dns", "port": 53, "protocol": "UDP"], ["name": "dns-tcp", "port": 53, "protocol": "TCP"],
                ["name": "metrics", "port": 9153, "protocol": "TCP"],
            ])
        let subset = try #require(EndpointsBuilder.endpoints(service: dns, pods: pods)["subsets"]?.arrayValue?.first)
        #expect(subset["ports"]?.arrayValue?.map { $0["protocol"]?.stringValue } == ["UDP", "TCP", "TCP"])
    }

    /// The endpoint controllers look a named target port up by name and protocol (the container port's
    /// protocol is TCP when unset), as the `protocol` of the service port says; a port of another protocol
    /// with that name is not it, and a pod without a match has no such port in its slice.
    @Test func aNamedTargetPortResolvesToTheContainerPortOfTheServicePortsProtocol() throws {
        let dns: JSON = [
            "metadata": ["name": "dns", "namespace": "default", "uid": "dns-uid"],
            "spec": [
                "selector": ["app": "dns"],
                "ports": [
                    ["name": "udp", "port": 53, "targetPort": "dns", "protocol": "UDP"],
                    ["name": "tcp", "port": 53, "targetPort": "dns", "protocol": "TCP"],
                    ["name": "stats", "port": 9000, "targetPort": "stats", "protocol": "UDP"],
                ],
            ],
        ]
        let pod: JSON = [
            "metadata": ["name": "a", "namespace": "default", "uid": "uid-a", "labels": ["app": "dns"]],
            "spec": [
                "containers": [
                    [
                        "name": "c",
                        "ports": [
                            ["name": "dns", "containerPort": 5353, "protocol": "UDP"], ["name": "dns", "containerPort": 5354],
                            ["name": "stats", "containerPort": 9001, "protocol": "TCP"],
                        ],
                    ]
                ]
            ],
            "status": ["phase": "Running", "podIP": "10.0.0.1", "conditions": [["type": "Ready", "status": "True"]]],
        ]
        let slice = try #require(EndpointsBuilder.slices(service: dns, pods: [pod]).first)
        #expect(slice["ports"] == [["name": "udp", "port": 5353, "protocol": "UDP"], ["name": "tcp", "port": 5354, "protocol": "TCP"]])
        let subset = try #require(EndpointsBuilder.endpoints(service: dns, pods: [pod])["subsets"]?.arrayValue?.first)
        #expect(subset["ports"] == slice["ports"])
    }
}
