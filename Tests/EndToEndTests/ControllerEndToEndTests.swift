@testable import BerthDaemon
import FakeKube
import Foundation
import Testing

/// `berth up`'s daemon, in process, against an in-process FakeKube on 127.0.0.1.
@Suite(.serialized) struct ControllerEndToEndTests {
    static let threeForwards = """
        apiVersion: berth/v1
        kind: Forwards
        forwards:
          - name: web
            service: web
            ports: [{local: 0, remote: http}]
          - name: db
            statefulset: db
            ports: [{local: 0, remote: 5432}]
          - name: lone
            selector: {app: lone}
            ports: [{local: 0, remote: 7000}]
        """

    @Test func threeForwardsConvergeCarryTrafficAndRebindAcrossAPodDeletion() async throws {
        try await Harness.with { harness in
            try harness.writeManifest(Self.threeForwards)
            try await harness.withDaemon { daemon in
                let ready = try await awaitStatus(daemon, "three Ready forwards") { status in
                    ["web", "db", "lone"].allSatisfy { status.isPhase($0, .ready) }
                }
                let webPod = try #require(ready["web"]?.pod)
                #expect(ready["web"]?.ports.first?.targetPort == 8080)
                for (name, pod) in [("web", webPod), ("db", "db-0"), ("lone", "lone")] {
                    let response = try await TestHTTP.get(port: try #require(ready.port(name)))
                    #expect(response.contains(pod), "forward \(name) should reach \(pod): \(response)")
                }

                // The only web pod goes away: the listener stays, new connections are held until the replacement is ready.
                try await harness.server.deletePod(namespace: "default", name: webPod, force: true)
                try await awaitStatus(daemon, "web Rebinding") { $0.isPhase("web", .rebinding) }
                let heldResponse = try await TestHTTP.get(port: try #require(ready.port("web")))
                let after = try await awaitStatus(daemon, "web Ready on a new pod") { status in
                    status.isPhase("web", .ready) && status["web"]?.pod != webPod
                }
                let newPod = try #require(after["web"]?.pod)
                #expect(heldResponse.contains(newPod), "the held request should reach the replacement \(newPod): \(heldResponse)")
                #expect(after.port("web") == ready.port("web"), "the local port must survive the rebind")
                #expect(after.isPhase("db", .ready) && after.isPhase("lone", .ready))
            }
        }
    }

    @Test func manifestEditsConvergeAndABrokenEditKeepsTheLastGoodState() async throws {
        try await Harness.with { harness in
            try harness.writeManifest("""
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: web
                    service: web
                    ports: [{local: 0, remote: 80}]
                  - name: db
                    statefulset: db
                    ports: [{local: 0, remote: 5432}]
                """)
            try await harness.withDaemon { daemon in
                let first = try await awaitStatus(daemon, "web and db Ready") { $0.isPhase("web", .ready) && $0.isPhase("db", .ready) }
                let webPort = try #require(first.port("web"))
                let dbPort = try #require(first.port("db"))
                #expect(daemon.observed.informerCount == 4, "pods, services, endpointslices, statefulsets of default")

                // Add lone, change web's remote port (by name now: same listener), remove db.
                try harness.writeManifest("""
                    apiVersion: berth/v1
                    kind: Forwards
                    forwards:
                      - name: web
                        service: web
                        ports: [{local: 0, remote: http}]
                      - name: lone
                        selector: {app: lone}
                        ports: [{local: 0, remote: 7000}]
                    """)
                let edited = try await awaitStatus(daemon, "lone added, db removed, web remote changed") { status in
                    status.isPhase("lone", .ready) && status["db"] == nil && status["web"]?.ports.first?.remote == "http"
                }
                #expect(edited.port("web") == webPort, "a changed remote port keeps the listener")
                #expect(!TestHTTP.isListening(port: dbPort), "a removed forward closes its listener")
                #expect(daemon.observed.informerCount == 3, "the statefulset informer is released with its last forward")
                #expect(try await TestHTTP.get(port: try #require(edited.port("lone"))).contains("lone"))

                // A broken edit: the error names the file and line; everything keeps running.
                try harness.writeManifest("""
                    apiVersion: berth/v1
                    kind: Forwards
                    forwards:
                      - name: web
                        service: web
                        ports: [{local: 0, remote: 99999}]
                    """)
                let broken = try await awaitStatus(daemon, "the manifest error") { !$0.manifestErrors.isEmpty }
                let error = try #require(broken.manifestErrors.first)
                #expect(error.hasPrefix("\(harness.manifest):6:"), "the error should name file:line: \(error)")
                #expect(broken.isPhase("web", .ready) && broken.isPhase("lone", .ready))
                #expect(try await TestHTTP.get(port: webPort).contains("web-"))
            }
        }
    }

    @Test func aTakenLocalPortFailsOnlyItsForward() async throws {
        try await Harness.with { harness in
            let squatter = try PortSquatter()
            defer { squatter.close() }
            try harness.writeManifest("""
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: taken
                    pod: lone
                    ports: [{local: \(squatter.port), remote: 7000}]
                  - name: web
                    service: web
                    ports: [{local: 0, remote: 80}]
                """)
            try await harness.withDaemon { daemon in
                let status = try await awaitStatus(daemon, "taken Failed, web Ready") { $0.isPhase("taken", .failed) && $0.isPhase("web", .ready) }
                #expect(status["taken"]?.reason == .portInUse)
                #expect(status["taken"]?.message?.contains("\(squatter.port)") == true)
                // The platform's port-holder lookup names the process holding the port: this one.
                #expect(
                    status["taken"]?.message?.contains("pid \(ProcessInfo.processInfo.processIdentifier)") == true,
                    "\(status["taken"]?.message ?? "")")
                #expect(try await TestHTTP.get(port: try #require(status.port("web"))).contains("web-"))
            }
        }
    }
}
