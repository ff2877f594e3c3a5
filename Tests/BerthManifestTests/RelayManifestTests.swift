import BerthManifest
import Testing

/// `host` targets, `/udp` ports and `defaults.relay`: what the loader hands the daemon's relay (docs/relay.md).
@Suite struct RelayManifestTests {
    @Test func hostTargetsUDPPortsAndTheRelayImageParseToTheirValues() throws {
        let manifest = try ManifestLoader.load(files: [try Corpus.fixture("good", "relay.yaml")]).get()
        #expect(manifest.defaults.relayImage == "registry.example.com/platform/berth-relay:0.2")
        #expect(manifest["orders-db"]?.target == .host("orders.cluster-abc.eu-west-1.rds.amazonaws.com"))
        #expect(manifest["orders-db"]?.target.description == "host/orders.cluster-abc.eu-west-1.rds.amazonaws.com")
        #expect(manifest["dns"]?.ports == [
            PortMapping(local: 5353, remote: .number(53), protocol: .udp),
            PortMapping(local: 5353, remote: .number(53), protocol: .tcp),
        ])
        #expect(manifest["dns"]?.ports.map(\.description) == ["5353:53/udp", "5353:53"])
        #expect(manifest["statsd"]?.target == .host("10.20.0.7"))
        #expect(manifest["statsd"]?.ports.map(\.protocol) == [.udp, .udp])
        // Kept in lowercase, as DNS compares names.
        #expect(manifest["ipv6-host"]?.target == .host("fd00::7"))
        #expect(manifest.forwards.map(\.needsRelay) == [true, true, true, true])
    }

    @Test func aForwardWithoutHostOrUDPNeedsNoRelayAndTheImageHasADefault() throws {
        let manifest = try ManifestLoader.load(files: [try Corpus.fixture("good", "all-targets.yaml")]).get()
        #expect(manifest.forwards.allSatisfy { !$0.needsRelay })
        #expect(manifest.defaults.relayImage == "ghcr.io/berth-dev/berth-relay:0.2")
    }

    @Test(arguments: [
        ("localhost", "'localhost' is the relay pod's own loopback"),
        ("::1", "'::1' is the relay pod's own loopback"),
        ("0.0.0.0", "'0.0.0.0' is a wildcard address"),
        ("10.0.0.256", "'10.0.0.256' is not a valid host"),
        ("-db.example.com", "'-db.example.com' is not a valid host"),
        ("db..example.com", "'db..example.com' is not a valid host"),
    ])
    func aHostTheRelayCannotMeanIsRefusedAtItsLine(host: String, message: String) throws {
        let text = "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: db\n    host: \"\(host)\"\n    ports: [\"5432\"]\n"
        let result = ManifestLoader.load(files: [ManifestFile(path: "forwards.yaml", contents: text)])
        guard case .failure(let failure) = result else {
            Issue.record("host \(host) should be refused")
            return
        }
        #expect(failure.errors.count == 1)
        #expect(failure.errors.first?.line == 5 && failure.errors.first?.path == "forwards[0].host")
        #expect(failure.errors.first?.message.hasPrefix(message) == true, "\(failure.errors)")
    }

    /// The overlay sets the target, the base the ports: the named port is found only in the merged forward.
    @Test func aNamedPortOnAHostIsRefusedAfterMerging() throws {
        let base = ManifestFile(path: "base.yaml", contents: "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: db\n    service: db\n    ports: [\"5432:postgres\"]\n")
        let overlay = ManifestFile(path: "local.yaml", contents: "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: db\n    host: db.example.com\n")
        guard case .failure(let failure) = ManifestLoader.load(files: [base, overlay]) else {
            Issue.record("a named port on a host should be refused")
            return
        }
        #expect(failure.errors.map(\.file) == ["base.yaml"])
        #expect(failure.errors.first?.message == "forward 'db' targets a host, which has no named ports; write the port number instead of 'postgres'")
    }
}
