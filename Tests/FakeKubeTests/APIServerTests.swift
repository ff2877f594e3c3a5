import BerthTestSupport
import FakeKube
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The HTTPS API against a real client on loopback: authentication, list and watch semantics, delete, scale.
@Suite struct APIServerTests {
    @Test func credentialsAreChecked() async throws {
        try await withServer { server in
            let anonymous = try await TestHTTPClient(server: server, credential: .none).request(.GET, "/api/v1/pods")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.json?["reason"] == "Unauthorized")
            #expect(anonymous.json?["kind"] == "Status")
            let wrong = try await TestHTTPClient(server: server, credential: .token("nope")).request(.GET, "/api/v1/pods")
            #expect(wrong.status == .unauthorized)
            let token = try await TestHTTPClient(server: server, credential: .token(server.adminToken)).request(.GET, "/api/v1/pods")
            #expect(token.status == .ok)
            let certificate = try await TestHTTPClient(server: server).request(.GET, "/api/v1/pods")
            #expect(certificate.status == .ok)
            let readonly = TestHTTPClient(server: server, credential: .token(server.readonlyToken))
            let readonlyGet = try await readonly.request(.GET, "/api/v1/namespaces/default/services/web")
            #expect(readonlyGet.status == .ok)
            let delete = try await readonly.request(.DELETE, "/api/v1/namespaces/other/pods/lone")
            #expect(delete.status == .forbidden)
            #expect(delete.json?["message"] == "pods \"lone\" is forbidden: User \"readonly\" cannot delete resource \"pods\" in API group \"\" in the namespace \"other\"")
            let readonlyStats = try await readonly.request(.GET, "/fake/v1/stats")
            #expect(readonlyStats.status == .forbidden)
        }
    }

    @Test func discoveryListsTheServedResources() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let apiVersions = try await client.request(.GET, "/api")
            #expect(apiVersions.json?["versions"] == ["v1"])
            let groups = try await client.request(.GET, "/apis").json?["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(groups == ["apps", "discovery.k8s.io"])
            let core = try await client.request(.GET, "/api/v1").json?["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(Set(["pods", "pods/portforward", "services", "endpoints", "namespaces"]).isSubset(of: Set(core)))
            let slices = try await client.request(.GET, "/apis/discovery.k8s.io/v1").json?["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(slices == ["endpointslices"])
            let unservedGroup = try await client.request(.GET, "/apis/batch/v1")
            #expect(unservedGroup.status == .notFound)
        }
    }

    @Test func listsCarryKindVersionAndUntypedItems() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let list = try #require(try await client.request(.GET, "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb").json)
            #expect(list["kind"] == "PodList")
            #expect(list["apiVersion"] == "v1")
            #expect(Int(list["metadata"]?["resourceVersion"]?.stringValue ?? "") != nil)
            let items = try #require(list["items"]?.arrayValue)
            #expect(items.count == 2)
            #expect(items.allSatisfy { $0["kind"] == nil && $0["apiVersion"] == nil })
            #expect(items.allSatisfy { $0["metadata"]?["name"]?.stringValue?.hasPrefix("web-") == true })
            let none = try await client.request(.GET, "/api/v1/namespaces/default/pods?labelSelector=app%20in%20(nothing)").json
            #expect(none?["items"] == [])
            let running = try await client.request(.GET, "/api/v1/pods?fieldSelector=status.phase%3DRunning,metadata.namespace%3Dother").json
            #expect(running?["items"]?.arrayValue?.count == 1)
            let bad = try await client.request(.GET, "/api/v1/pods?fieldSelector=spec.nodeName%3Dx")
            #expect(bad.status == .badRequest)
            let one = try await client.request(.GET, "/apis/apps/v1/namespaces/default/deployments/web").json
            #expect(one?["kind"] == "Deployment")
            #expect(one?["apiVersion"] == "apps/v1")
            let missing = try await client.request(.GET, "/api/v1/namespaces/default/pods/nope")
            #expect(missing.status == .notFound)
            #expect(missing.json?["message"] == "pods \"nope\" not found")
            let namespace = try await client.request(.GET, "/api/v1/namespaces/other")
            #expect(namespace.json?["kind"] == "Namespace")
        }
    }

    @Test func paginationWalksEveryItemAtOneVersion() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            var names: [String] = []
            var versions: Set<String> = []
            var token = ""
            var pages = 0
            repeat {
                let query = token.isEmpty ? "limit=2" : "limit=2&continue=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token)"
                let page = try #require(try await client.request(.GET, "/api/v1/pods?&\(query)").json)
                names += page["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []
                versions.insert(page["metadata"]?["resourceVersion"]?.stringValue ?? "")
                token = page["metadata"]?["continue"]?.stringValue ?? ""
                pages += 1
            } while !token.isEmpty && pages < 10
            #expect(pages == 3)
            #expect(names.count == 5)
            #expect(Set(names).count == 5)
            #expect(versions.count == 1)
        }
    }

    @Test func anExpiredContinueTokenGets410() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let page = try #require(try await client.request(.GET, "/api/v1/pods?limit=1").json)
            let token = try #require(page["metadata"]?["continue"]?.stringValue)
            try await server.deletePod(namespace: "other", name: "lone", force: true)
            server.compact()
            let expired = try await client.request(.GET, "/api/v1/pods?limit=1&continue=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            #expect(expired.status == .gone)
            #expect(expired.json?["reason"] == "Expired")
        }
    }

    @Test func aWatchReplaysFromItsVersionAndSeesDeletionAndReplacement() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let list = try #require(try await client.request(.GET, "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb").json)
            let rv = try #require(list["metadata"]?["resourceVersion"]?.stringValue)
            let victim = try #require(list["items"]?.arrayValue?.first?["metadata"]?["name"]?.stringValue)
            try await server.deletePod(namespace: "default", name: victim)
            var sawTerminating = false
            var sawDeleted = false
            var replacement: String?
            var replacementReady = false
            try await client.watch("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb&watch=1&resourceVersion=\(rv)&timeoutSeconds=20") { event in
                let object = try #require(event["object"])
                #expect(object["kind"] == "Pod")
                #expect(object["apiVersion"] == "v1")
                let name = object["metadata"]?["name"]?.stringValue
                switch event["type"]?.stringValue {
                case "MODIFIED" where name == victim && object["metadata"]?["deletionTimestamp"] != nil:
                    sawTerminating = true
                    let ready = object["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
                    #expect(ready?["status"] == "False")
                case "DELETED" where name == victim:
                    sawDeleted = true
                case "ADDED" where name != victim:
                    replacement = name
                case "MODIFIED" where name != nil && name == replacement:
                    let ready = object["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
                    if ready?["status"] == "True" {
                        #expect(object["status"]?["podIP"] != nil)
                        replacementReady = true
                    }
                default: break
                }
                return !(sawTerminating && sawDeleted && replacementReady)
            }
            #expect(sawTerminating)
            #expect(sawDeleted)
            #expect(replacementReady)
            #expect(replacement?.hasPrefix("web-") == true)
        }
    }

    @Test func aWatchWithoutVersionStartsWithAddedAndEndsCleanlyOnTimeout() async throws {
        try await withServer { server in
            var added: [String] = []
            let status = try await TestHTTPClient(server: server).watch("/api/v1/namespaces/other/pods?watch=true&timeoutSeconds=1") { event in
                #expect(event["type"] == "ADDED")
                added.append(event["object"]?["metadata"]?["name"]?.stringValue ?? "")
                return true
            }
            #expect(status == .ok)
            #expect(added == ["lone"])
            try await eventually("watches closed") { server.stats().openWatches == 0 }
        }
    }

    @Test func bookmarksArriveWhenAsked() async throws {
        try await withServer(options: .init(bookmarkInterval: .milliseconds(100))) { server in
            var bookmark: JSON?
            try await TestHTTPClient(server: server).watch("/apis/apps/v1/deployments?watch=1&allowWatchBookmarks=true&resourceVersion=\(server.store.resourceVersion)") { event in
                if event["type"] == "BOOKMARK" { bookmark = event["object"] }
                return bookmark == nil
            }
            #expect(bookmark?["kind"] == "Deployment")
            #expect(bookmark?["apiVersion"] == "apps/v1")
            #expect(bookmark?["metadata"]?["resourceVersion"] == .string(String(server.store.resourceVersion)))
        }
    }

    @Test func aWatchFromACompactedVersionGetsA410ErrorEvent() async throws {
        try await withServer { server in
            let old = server.store.resourceVersion
            try await server.deletePod(namespace: "other", name: "lone", force: true)
            server.compact()
            var events: [JSON] = []
            let status = try await TestHTTPClient(server: server).watch("/api/v1/pods?watch=1&resourceVersion=\(old)") { event in
                events.append(event)
                return true
            }
            #expect(status == .ok)
            #expect(events.count == 1)
            #expect(events.first?["type"] == "ERROR")
            #expect(events.first?["object"]?["code"] == 410)
            #expect(events.first?["object"]?["reason"] == "Expired")
        }
    }

    @Test func aFilteredWatchSeesObjectsEnterAndLeaveItsSelector() async throws {
        try await withServer { server in
            let rv = server.store.resourceVersion
            // A new pod is created Pending (outside the selector), then turns Running (inside it).
            try await server.scale(namespace: "default", name: "web", replicas: 3)
            var first: JSON?
            var phases: [String] = []
            try await TestHTTPClient(server: server).watch("/api/v1/namespaces/default/pods?watch=1&resourceVersion=\(rv)&fieldSelector=status.phase%3DRunning&timeoutSeconds=10") { event in
                phases.append(event["object"]?["status"]?["phase"]?.stringValue ?? "")
                first = first ?? event
                return false
            }
            #expect(first?["type"] == "ADDED")
            #expect(phases == ["Running"])
            // A pod that stops matching (here: deleted at once) is DELETED for the watcher.
            let victim = try #require(first?["object"]?["metadata"]?["name"]?.stringValue)
            let mark = server.store.resourceVersion
            try await server.deletePod(namespace: "default", name: victim, force: true)
            var last: JSON?
            try await TestHTTPClient(server: server).watch("/api/v1/namespaces/default/pods?watch=1&resourceVersion=\(mark)&fieldSelector=metadata.name%3D\(victim)&timeoutSeconds=10") { event in
                last = event
                return false
            }
            #expect(last?["type"] == "DELETED")
        }
    }

    @Test func droppingWatchesEndsThemAndStatsCountRequests() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            server.resetStats()
            async let watching = client.watch("/api/v1/pods?watch=1") { _ in true }
            try await eventually("watch open") { server.stats().openWatches == 1 }
            let drop = try await client.request(.POST, "/fake/v1/chaos/drop-watches")
            #expect(drop.status == .ok)
            let watchStatus = try await watching
            #expect(watchStatus == .ok, "the stream ends cleanly")
            let stats = try #require(try await client.request(.GET, "/fake/v1/stats").json)
            #expect(stats["requests"]?["watch pods"] == 1)
            #expect(stats["openWatches"] == 0)
            #expect(server.stats().count(verb: "watch", resource: "pods") == 1)
        }
    }

    @Test func kubectlStyleDeleteIsGracefulAndForceIsImmediate() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let graceful = try await client.request(.DELETE, "/api/v1/namespaces/default/pods/db-0", body: #"{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}"#)
            #expect(graceful.status == .ok)
            #expect(graceful.json?["metadata"]?["deletionTimestamp"] != nil)
            #expect(server.object(.pods, namespace: "default", name: "db-0") != nil, "still there during its grace period")
            let forced = try await client.request(.DELETE, "/api/v1/namespaces/other/pods/lone?gracePeriodSeconds=0", body: #"{"gracePeriodSeconds":0}"#)
            #expect(forced.status == .ok)
            #expect(server.object(.pods, namespace: "other", name: "lone") == nil)
            let deleteAgain = try await client.request(.DELETE, "/api/v1/namespaces/other/pods/lone")
            #expect(deleteAgain.status == .notFound)
            // The StatefulSet brings db-0 back under the same name once the old one is gone.
            try await eventually("db-0 recreated", within: 5) {
                let pod = server.object(.pods, namespace: "default", name: "db-0")
                return pod != nil && pod?["metadata"]?["deletionTimestamp"] == nil
            }
        }
    }

    @Test func scaleSubresourceChangesReplicas() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let scale = try await client.request(.GET, "/apis/apps/v1/namespaces/default/deployments/web/scale").json
            #expect(scale?["kind"] == "Scale")
            #expect(scale?["spec"]?["replicas"] == 2)
            let patched = try await client.request(
                .PATCH, "/apis/apps/v1/namespaces/default/deployments/web/scale", body: #"{"spec":{"replicas":3}}"#,
                headers: [("Content-Type", "application/merge-patch+json")])
            #expect(patched.status == .ok)
            #expect(patched.json?["spec"]?["replicas"] == 3)
            try await eventually("three web pods") {
                server.objects(.pods, namespace: "default").filter { $0["metadata"]?["labels"]?["app"] == "web" }.count == 3
            }
            let put = try await client.request(
                .PUT, "/apis/apps/v1/namespaces/default/statefulsets/db/scale",
                body: #"{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"db"},"spec":{"replicas":1}}"#)
            #expect(put.status == .ok)
            #expect(server.object(.statefulsets, namespace: "default", name: "db")?["spec"]?["replicas"] == 1)
        }
    }

    @Test func portForwardWithoutUpgradeIsRefusedLikeAnAPIServer() async throws {
        try await withServer { server in
            let admin = TestHTTPClient(server: server)
            let plain = try await admin.request(.POST, "/api/v1/namespaces/other/pods/lone/portforward?ports=7000")
            #expect(plain.status == .badRequest)
            #expect(plain.json?["message"] == "Upgrade request required")
            let missing = try await admin.request(.POST, "/api/v1/namespaces/other/pods/nope/portforward?ports=7000")
            #expect(missing.status == .notFound)
            let readonly = try await TestHTTPClient(server: server, credential: .token(server.readonlyToken))
                .request(.POST, "/api/v1/namespaces/other/pods/lone/portforward?ports=7000")
            #expect(readonly.status == .forbidden)
            #expect(readonly.json?["message"] == "pods \"lone\" is forbidden: User \"readonly\" cannot create resource \"pods/portforward\" in API group \"\" in the namespace \"other\"")
        }
    }

    @Test func restartKeepsStateAndPort() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let port = server.port
            let before = server.store.resourceVersion
            _ = try await client.request(.POST, "/fake/v1/chaos/restart")
            try await eventually("the API server answering after the restart") {
                (try? await client.request(.GET, "/api/v1/namespaces/other/pods/lone").status) == .ok
            }
            #expect(server.port == port)
            #expect(server.store.resourceVersion == before)
        }
    }

    @Test func aPartitionRefusesConnectionsThenHeals() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let port = server.port
            server.partition(seconds: 1)
            try await eventually("connections are refused") { (try? await client.request(.GET, "/version")) == nil }
            try await eventually("connections accepted again", within: 5) { (try? await client.request(.GET, "/version"))?.status == .ok }
            #expect(server.port == port)
        }
    }

    @Test func aPartitionAnswersNothingOnTheConnectionsItCuts() async throws {
        // A watch ended cleanly while its connection still stood would let the client ask again on that
        // connection, and be answered, inside the partition (one watch too many in berth's request counts).
        // The request queued behind the watch stands for that client.
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let cut = Task { try await client.pipelined(["/api/v1/namespaces/other/pods?watch=1&timeoutSeconds=300", "/version"]) }
            try await eventually("the watch registered") { server.stats().openWatches == 1 }
            server.partition(seconds: 1)
            let answers = (try? await awaitEnd(of: cut, within: 10, "the cut connection")) ?? []
            #expect(answers.count < 2, "the request behind the watch was answered inside the partition")
            try await eventually("connections accepted again", within: 5) { (try? await client.request(.GET, "/version"))?.status == .ok }
        }
    }

    @Test func chaosEndpointsAddLatencyAndCompact() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            let latency = try await client.request(.POST, "/fake/v1/chaos/latency?milliseconds=300")
            #expect(latency.status == .ok)
            let start = ContinuousClock.now
            let slow = try await client.request(.GET, "/version")
            #expect(slow.status == .ok)
            #expect(ContinuousClock.now - start >= .milliseconds(280))
            _ = try await client.request(.POST, "/fake/v1/chaos/latency?milliseconds=0")
            let missing = try await client.request(.POST, "/fake/v1/chaos/stall")
            #expect(missing.status == .badRequest)

            let old = server.store.resourceVersion
            try await server.deletePod(namespace: "other", name: "lone", force: true)
            let compact = try await client.request(.POST, "/fake/v1/chaos/compact")
            #expect(compact.status == .ok)
            var first: JSON?
            try await client.watch("/api/v1/pods?watch=1&resourceVersion=\(old)") { event in
                first = event
                return false
            }
            #expect(first?["type"] == "ERROR")
            #expect(first?["object"]?["code"] == 410)
        }
    }

    @Test func stallDelaysAnswers() async throws {
        try await withServer { server in
            let client = TestHTTPClient(server: server)
            server.stall(seconds: 0.5)
            let start = ContinuousClock.now
            let version = try await client.request(.GET, "/version")
            #expect(version.status == .ok)
            #expect(ContinuousClock.now - start >= .milliseconds(450))
        }
    }
}
