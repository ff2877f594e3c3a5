import BerthMetrics
@testable import BerthWeb
import Foundation
import Logging
import Testing

/// Who `/metrics` answers (docs/metrics.md, "Access"): no token, as Prometheus scrapes it, but the dashboard's
/// `Host` and `Origin` rules, so a page of another site cannot read it through DNS rebinding.
@Suite(.timeLimit(.minutes(1)))
struct MetricsAccessTests {
    /// Runs a metrics server on a free port of `host` and hands `body` a client of it.
    static func withMetrics(host: String = ListenAddress.defaultHost, _ body: (RawHTTP) async throws -> Void) async throws {
        let (urls, listening) = AsyncStream.makeStream(of: String.self)
        let server = MetricsServer(address: ListenAddress(host: host, port: 0), metrics: BerthMetrics(), logger: Logger(label: "test")) {
            listening.yield($0)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            var iterator = urls.makeAsyncIterator()
            let url = try #require(await iterator.next())
            let port = try #require(URLComponents(string: url)?.port)
            try await body(RawHTTP(port: port))
        }
    }

    @Test func aForeignHostIsRefusedAndNoTokenIsNeeded() async throws {
        try await Self.withMetrics { http in
            let scraped = try await http.send("/metrics")
            #expect(scraped.status == 200)
            #expect(scraped.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(try await http.send("/metrics", host: "localhost:\(http.port)").status == 200)
            #expect(try await http.send("/metrics", host: "[::1]:\(http.port)").status == 200)
            // DNS rebinding: the attacker's name resolves to 127.0.0.1, so the browser sends that name as Host.
            #expect(try await http.send("/metrics", host: "evil.example:\(http.port)").status == 421)
            #expect(try await http.send("/metrics", host: "evil.example").status == 421)
            #expect(try await http.send("/metrics", host: "192.0.2.7:\(http.port)").status == 421, "not an address it listens on")
            #expect(try await http.send("/metrics", headers: ["Origin": "http://evil.example"]).status == 403)
        }
    }

    @Test func anAddressTheUserBoundIsAcceptedToo() {
        func accepts(_ listening: String, _ authority: String) -> Bool {
            HostRule(listening: ListenAddress(host: listening, port: 9464)).accepts(authority: authority)
        }
        #expect(accepts("127.0.0.1", "127.0.0.1:9464"))
        #expect(accepts("127.0.0.1", "127.0.0.2:9464"), "all of 127/8 is this machine")
        #expect(accepts("127.0.0.1", "LocalHost:9464"))
        #expect(!accepts("127.0.0.1", "192.0.2.7:9464"))
        #expect(!accepts("127.0.0.1", "metrics.example:9464"))
        #expect(!accepts("127.0.0.1", "localhost.evil.example"))
        #expect(!accepts("127.0.0.1", "[::1"))
        #expect(!accepts("127.0.0.1", "127.0.0.1:abc"), "a port that is no number")
        #expect(!accepts("127.0.0.1", "::1"), "IPv6 in a Host header is bracketed")
        #expect(accepts("192.0.2.7", "192.0.2.7:9464"), "the address the user typed")
        #expect(accepts("192.0.2.7", "127.0.0.1:9464"))
        #expect(!accepts("192.0.2.7", "192.0.2.8:9464"))
        #expect(!accepts("192.0.2.7", "prometheus-target.example:9464"), "a name is refused even then")
        #expect(accepts("2001:db8::7", "[2001:db8:0::7]:9464"), "IPv6 compared as addresses, not as text")
        #expect(accepts("0.0.0.0", "192.0.2.8:9464"), "bound to every address: any address of this machine")
        #expect(accepts("::", "[2001:db8::8]:9464"))
        #expect(!accepts("0.0.0.0", "evil.example:9464"))
    }
}
