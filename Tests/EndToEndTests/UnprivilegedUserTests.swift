import BerthTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// berth as its users run it: without root's capabilities. A socket option that only a privileged process may set
/// (SO_DEBUG needs CAP_NET_ADMIN) fails every connection of an ordinary user while a test run as root passes.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct UnprivilegedUserTests {
    /// Runs a command with no capability at all: the process keeps its user (so it still reads the build and test
    /// directories) but may do only what an ordinary user may. Empty when this process has no capability anyway.
    static let withoutCapabilities: [String] = {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let effective = status.split(separator: "\n").first { $0.hasPrefix("CapEff:") }?.split(separator: "\t").last
        guard let effective, effective.contains(where: { $0 != "0" }) else { return [] }
        return ["/usr/bin/setpriv", "--bounding-set=-all", "--inh-caps=-all", "--"]
    }()

    @Test func fakeKubeAndBerthUpCarryTrafficWithoutAnyCapability() async throws {
        try await ThreeForwards.with(launcher: Self.withoutCapabilities) { world, berth in
            for name in ProcessEndToEndTests.names {
                let port = try #require(berth.ready.localPort(name))
                let reply = try await TestHTTP.get(port: port)
                #expect(reply.contains(try #require(berth.ready.pod(name))), "\(name) carries traffic: \(reply)")
            }
            #expect(try await berth.down(world), "log:\n\(berth.up.log())")
        }
    }
}
