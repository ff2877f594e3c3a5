import BerthRelay
import FakeKube
import Foundation
import NIOCore
import NIOPosix
import Testing

/// A created relay pod runs the real relay: its listen ports are the pod's ports, its targets are the fake
/// cluster's services (TCP and UDP), pod IPs and the hosts a test declares; deleting the pod stops it.
@Suite struct RelayPodTests {
    static let scenario = Scenario(
        namespaces: ["default", "kube-system", "other"],
        deployments: [
            .init(name: "web", labels: ["app": "web"], containers: [.init(name: "web", ports: [.init(name: "http", containerPort: 8080, behaviour: .http)])]),
            .init(
                name: "coredns", namespace: "kube-system", labels: ["k8s-app": "kube-dns"],
                containers: [.init(name: "coredns", ports: [.init(name: "dns", containerPort: 53, protocol: .udp)])]),
        ],
        services: [
            .init(name: "web", selector: ["app": "web"], ports: [.init(name: "http", port: 80, targetPort: .name("http"))]),
            .init(
                name: "kube-dns", namespace: "kube-system", selector: ["k8s-app": "kube-dns"],
                ports: [.init(name: "dns", port: 53, targetPort: .name("dns"), protocol: .udp)]),
        ],
        pods: [.init(name: "lone", namespace: "other", containers: [.init(name: "c", ports: [.init(containerPort: 7000)])])])

    static func relayPod(_ arguments: [String], ports: [Int]) -> String {
        let pod: JSON = [
            "metadata": ["name": "berth-relay-test", "labels": ["app.kubernetes.io/name": "berth-relay"]],
            "spec": [
                "terminationGracePeriodSeconds": 0,
                "containers": [
                    [
                        "name": "relay", "image": "ghcr.io/berth-dev/berth-relay:0.2",
                        "args": .array(arguments.map(JSON.string)),
                        "ports": .array(ports.map { ["containerPort": .int($0), "protocol": "TCP"] }),
                    ]
                ],
            ],
        ]
        return pod.serialized()
    }

    @Test func aRelayPodReachesServicesPodIPsAndDeclaredHostsOverTCPAndUDP() async throws {
        try await withServer(Self.scenario) { server in
            let lone = try #require(server.object(.pods, namespace: "other", name: "lone")?["status"]?["podIP"]?.stringValue)
            let database = try #require(server.localAddress(namespace: "other", pod: "lone", containerPort: 7000))
            server.setExternalHost("orders.example.com", port: 5432, address: database)
            let arguments = [
                "--listen", "127.0.0.1", "--tcp", "10000=web.default.svc.cluster.local:80",
                "--udp", "10001=kube-dns.kube-system.svc.cluster.local:53", "--tcp", "10002=\(lone):7000",
                "--tcp", "10003=orders.example.com:5432", "--tcp", "10004=nowhere.example.com:5432",
            ]
            let client = TestHTTPClient(server: server)
            let created = try await client.request(
                .POST, "/api/v1/namespaces/default/pods", body: Self.relayPod(arguments, ports: Array(10000...10004)))
            #expect(created.status == .created)
            try await awaitRunningReady(client, namespace: "default", name: "berth-relay-test", after: created)
            func relayPort(_ port: Int) throws -> SocketAddress {
                try #require(server.localAddress(namespace: "default", pod: "berth-relay-test", containerPort: port))
            }

            let answer = try await roundTrip(to: try relayPort(10000), payload: Array("GET /via-relay HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n".utf8))
            let body = try #require(String(decoding: answer, as: UTF8.self).split(separator: "\r\n\r\n", maxSplits: 1).last)
            let json = try #require(JSON.parse(Array(body.utf8)))
            #expect(json["pod"]?.stringValue?.hasPrefix("web-") == true)
            #expect(json["path"] == "/via-relay")

            let query = ByteBuffer(bytes: [0x12, 0x34, 1, 0, 0, 1] + Array("example.com".utf8))
            #expect(try await udpRoundTrip(to: try relayPort(10001), datagram: query) == query)

            let payload = Array("to the pod's IP".utf8)
            #expect(try await roundTrip(to: try relayPort(10002), payload: payload) == payload)
            #expect(try await roundTrip(to: try relayPort(10003), payload: payload) == payload)
            // An unknown host: closed at once, before the relay reads what the client sent, so the client sees an
            // end of stream or, when its bytes arrived first, a reset (a socket closed with unread bytes); no bytes.
            let unknownHost = try relayPort(10004)
            do {
                #expect(try await roundTrip(to: unknownHost, payload: payload) == [], "an unknown host: closed at once")
            } catch {
                #expect("\(error)".contains("reset by peer"), "an unknown host: \(error)")
            }

            let address = try relayPort(10000)
            #expect(try await client.request(.DELETE, "/api/v1/namespaces/default/pods/berth-relay-test").status == .ok)
            await #expect(throws: (any Error).self) { _ = try await roundTrip(to: address, payload: payload) }
        }
    }

    @Test func aRelayPodWithArgumentsTheRelayRefusesIsRefused() async throws {
        try await withServer(Self.scenario) { server in
            let refused = try await TestHTTPClient(server: server).request(
                .POST, "/api/v1/namespaces/default/pods", body: Self.relayPod(["--tcp", "10000=db"], ports: [10000]))
            #expect(refused.status == .unprocessableEntity)
            #expect(
                refused.json?["message"]
                    == "Pod \"berth-relay-test\" is invalid: spec.containers[0].args: berth-relay would exit 2: --tcp 10000=db: expected LPORT=HOST:PORT")
        }
    }

    @Test func aUDPContainerPortEchoesDatagrams() async throws {
        try await withServer(Self.scenario) { server in
            let pod = try #require(server.objects(.pods, namespace: "kube-system").first?["metadata"]?["name"]?.stringValue)
            #expect(server.localAddress(namespace: "kube-system", pod: pod, containerPort: 53) == nil, "no TCP server on a UDP port")
            let address = try #require(server.udpAddress(namespace: "kube-system", pod: pod, containerPort: 53))
            let socket = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: 0) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                    }
                }
            let reply = try await socket.executeThenClose { inbound, outbound in
                try await outbound.write(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(string: "ping")))
                var replies = inbound.makeAsyncIterator()
                return try await replies.next()?.data
            }
            #expect(reply == ByteBuffer(string: "ping"))
        }
    }
}

/// Sends one datagram through a relay's `--udp` port (framed) and returns the one framed reply.
func udpRoundTrip(to address: SocketAddress, datagram: ByteBuffer) async throws -> ByteBuffer? {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(to: address) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(UDPFrameDecoder()))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(try UDPFrame.frame(datagram, allocator: .init()))
        var replies = inbound.makeAsyncIterator()
        return try await replies.next()
    }
}

/// Watches a created pod from its creation until it is Running and Ready.
func awaitRunningReady(_ client: TestHTTPClient, namespace: String, name: String, after created: TestHTTPClient.Response) async throws {
    let version = try #require(created.json?["metadata"]?["resourceVersion"]?.stringValue)
    var ready = false
    try await client.watch("/api/v1/namespaces/\(namespace)/pods?fieldSelector=metadata.name%3D\(name)&watch=1&resourceVersion=\(version)&timeoutSeconds=10") { event in
        let object = event["object"]
        let condition = object?["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
        ready = object?["status"]?["phase"] == "Running" && condition?["status"] == "True"
        return !ready
    }
    #expect(ready, "\(namespace)/\(name) became Running and Ready")
}
