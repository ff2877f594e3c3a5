import BerthTestSupport
import FakeKube
import Foundation
import NIOCore
import NIOPosix
import Testing

/// `POST …/pods`: a created pod is Pending, then Running and Ready with real servers; who may not create gets
/// 403; what a real apiserver refuses is refused the same way.
@Suite struct PodCreateTests {
    static let podBody = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"made","labels":{"app":"made","tier":"relay"}},
         "spec":{"terminationGracePeriodSeconds":0,
                 "containers":[{"name":"main","image":"example.invalid/main:1","args":["--serve"],
                                "ports":[{"containerPort":9000,"protocol":"TCP"}]}]}}
        """

    @Test func aCreatedPodIsPendingThenRunningReadyAndServesUntilDeleted() async throws {
        try await withServer(options: .init(createdPodStartDelay: .milliseconds(300))) { server in
            let client = TestHTTPClient(server: server)
            let created = try await client.request(.POST, "/api/v1/namespaces/other/pods", body: Self.podBody)
            #expect(created.status == .created)
            let pod = try #require(created.json)
            #expect(pod["kind"] == "Pod")
            #expect(pod["metadata"]?["namespace"] == "other")
            #expect(pod["metadata"]?["uid"]?.stringValue?.isEmpty == false)
            #expect(pod["status"]?["phase"] == "Pending")
            #expect(pod["spec"]?["containers"]?.arrayValue?.first?["args"] == ["--serve"])
            #expect(server.localAddress(namespace: "other", pod: "made", containerPort: 9000) == nil, "not running yet")
            try await awaitRunningReady(client, namespace: "other", name: "made", after: created)
            let running = try #require(server.object(.pods, namespace: "other", name: "made"))
            #expect(running["status"]?["podIP"]?.stringValue?.hasPrefix("10.244.") == true)

            let address = try #require(server.localAddress(namespace: "other", pod: "made", containerPort: 9000))
            let payload = Array("hello relay".utf8)
            #expect(try await roundTrip(to: address, payload: payload) == payload)

            let deleted = try await client.request(.DELETE, "/api/v1/namespaces/other/pods/made")
            #expect(deleted.status == .ok)
            #expect(server.object(.pods, namespace: "other", name: "made") == nil, "grace 0 from the spec: gone at once")
            await #expect(throws: (any Error).self) {
                _ = try await roundTrip(to: address, payload: payload)
            }
        }
    }

    @Test func aUserWithoutCreateGets403AndNothingIsStored() async throws {
        try await withServer { server in
            for token in [server.forwarderToken, server.readonlyToken] {
                let client = TestHTTPClient(server: server, credential: .token(token))
                let refused = try await client.request(.POST, "/api/v1/namespaces/other/pods", body: Self.podBody)
                #expect(refused.status == .forbidden)
                #expect(refused.json?["reason"] == "Forbidden")
                let user = token == server.forwarderToken ? "forwarder" : "readonly"
                #expect(
                    refused.json?["message"]
                        == .string("pods is forbidden: User \"\(user)\" cannot create resource \"pods\" in API group \"\" in the namespace \"other\""))
            }
            #expect(server.object(.pods, namespace: "other", name: "made") == nil)
            let forwarder = TestHTTPClient(server: server, credential: .token(server.forwarderToken))
            #expect(try await forwarder.request(.GET, "/api/v1/namespaces/other/pods/lone").status == .ok)
            #expect(try await forwarder.request(.DELETE, "/api/v1/namespaces/other/pods/lone").status == .forbidden)
        }
    }

    @Test func whatAnAPIServerRefusesIsRefused() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let path = "/api/v1/namespaces/other/pods"
            #expect(try await client.request(.POST, path, body: Self.podBody).status == .created)
            let again = try await client.request(.POST, path, body: Self.podBody)
            #expect(again.status == .conflict)
            #expect(again.json?["reason"] == "AlreadyExists")
            #expect(again.json?["message"] == "pods \"made\" already exists")

            let noContainers = try await client.request(.POST, path, body: #"{"metadata":{"name":"empty"},"spec":{}}"#)
            #expect(noContainers.status == .unprocessableEntity)
            #expect(noContainers.json?["message"] == "Pod \"empty\" is invalid: spec.containers: Required value")
            let badPort = try await client.request(
                .POST, path, body: #"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","ports":[{"containerPort":70000}]}]}}"#)
            #expect(badPort.json?["details"]?["causes"]?.arrayValue?.first?["field"] == "spec.containers[0].ports[0].containerPort")
            let elsewhere = try await client.request(
                .POST, path, body: #"{"metadata":{"name":"x","namespace":"default"},"spec":{"containers":[{"name":"c"}]}}"#)
            #expect(elsewhere.status == .badRequest)
            let generated = try await client.request(
                .POST, path, body: #"{"metadata":{"generateName":"gen-"},"spec":{"containers":[{"name":"c"}]}}"#)
            #expect(generated.status == .created)
            #expect(generated.json?["metadata"]?["name"]?.stringValue?.hasPrefix("gen-") == true)
            #expect(server.stats().requests[.init(verb: "create", resource: "pods")] == 6)
        }
    }
}
