import BerthTestSupport
import FakeKube
import Foundation
import Testing

// The official Python client (`kubernetes.stream.portforward`, WebSocket v4) against FakeKube.
@Suite(.timeLimit(.minutes(1)))
struct PortForwardPythonTests {
    private static let script = #"""
    import sys, random
    from kubernetes import client
    from kubernetes.stream import portforward

    cfg = client.Configuration()
    cfg.host = sys.argv[1]
    api = client.CoreV1Api(client.ApiClient(cfg))

    pf = portforward(api.connect_get_namespaced_pod_portforward, "echo-pod", "default", ports="80")
    sock = pf.socket(80)
    sock.setblocking(True)
    data = random.Random(7).randbytes(1 << 20)
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    assert got == data, "echo mismatch: %d bytes back" % len(got)
    sock.close()
    pf.close()

    pf = portforward(api.connect_get_namespaced_pod_portforward, "echo-pod", "default", ports="81")
    sock = pf.socket(81)
    sock.setblocking(True)
    assert sock.recv(1) == b"", "refused port should close the socket"
    print("ERROR:" + (pf.error(81) or ""))
    pf.close()
    print("OK")
    """#

    @Test(.requiresPythonClient)
    func pythonClientEchoesOverV4AndSeesTheKubeletError() async throws {
        let python = try #require(ReferenceClients.python)
        let fixture = try await EchoPodFixture.start()
        let url = fixture.server.url
        let (status, output, errors) = try await offCooperativePool { () throws -> (Int32, String, String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", Self.script, url]
            let stdout = Pipe()
            let stderr = Pipe()
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
            // Reading to EOF is the wait for the process to end.
            let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, output, errors)
        }
        try await fixture.shutdown()

        #expect(status == 0, "python failed: \(errors)")
        #expect(output.contains("OK"))
        #expect(output.contains("ERROR:error forwarding port 81 to pod echo-pod, uid uid-echo"))
    }
}
