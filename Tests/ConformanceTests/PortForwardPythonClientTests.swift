import BerthTestSupport
import FakeKube
import Foundation
import Testing

/// The official Python client's `kubernetes.stream.portforward` (WebSocket `v4.channel.k8s.io`) carrying bytes
/// to a pod of the full FakeKube, authenticated over HTTPS with the kubeconfig FakeKube wrote.
@Suite(.timeLimit(.minutes(2)))
struct PortForwardPythonClientTests {
    static let script = #"""
        import random, sys, threading
        from kubernetes import client, config
        from kubernetes.stream import portforward

        config.load_kube_config(config_file=sys.argv[1], context=sys.argv[2])
        api = client.CoreV1Api()
        port = int(sys.argv[5])
        pf = portforward(api.connect_get_namespaced_pod_portforward, sys.argv[3], sys.argv[4], ports=str(port))
        # The client offers v5 and v4 itself (as a header), so the answer is in the handshake's headers.
        print("PROTOCOL", (pf.websocket.getheaders() or {}).get("sec-websocket-protocol"), flush=True)
        sock = pf.socket(port)
        sock.setblocking(True)
        data = random.Random(11).randbytes(512 * 1024)
        # Write from a thread while reading here: the echo answers before the write is done.
        writer = threading.Thread(target=sock.sendall, args=(data,))
        writer.start()
        got = bytearray()
        while len(got) < len(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        writer.join()
        print("ECHOED", len(got), bytes(got) == data, flush=True)
        sock.close()
        pf.close()
        """#

    @Test(.requiresPythonClient)
    func pythonClientForwardsToAPodOverV4() async throws {
        let python = try #require(ReferenceClients.python)
        try await ConformanceCluster.with { cluster in
            let pod = try #require(
                cluster.server.objects(.pods, namespace: "shop").first { $0["metadata"]?["labels"]?["app"] == "api" }?[
                    "metadata"]?["name"]?.stringValue)
            let script = cluster.scratch.appendingPathComponent("portforward.py")
            try Self.script.write(to: script, atomically: true, encoding: .utf8)
            let result = try await ExternalProcess.run(
                python, [script.path, cluster.kubeconfig, "admin-token", pod, "shop", "9000"], home: cluster.scratch,
                timeout: .seconds(45))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("PROTOCOL v4.channel.k8s.io"), "\(result.stdout)")
            #expect(result.stdout.contains("ECHOED \(512 * 1024) True"), "\(result.stdout) \(result.stderr)")
            #expect(cluster.server.stats().count(verb: "portforward", resource: "pods") == 1)
        }
    }
}
