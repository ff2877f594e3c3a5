import BerthTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `berth forward` as a user types it (issue: the CLI a kubectl user expects): errors that waiting cannot
/// fix end it with one `error:` line and exit 1, a missing target is said at once with help, kubectl's flag
/// forms work, and a recovery is announced.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ForwardCommandCLITests {
    /// Namespace `shop` holds service `web` (port `http`) and deployment `api`; namespace `data` holds a
    /// second service `web`, so a `web` missing from another namespace can be pointed at.
    static let scenario = """
        namespaces: [shop, data, empty]
        deployments:
          - name: api
            namespace: shop
            replicas: 1
            labels: {app: api}
            readinessDelay: 0.2
            replacementDelay: 0.3
            containers:
              - name: api
                ports: [{name: http, containerPort: 8000, behaviour: http}]
          - name: web
            namespace: shop
            replicas: 1
            labels: {app: web}
            readinessDelay: 0.2
            replacementDelay: 0.2
            containers:
              - name: web
                ports: [{name: http, containerPort: 8080, behaviour: http}]
        services:
          - name: web
            namespace: shop
            selector: {app: web}
            ports: [{name: http, port: 80, targetPort: http}]
          - name: web
            namespace: data
            selector: {app: web}
            ports: [{name: http, port: 80, targetPort: http}]
        """

    /// A port nobody listens on now (bound, read, closed).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ProcessWorld.Failure(description: "cannot find a free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A listening socket on 127.0.0.1, held until the returned descriptor is closed.
    static func occupiedPort() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else {
            close(fd)
            throw ProcessWorld.Failure(description: "cannot listen: errno \(errno)")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// One `error:` line on stderr, nothing on stdout, exit 1, within seconds.
    private func expectFatal(_ world: ProcessWorld, _ arguments: [String], saying text: String) async throws {
        let run = try await world.berth(["forward"] + arguments, within: .seconds(15))
        #expect(run.status == 1, "\(arguments): \(run.stderr)")
        #expect(run.stdout.isEmpty, "\(arguments): \(run.stdout)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(arguments): one line, got \(run.stderr)")
        #expect(run.stderr.hasPrefix("error: ") && run.stderr.contains(text), "\(arguments): \(run.stderr)")
    }

    @Test func errorsThatWaitingCannotFixEndTheCommandAtOnce() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let taken = try Self.occupiedPort()
            defer { close(taken.fd) }
            try await expectFatal(world, ["-n", "shop", "svc/web", "\(taken.port):http"], saying: "127.0.0.1:\(taken.port): the port is already in use")
            let port = try Self.freePort()
            try await expectFatal(world, ["--context", "nosuch", "-n", "shop", "svc/web", "\(port):http"], saying: "context \"nosuch\" is not in the kubeconfig (it has: ")
            try await expectFatal(world, ["--kubeconfig", "/nonexistent/kc", "svc/web", "\(port):http"], saying: "error: the kubeconfig /nonexistent/kc does not exist")
            try await expectFatal(world, ["--address", "bogus", "-n", "shop", "svc/web", "\(port):http"], saying: "'bogus' is not a listen address")
            try await expectFatal(world, ["-n", "shop", "svc/web", "\(port):pg"], saying: "service \"web\" has no port pg")
        }
    }

    @Test func kubectlFlagFormsNameTheNamespace() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let port = try Self.freePort()
            // In namespace shop the service exists and lacks port pg: a quick, certain error proves the namespace.
            for form in [["-nshop"], ["-n=shop"], ["--namespace=shop"], ["--namespace", "shop"]] {
                try await expectFatal(world, form + ["svc/web", "\(port):pg"], saying: "service \"web\" has no port pg")
            }
        }
    }

    @Test func aMissingTargetIsSaidAtOnceWithANearNameAndTheNamespacesThatHaveIt() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let typo = try world.startBerth(["forward", "-n", "shop", "svc/wbe", "\(try Self.freePort()):80"], stdout: "typo.out", stderr: "typo.err")
            defer { typo.stop() }
            let said = try await world.awaitFile("typo.err", contains: "waiting for service shop/wbe", within: .seconds(5))
            #expect(said.hasPrefix("service \"wbe\" not found in namespace shop; did you mean web?\n"), "\(said)")

            let elsewhere = try world.startBerth(["forward", "-n", "empty", "svc/web", "\(try Self.freePort()):80"], stdout: "else.out", stderr: "else.err")
            defer { elsewhere.stop() }
            let hint = try await world.awaitFile("else.err", contains: "waiting for service empty/web", within: .seconds(5))
            #expect(hint.contains("(a service web exists in namespaces data, shop)"), "\(hint)")
            #expect(world.read("typo.err").components(separatedBy: "waiting for").count == 2, "said once")
            #expect(world.read("typo.out").isEmpty)
        }
    }

    @Test func aRecoveryIsAnnouncedWithItsPodAndLocalhostListsBothListeners() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let port = try Self.freePort()
            let forward = try world.startBerth(["forward", "-n", "shop", "--address", "localhost", "deploy/api", "\(port):http"], stdout: "api.out", stderr: "api.err")
            defer { forward.stop() }
            let bound = try await world.awaitFile("api.out", contains: "[::1]", within: .seconds(15))
            #expect(bound == "Forwarding from 127.0.0.1:\(port) -> http\nForwarding from [::1]:\(port) -> http\n")

            let deleted = try await world.run([try ReferenceClients.require("kubectl"), "--kubeconfig", world.kubeconfig, "delete", "pods", "-n", "shop", "-l", "app=api", "--force", "--grace-period=0"])
            #expect(deleted.status == 0, "\(deleted.stderr)")
            let again = try await world.awaitFile("api.out", contains: "Forwarding again to pod api-", within: .seconds(15))
            #expect(again.contains("(127.0.0.1:\(port) -> http)"), "\(again)")
            #expect(world.read("api.err").contains("Rebinding: no Running and Ready pod behind deployment/api"), "\(world.read("api.err"))")
            forward.signal(SIGINT)
            #expect(await forward.wait() == 0)
        }
    }
}
