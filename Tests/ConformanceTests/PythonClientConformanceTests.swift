import BerthTestSupport
import FakeKube
import Foundation
import Testing

/// FakeKube's watch proven with the official Python client: events, and a 410 after compaction.
@Suite struct PythonClientConformanceTests {
    static let watchScript = """
        import sys
        from kubernetes import client, config, watch
        from kubernetes.client.rest import ApiException
        config.load_kube_config(config_file=sys.argv[1], context=sys.argv[2])
        v1 = client.CoreV1Api()
        mode = sys.argv[3]
        if mode == "events":
            listed = v1.list_namespaced_pod("shop", label_selector="app=web")
            print("LISTED", listed.metadata.resource_version, " ".join(p.metadata.name for p in listed.items), flush=True)
            w = watch.Watch()
            for event in w.stream(v1.list_namespaced_pod, "shop", label_selector="app=web",
                                  resource_version=listed.metadata.resource_version, timeout_seconds=20):
                obj = event["object"]
                print("EVENT", event["type"], obj.metadata.name, obj.metadata.deletion_timestamp is not None, flush=True)
                if event["type"] == "DELETED":
                    w.stop()
        else:
            try:
                for event in watch.Watch().stream(v1.list_namespaced_pod, "shop", resource_version=sys.argv[4], timeout_seconds=5):
                    print("EVENT", event["type"], flush=True)
            except ApiException as error:
                print("EXPIRED", error.status, error.reason, flush=True)
        """

    private func python() throws -> String {
        try #require(ReferenceClients.python)
    }

    @Test(.requiresPythonClient)
    func watchSeesEvents() async throws {
        let python = try python()
        try await ConformanceCluster.with { cluster in
            let script = cluster.scratch.appendingPathComponent("watch.py")
            try Self.watchScript.write(to: script, atomically: true, encoding: .utf8)
            let process = try ExternalProcess(python, [script.path, cluster.kubeconfig, "admin", "events"], home: cluster.scratch)
            var events: [String] = []
            var victim: String?
            for await line in process.lines {
                let words = line.split(separator: " ").map(String.init)
                if words.first == "LISTED", words.count >= 3 {
                    victim = words[2]
                    try await cluster.server.deletePod(namespace: "shop", name: words[2], force: true)
                } else if words.first == "EVENT" {
                    events.append(line)
                }
            }
            let result = await process.wait(timeout: .seconds(30))
            #expect(result.status == 0, "\(result.stderr)")
            let name = try #require(victim)
            #expect(events.contains("EVENT DELETED \(name) False"))
        }
    }

    @Test(.requiresPythonClient)
    func watchGets410AfterCompaction() async throws {
        let python = try python()
        try await ConformanceCluster.with { cluster in
            let old = cluster.server.store.resourceVersion
            try await cluster.server.deletePod(namespace: "tools", name: "toolbox", force: true)
            let compact = cluster.scratch.appendingPathComponent("watch.py")
            try Self.watchScript.write(to: compact, atomically: true, encoding: .utf8)
            cluster.server.compact()
            let result = try await ExternalProcess.run(
                python, [compact.path, cluster.kubeconfig, "admin-token", "expired", String(old)], home: cluster.scratch,
                timeout: .seconds(30))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("EXPIRED 410"), "\(result.stdout) \(result.stderr)")
        }
    }
}
