import BerthTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `berth up --metrics` as a real process against FakeKube (docs/metrics.md): known traffic and one pod
/// deletion, then `/metrics` read by Python's `prometheus_client` parser, the reference for the text format.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct MetricsEndToEndTests {
    static let scenario = """
        deployments:
          - name: echo
            replicas: 1
            labels: {app: echo}
            readinessDelay: 0.2
            replacementDelay: 0.2
            containers:
              - name: echo
                ports: [{name: tcp, containerPort: 7000, behaviour: echo}]
        """

    static let manifest = """
        apiVersion: berth/v1
        kind: Forwards
        forwards:
          - name: echo
            deployment: echo
            ports: [{local: 0, remote: 7000}]
        """

    /// Opens `count` connections one after the other, each sending `size` bytes and reading them back.
    static let traffic = """
        import socket, sys
        port, count, size = map(int, sys.argv[1:4])
        for _ in range(count):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(b"m" * size)
                got = 0
                while got < size:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += len(chunk)
                assert got == size, f"echoed {got} of {size} bytes"
        print("ok")
        """

    /// GETs the URL and prints its content type, and every sample as `name{label="value",...}` (labels sorted) with
    /// its value, and every family's type, as JSON.
    static let scrape = """
        import json, sys, urllib.request
        from prometheus_client.parser import text_string_to_metric_families
        with urllib.request.urlopen(sys.argv[1], timeout=10) as answer:
            contentType = answer.headers["Content-Type"]
            text = answer.read().decode()
        samples, types = {}, {}
        for family in text_string_to_metric_families(text):
            types[family.name] = family.type
            for s in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                samples[f"{s.name}{{{labels}}}"] = s.value
        print(json.dumps({"contentType": contentType, "types": types, "samples": samples}))
        """

    struct Scrape {
        var contentType: String
        var types: [String: String]
        var samples: [String: Double]

        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples[name + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",") + "}"]
        }
    }

    /// The python3 that has prometheus_client (.ci/run installs it).
    static func python() throws -> String {
        guard let python = ReferenceClients.pythonInterpreter(importing: "prometheus_client") else {
            throw ProcessWorld.Failure(description: "no python3 on PATH can import prometheus_client (pip install prometheus_client)")
        }
        return python
    }

    static func scrape(_ world: ProcessWorld, _ url: String) async throws -> Scrape {
        let output = try await world.run([try python(), "-c", scrape, url])
        guard output.status == 0, let object = try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] else {
            throw ProcessWorld.Failure(description: "scraping \(url) failed: \(output.stdout)\(output.stderr)")
        }
        return Scrape(
            contentType: object["contentType"] as? String ?? "",
            types: object["types"] as? [String: String] ?? [:],
            samples: (object["samples"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue })
    }

    @Test func countersMatchKnownTrafficAndAPodDeletion() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let manifest = try world.write("forwards.yaml", Self.manifest)
            let up = try world.startBerth(["up", "-f", manifest, "--kubeconfig", world.kubeconfig, "--metrics", "127.0.0.1:0"])
            defer { up.stop() }
            let ready = try await world.awaitStatus(manifest, "echo Ready") { $0.phase("echo") == "Ready" }
            let port = try #require(ready.localPort("echo"))
            let firstPod = try #require(ready.pod("echo"))
            var url = ""
            try await eventually("berth up logs where /metrics is") {
                guard let range = up.log().range(of: #"http://127\.0\.0\.1:[0-9]+/metrics"#, options: .regularExpression) else { return false }
                url = String(up.log()[range])
                return true
            }

            let connections = 4
            let size = 50_000
            let sent = try await world.run([try Self.python(), "-c", Self.traffic, "\(port)", "\(connections)", "\(size)"])
            #expect(sent.status == 0, "traffic: \(sent.stdout)\(sent.stderr)")

            let deleted = try await world.run([
                try ReferenceClients.require("kubectl"), "--kubeconfig", world.kubeconfig, "delete", "pod", firstPod, "--grace-period=0", "--force",
            ])
            #expect(deleted.status == 0, "kubectl: \(deleted.stdout)\(deleted.stderr)")
            try await world.awaitStatus(manifest, "echo Ready on the replacement") {
                $0.phase("echo") == "Ready" && $0.pod("echo") != nil && $0.pod("echo") != firstPod
            }

            var scrape = try await Self.scrape(world, url)
            let echo = ["forward": "echo"]
            // The last connection's close reaches berth a moment after the client's: only the open gauge may lag.
            let deadline = ContinuousClock.now + .seconds(10)
            while scrape.value("berth_connections_open", echo) != 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                scrape = try await Self.scrape(world, url)
            }
            #expect(scrape.contentType.hasPrefix("text/plain; version=0.0.4"))
            #expect(scrape.value("berth_connections_total", echo) == Double(connections))
            #expect(scrape.value("berth_connections_open", echo) == 0)
            #expect(scrape.value("berth_bytes_total", ["forward": "echo", "direction": "in"]) == Double(connections * size))
            #expect(scrape.value("berth_bytes_total", ["forward": "echo", "direction": "out"]) == Double(connections * size))
            #expect(scrape.value("berth_rebinds_total", echo) == 1)
            for phase in ["Pending", "Ready", "Rebinding", "Failed", "Disabled"] {
                #expect(scrape.value("berth_forward_phase", ["forward": "echo", "phase": phase]) == (phase == "Ready" ? 1 : 0), "\(phase)")
            }
            #expect(scrape.types["berth_upstream_open_seconds"] == "histogram")
            let opens = scrape.value("berth_upstream_open_seconds_count", echo) ?? 0
            #expect(opens >= Double(connections), "every connection had a stream opened for it (warm or not)")
            #expect(scrape.value("berth_upstream_open_seconds_bucket", ["forward": "echo", "le": "+Inf"]) == opens)
            for kind in ["upstreamConnectFailed", "reheld", "warmConnectFailed", "warmStreamDied", "holdTimedOut", "holdQueueFull", "endpointGone"] {
                #expect(scrape.value("berth_connection_failures_total", ["forward": "echo", "kind": kind]) != nil, "\(kind)")
            }
            #expect(scrape.value("berth_connection_failures_total", ["forward": "echo", "kind": "holdTimedOut"]) == 0)
            #expect((scrape.value("berth_api_requests_total", ["verb": "list"]) ?? 0) >= 1)
            #expect((scrape.value("berth_api_requests_total", ["verb": "watch"]) ?? 0) >= 1)
            #expect(scrape.value("berth_api_requests_total", ["verb": "delete"]) == 0, "kubectl deleted the pod, not berth")
            #expect(scrape.value("berth_watch_restarts_total") != nil)
            #expect(scrape.value("berth_network_resyncs_total") == 0)

            #expect(try await world.berth(["down", "-f", manifest]).status == 0, "log:\n\(up.log())")
            #expect(await up.wait() == 0)
        }
    }

    @Test func aBadAddressIsAUsageErrorAndATakenPortEndsBerthUp() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let manifest = try world.write("forwards.yaml", Self.manifest)
            let bad = try await world.berth(["up", "-f", manifest, "--metrics", "nowhere:9464"])
            #expect(bad.status == 2)
            #expect(bad.stderr.contains("'nowhere' is not an IP address or localhost"), "\(bad.stderr)")

            // A port another process holds: berth up says so and exits 1.
            let holder = try await TCPHolder.bind()
            defer { holder.close() }
            let up = try world.startBerth(["up", "-f", manifest, "--kubeconfig", world.kubeconfig, "--metrics", "127.0.0.1:\(holder.port)"])
            defer { up.stop() }
            #expect(await up.wait() == 1, "log:\n\(up.log())")
            #expect(up.log().contains("error: cannot serve metrics on 127.0.0.1:\(holder.port)"), "log:\n\(up.log())")
        }
    }
}

/// A listening socket on 127.0.0.1 that holds a port, so another bind to it fails.
struct TCPHolder {
    let fd: Int32
    let port: Int

    static func bind() async throws -> TCPHolder {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                Glibc.bind(fd, socketAddress, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw ProcessWorld.Failure(description: "cannot hold a port: errno \(errno)") }
        return TCPHolder(fd: fd, port: Int(UInt16(bigEndian: address.sin_port)))
    }

    func close() {
        _ = Glibc.close(fd)
    }
}
