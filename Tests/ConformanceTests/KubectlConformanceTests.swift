import BerthTestSupport
import FakeKube
import Foundation
import Testing

/// FakeKube's API proven with the real kubectl: get, list, watch, delete, scale.
@Suite struct KubectlConformanceTests {
    static let latest = ReferenceClients.kubectl("1.33")
    static let oldest = ReferenceClients.kubectl("1.27")

    private func binary(_ path: String?) throws -> String {
        try #require(path)
    }

    @Test(.requiresKubectl("1.33"))
    func getPodsAllNamespacesAsJSON() async throws {
        let kubectl = try binary(Self.latest)
        try await ConformanceCluster.with { cluster in
            let result = try await cluster.kubectl(kubectl, ["get", "pods", "-A", "-o", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            let list = try #require(JSON.parse(Array(result.stdout.utf8)))
            let names = Set(list["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? [])
            let expected = Set(cluster.server.objects(.pods).compactMap { $0["metadata"]?["name"]?.stringValue })
            #expect(!expected.isEmpty)
            #expect(names == expected)
            #expect(names.contains("postgres-0") && names.contains("postgres-1") && names.contains("toolbox"))
        }
    }

    @Test(.requiresKubectl("1.27"))
    func kubectl127ListsWithLegacyDiscovery() async throws {
        let kubectl = try binary(Self.oldest)
        try await ConformanceCluster.with { cluster in
            let result = try await cluster.kubectl(kubectl, ["get", "services", "-n", "shop", "-o", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            let list = try #require(JSON.parse(Array(result.stdout.utf8)))
            #expect(Set(list["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []) == ["web", "api"])
            let table = try await cluster.kubectl(kubectl, ["get", "deploy", "-n", "shop"])
            #expect(table.status == 0, "\(table.stderr)")
            #expect(table.stdout.contains("web"))
        }
    }

    @Test(.requiresKubectl("1.33"))
    func getEndpointSlicesAsJSON() async throws {
        let kubectl = try binary(Self.latest)
        try await ConformanceCluster.with { cluster in
            let result = try await cluster.kubectl(kubectl, ["get", "endpointslices", "-n", "shop", "-o", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            let list = try #require(JSON.parse(Array(result.stdout.utf8)))
            let slices = list["items"]?.arrayValue ?? []
            let web = try #require(slices.first { $0["metadata"]?["labels"]?["kubernetes.io/service-name"] == "web" })
            #expect(web["kind"] == "EndpointSlice")
            #expect(web["addressType"] == "IPv4")
            #expect(web["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
            let endpoints = web["endpoints"]?.arrayValue ?? []
            #expect(endpoints.count == 2)
            #expect(endpoints.allSatisfy { $0["conditions"]?["ready"] == true && $0["targetRef"]?["kind"] == "Pod" })
        }
    }

    @Test(.requiresKubectl("1.33"))
    func deletePodWaitsUntilItIsGone() async throws {
        let kubectl = try binary(Self.latest)
        try await ConformanceCluster.with { cluster in
            let uid = try #require(cluster.server.object(.pods, namespace: "data", name: "postgres-1")?["metadata"]?["uid"])
            let result = try await cluster.kubectl(kubectl, ["delete", "pod", "postgres-1", "-n", "data"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("pod \"postgres-1\" deleted"))
            // kubectl returns only once the pod is gone (its grace period is 1 s), so the old pod no longer exists;
            // a postgres-1 that exists now is the StatefulSet's replacement.
            #expect(cluster.server.object(.pods, namespace: "data", name: "postgres-1")?["metadata"]?["uid"] != uid)
            #expect(cluster.server.stats().count(verb: "delete", resource: "pods") == 1)
            let forced = try await cluster.kubectl(kubectl, ["delete", "pod", "toolbox", "-n", "tools", "--force", "--grace-period=0"])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(cluster.server.object(.pods, namespace: "tools", name: "toolbox") == nil)
            let missing = try await cluster.kubectl(kubectl, ["delete", "pod", "toolbox", "-n", "tools"])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("pods \"toolbox\" not found"))
        }
    }

    @Test(.requiresKubectl("1.33"))
    func watchSeesDeletionAndReplacement() async throws {
        let kubectl = try binary(Self.latest)
        try await ConformanceCluster.with { cluster in
            let watcher = try ExternalProcess(
                kubectl, cluster.kubectlArguments(["get", "pods", "-n", "shop", "-l", "app=web", "--watch", "-o", "json"]),
                home: cluster.scratch)
            let original = Set(cluster.server.objects(.pods, namespace: "shop").compactMap { pod -> String? in
                pod["metadata"]?["labels"]?["app"] == "web" ? pod["metadata"]?["name"]?.stringValue : nil
            })
            let victim = try #require(original.sorted().first)
            var splitter = JSONObjectSplitter()
            var listed = Set<String>()
            var sawTerminating = false
            var replacement: String?
            var replacementReady = false
            var deleted = false
            for await line in watcher.lines {
                for text in splitter.feed(line) {
                    let pod = try #require(JSON.parse(Array(text.utf8)))
                    let name = pod["metadata"]?["name"]?.stringValue ?? ""
                    listed.insert(name)
                    if !deleted && listed.isSuperset(of: original) {
                        deleted = true
                        try await cluster.server.deletePod(namespace: "shop", name: victim)
                    }
                    if name == victim && pod["metadata"]?["deletionTimestamp"] != nil { sawTerminating = true }
                    if !original.contains(name) {
                        replacement = name
                        let ready = pod["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
                        if ready?["status"] == "True" { replacementReady = true }
                    }
                }
                if sawTerminating && replacementReady { break }
            }
            watcher.terminate()
            let result = await watcher.wait(timeout: .seconds(10))
            #expect(sawTerminating, "\(result.stderr)")
            #expect(replacementReady, "\(result.stderr)")
            #expect(replacement?.hasPrefix("web-") == true)
        }
    }

    @Test(.requiresKubectl("1.33"))
    func scaleDeployment() async throws {
        let kubectl = try binary(Self.latest)
        try await ConformanceCluster.with { cluster in
            let result = try await cluster.kubectl(kubectl, ["scale", "deployment", "web", "-n", "shop", "--replicas=4"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("scaled"))
            let wait = try await cluster.kubectl(
                kubectl, ["wait", "--for=jsonpath={.status.readyReplicas}=4", "deployment/web", "-n", "shop", "--timeout=20s"])
            #expect(wait.status == 0, "\(wait.stderr)")
            let pods = cluster.server.objects(.pods, namespace: "shop").filter { $0["metadata"]?["labels"]?["app"] == "web" }
            #expect(pods.count == 4)
        }
    }

    @Test(.requiresKubectl("1.33"))
    func readonlyUserReadsButCannotDelete() async throws {
        let kubectl = try binary(Self.latest)
        try await ConformanceCluster.with { cluster in
            let read = try await cluster.kubectl(kubectl, ["get", "pods", "-n", "tools", "-o", "name"], context: "readonly")
            #expect(read.status == 0, "\(read.stderr)")
            #expect(read.stdout.contains("pod/toolbox"))
            let delete = try await cluster.kubectl(kubectl, ["delete", "pod", "toolbox", "-n", "tools"], context: "readonly")
            #expect(delete.status != 0)
            #expect(delete.stderr.contains("User \"readonly\" cannot delete resource \"pods\""))
            let token = try await cluster.kubectl(kubectl, ["get", "ns", "-o", "name"], context: "admin-token")
            #expect(token.status == 0, "\(token.stderr)")
            #expect(token.stdout.contains("namespace/shop"))
        }
    }
}
