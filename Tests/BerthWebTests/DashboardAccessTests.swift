import BerthDaemon
@testable import BerthWeb
import Foundation
import Logging
import Testing

/// The dashboard's access rules over a real socket: the token, the `Host` and `Origin` checks, and the
/// actions (docs/dashboard.md, "Access").
@Suite(.timeLimit(.minutes(1)))
struct DashboardAccessTests {
    static let token = DashboardToken(value: String(repeating: "ab", count: 32))

    /// Runs a dashboard for `source` on a free loopback port and hands `body` a client of it.
    static func withDashboard(
        _ source: FakeDashboardSource, tick: Duration = .seconds(1), _ body: (RawHTTP) async throws -> Void
    ) async throws {
        let (links, listening) = AsyncStream.makeStream(of: DashboardLink.self)
        let server = DashboardServer(
            address: ListenAddress(port: 0), token: token, source: source, tick: tick, logger: Logger(label: "test")
        ) { listening.yield($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            var iterator = links.makeAsyncIterator()
            let link = try #require(await iterator.next())
            let port = try #require(URLComponents(string: link.url)?.port)
            #expect(link.token == token.value)
            try await body(RawHTTP(port: port))
        }
    }

    @Test func thePageNeedsTheToken() async throws {
        try await Self.withDashboard(FakeDashboardSource(forwards: [])) { http in
            #expect(try await http.send("/").status == 401)
            #expect(try await http.send("/?token=wrong").status == 401)
            #expect(try await http.send("/?token=\(String(repeating: "ab", count: 31))aa").status == 401, "same length, one byte off")
            let page = try await http.send("/?token=\(Self.token.value)")
            #expect(page.status == 200)
            #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(page.headers["content-security-policy"]?.contains("default-src 'none'") == true)
            #expect(page.headers["referrer-policy"] == "no-referrer", "links the page opens must not carry the token away")
            #expect(page.body.contains("<script src=\"app.js\""))
            #expect(try await http.send("/events").status == 401)
            #expect(try await http.send("/api/status").status == 401)
            #expect(try await http.send("/api/status", headers: ["Authorization": "Bearer \(Self.token.value)"]).status == 200)
            // The script and style hold no data: they load without the token.
            let script = try await http.send("/app.js")
            #expect(script.status == 200)
            #expect(script.body.contains("new EventSource"))
            #expect(try await http.send("/app.css").status == 200)
        }
    }

    @Test func aForeignHostOrOriginIsRefused() async throws {
        try await Self.withDashboard(FakeDashboardSource(forwards: [])) { (http: RawHTTP) async throws in
            let page = "/?token=\(Self.token.value)"
            // DNS rebinding: the attacker's name resolves to 127.0.0.1, so the browser sends that name as Host.
            #expect(try await http.send(page, host: "evil.example:\(http.port)").status == 421)
            #expect(try await http.send("/app.js", host: "evil.example").status == 421, "even the public files")
            #expect(try await http.send(page, host: "192.0.2.7:\(http.port)").status == 421, "not an address it listens on")
            #expect(try await http.send(page, host: "localhost:\(http.port)").status == 200)
            #expect(try await http.send(page, host: "[::1]:\(http.port)").status == 200)
            #expect(try await http.send(page, headers: ["Origin": "http://evil.example"]).status == 403)
            #expect(try await http.send(page, headers: ["Origin": "null"]).status == 403)
            #expect(try await http.send(page, headers: ["Origin": "http://127.0.0.1:\(http.port)"]).status == 200)
        }
    }

    @Test func actionsArePostsWithTheTokenInTheHeader() async throws {
        let source = FakeDashboardSource(forwards: [FakeDashboardSource.forward("web"), FakeDashboardSource.forward("db", .rebinding)])
        try await Self.withDashboard(source) { http in
            let bearer = ["Authorization": "Bearer \(Self.token.value)"]
            // A form on another page could send the token in the query; an action must not accept it there.
            #expect(try await http.send("POST", "/api/forwards/web/rebind?token=\(Self.token.value)").status == 401)
            #expect(try await http.send("POST", "/api/forwards/web/rebind", headers: bearer.merging(["Origin": "http://evil.example"]) { $1 }).status == 403)
            #expect(source.rebinds.isEmpty)
            #expect(try await http.send("GET", "/api/forwards/web/rebind", headers: bearer).status != 204, "a GET does nothing")
            #expect(source.rebinds.isEmpty)

            #expect(try await http.send("POST", "/api/forwards/web/rebind", headers: bearer).status == 204)
            #expect(try await http.send("POST", "/api/forwards/nosuch/rebind", headers: bearer).status == 404)
            #expect(source.rebinds == ["web", "nosuch"])

            let probe = try await http.send("POST", "/api/forwards/web/probe", headers: bearer)
            #expect(probe.status == 200)
            let result = try JSONDecoder.iso8601.decode(ProbeResult.self, from: Data(probe.body.utf8))
            #expect(result.ok)
            #expect(try await http.send("POST", "/api/forwards/db/probe", headers: bearer).status == 409, "db is not Ready")
        }
    }

    @Test func tokensAreLongRandomAndNeverPrinted() {
        let first = DashboardToken()
        let second = DashboardToken()
        #expect(first.value.count == 64, "256 bits in hex")
        #expect(first.value.allSatisfy { $0.isHexDigit })
        #expect(first != second)
        #expect(!"\(first)".contains(first.value))
        #expect(first.matches(first.value))
        #expect(!first.matches(second.value))
        #expect(!first.matches(""))
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
