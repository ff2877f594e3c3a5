import FakeKube
import NIOCore
import Testing

/// `GET /fake/v1/pods`: every pod with its ports' behaviours and the local servers behind them.
@Suite struct PodInventoryTests {
    @Test func listsEveryPodWithItsLocalServers() async throws {
        try await withServer { server in
            let list = try #require(try await TestHTTPClient(server: server).request(.GET, "/fake/v1/pods").json)
            #expect(list["kind"] == "FakePodList")
            let items = try #require(list["items"]?.arrayValue)
            #expect(items.count == 5, "2 web, 2 db and lone")
            #expect(items.allSatisfy { $0["phase"] == "Running" && $0["ready"] == true && $0["terminating"] == false })

            let lone = try #require(items.first { $0["name"] == "lone" })
            #expect(lone["namespace"] == "other")
            let ports = try #require(lone["ports"]?.arrayValue)
            #expect(ports.map { $0["name"] } == ["echo", "src"])
            #expect(ports.map { $0["containerPort"] } == [7000, 7001])
            #expect(ports.map { $0["behaviour"] } == ["echo", "source"])
            #expect(ports.allSatisfy { $0["container"] == "c" })

            // The listed address is the pod's real server: the echo port echoes.
            let echo = try #require(ports.first?["local"]?.stringValue)
            let expected = try #require(server.localAddress(namespace: "other", pod: "lone", containerPort: 7000))
            #expect(echo == "127.0.0.1:\(expected.port ?? 0)")
            let host = try #require(echo.split(separator: ":").last.flatMap { Int($0) })
            let echoed = try await roundTrip(to: try SocketAddress(ipAddress: "127.0.0.1", port: host), payload: Array("ping".utf8))
            #expect(echoed == Array("ping".utf8))

            let web = items.filter { $0["name"]?.stringValue?.hasPrefix("web-") == true }
            #expect(web.count == 2)
            #expect(web.allSatisfy { $0["ports"]?.arrayValue?.first?["behaviour"] == "http" && $0["ports"]?.arrayValue?.first?["local"]?.stringValue != nil })
        }
    }

    @Test func filtersByNamespaceFollowsDeletionsAndIsForAdminsOnly() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server, credential: .token(server.adminToken))
            let other = try await client.request(.GET, "/fake/v1/pods?namespace=other").json?["items"]?.arrayValue
            #expect(other?.map { $0["name"] } == ["lone"])

            try await server.deletePod(namespace: "other", name: "lone", force: true)
            let afterDeletion = try await client.request(.GET, "/fake/v1/pods?namespace=other").json?["items"]?.arrayValue
            #expect(afterDeletion == [])

            let readonly = try await TestHTTPClient(server: server, credential: .token(server.readonlyToken)).request(.GET, "/fake/v1/pods")
            #expect(readonly.status == .forbidden)
            #expect(readonly.json?["kind"] == "Status")
        }
    }
}
