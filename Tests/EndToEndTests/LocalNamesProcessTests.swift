import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `berth up` as a real process with local names (docs/local-names.md): a client finds `web.shop` through the
/// hosts file berth writes, reaches the pod on the service's own port, and `berth down` gives the file back.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct LocalNamesProcessTests {
    static let scenario = """
        deployments:
          - name: web
            namespace: shop
            replicas: 1
            labels: {app: web}
            readinessDelay: 0.2
            containers:
              - name: web
                ports: [{name: http, containerPort: 8080, behaviour: http}]
        services:
          - name: web
            namespace: shop
            selector: {app: web}
            ports: [{name: http, port: 80, targetPort: http}]
        """

    static let original = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n"

    /// The service's own port, as on the cluster; a user who may not bind ports below 1024 (CI without
    /// root) gets 8080 on the same address instead, the names are the point here.
    static var localPort: Int {
        let firstUnprivileged = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 1024
        return geteuid() == 0 || firstUnprivileged <= 80 ? 80 : 8080
    }

    /// The address the hosts file at `path` gives `name`, read as a resolver reads it (first line wins).
    static func resolve(_ name: String, in path: String) throws -> String? {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if fields.count > 1, fields.dropFirst().contains(name) { return fields[0] }
        }
        return nil
    }

    @Test func aClientReachesWebShopThroughTheHostsFileBerthWrites() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let hosts = try world.write("hosts", Self.original)
            let manifest = try world.write("forwards.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                defaults: {namespace: shop, names: true}
                forwards:
                  - name: web
                    service: web
                    ports: ["\(Self.localPort):80"]
                """)
            let up = try world.startBerth(["up", "-f", manifest, "--kubeconfig", world.kubeconfig, "--hosts-file", hosts])
            defer { up.stop() }
            let status = try await world.awaitStatus(manifest, "web Ready with its names installed") { status in
                status.phase("web") == "Ready" && status.forward("web")?["namesInstalled"] as? Bool == true
            }
            let address = try #require(try Self.resolve("web.shop", in: hosts), "web.shop is in the hosts file")
            #expect(address == status.forward("web")?["address"] as? String)
            #expect(address.hasPrefix("127.64."), "an address of its own, from the default range")
            for name in ["web", "web.shop.svc", "web.shop.svc.cluster.local"] {
                #expect(try Self.resolve(name, in: hosts) == address, "\(name) resolves too")
            }
            let pod = try #require(status.pod("web"))
            #expect(try await TestHTTP.get(port: Self.localPort, host: address).contains(pod), "web.shop:\(Self.localPort) reaches \(pod)")

            let down = try await world.berth(["down", "-f", manifest])
            #expect(down.status == 0, "berth down: \(down.stderr)")
            #expect(try String(contentsOfFile: hosts, encoding: .utf8) == Self.original, "down gives the hosts file back, byte for byte")
        }
    }

    /// Two StatefulSets, each governed by a headless service of its name, as real ones are.
    static let headlessScenario = """
        statefulsets:
          - name: postgres
            namespace: data
            labels: {app: postgres}
            containers:
              - name: pg
                ports: [{name: pg, containerPort: 5432, behaviour: http}]
          - name: redis
            namespace: data
            labels: {app: redis}
            containers:
              - name: redis
                ports: [{name: redis, containerPort: 6379, behaviour: http}]
        services:
          - name: postgres
            namespace: data
            headless: true
            selector: {app: postgres}
            ports: [{name: pg, port: 5432}]
          - name: redis
            namespace: data
            headless: true
            selector: {app: redis}
            ports: [{name: redis, port: 6379}]
        """

    @Test func aForwardToAPodOfAHeadlessServiceAnswersToThePodsNameUnderIt() async throws {
        try await ProcessWorld.with(scenario: Self.headlessScenario) { world in
            let hosts = try world.write("hosts", Self.original)
            let offset = Self.localPort == 80 ? 0 : 10000
            let manifest = try world.write("forwards.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                defaults: {namespace: data, names: true}
                forwards:
                  - name: pg
                    service: postgres
                    ports: ["\(5432 + offset):5432"]
                  - name: cache
                    statefulset: redis
                    ports: ["\(6379 + offset):6379"]
                """)
            let up = try world.startBerth(["up", "-f", manifest, "--kubeconfig", world.kubeconfig, "--hosts-file", hosts])
            defer { up.stop() }
            let status = try await world.awaitStatus(manifest, "both Ready with their pods' names installed") { status in
                ["pg", "cache"].allSatisfy { name in
                    status.phase(name) == "Ready" && (status.forward(name)?["hostnames"] as? [String])?.contains { $0.hasPrefix("\(name == "pg" ? "postgres" : "redis")-0.") } == true
                        && status.forward(name)?["namesInstalled"] as? Bool == true
                }
            }
            let pg = try #require(status.forward("pg")?["address"] as? String)
            let cache = try #require(status.forward("cache")?["address"] as? String)
            #expect(status.forward("pg")?["hostnames"] as? [String] == [
                "postgres", "postgres.data", "postgres.data.svc", "postgres.data.svc.cluster.local",
                "postgres-0.postgres", "postgres-0.postgres.data", "postgres-0.postgres.data.svc", "postgres-0.postgres.data.svc.cluster.local",
            ])
            #expect(try Self.resolve("postgres-0.postgres.data.svc.cluster.local", in: hosts) == pg)
            #expect(try Self.resolve("redis-0.redis.data.svc.cluster.local", in: hosts) == cache, "a statefulset forward gets its pod's name too")
            #expect(try Self.resolve("redis.data", in: hosts) == nil, "but not the service's: it forwards to one pod, not the service")
            #expect(try await TestHTTP.get(port: 5432 + offset, host: pg).contains("postgres-0"))
            #expect(try await TestHTTP.get(port: 6379 + offset, host: cache).contains("redis-0"))
        }
    }
}
