import BerthTestSupport
import Foundation
import Testing

/// `berth status` of a daemon started with `--ui` and `--metrics` (docs/cli-daemon.md): their URLs above the
/// table and in JSON, the dashboard's token only with `--show-token`.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct StatusServersEndToEndTests {
    typealias Scenario = MetricsEndToEndTests

    @Test func statusShowsTheDashboardAndMetricsButTheTokenOnlyWhenAsked() async throws {
        try await ProcessWorld.with(scenario: Scenario.scenario) { world in
            let manifest = try world.write("forwards.yaml", Scenario.manifest)
            let up = try world.startBerth([
                "up", "-f", manifest, "--kubeconfig", world.kubeconfig, "--ui", "127.0.0.1:0", "--metrics", "127.0.0.1:0",
            ])
            defer { up.stop() }
            var dashboard = ""
            var token = ""
            try await eventually("berth up prints the dashboard's URL with its token") {
                guard let match = up.log().firstMatch(of: /dashboard: (http:\/\/127\.0\.0\.1:[0-9]+\/)\?token=([0-9a-f]{64})/) else { return false }
                (dashboard, token) = (String(match.1), String(match.2))
                return true
            }
            var json: [String: Any] = [:]
            try await eventually("berth status -o json names both servers") {
                let output = try await world.berth(["status", "-f", manifest, "-o", "json"])
                json = (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]) ?? [:]
                return json["metrics"] is String && json["dashboard"] is String
            }
            #expect(json["dashboard"] as? String == dashboard)
            let metrics = try #require(json["metrics"] as? String)
            #expect(metrics.wholeMatch(of: /http:\/\/127\.0\.0\.1:[0-9]+\/metrics/) != nil, "\(metrics)")

            let table = try await world.berth(["status", "-f", manifest])
            #expect(table.stdout.contains("dashboard  \(dashboard)  (berth status --show-token"), "\(table.stdout)")
            #expect(table.stdout.contains("metrics    \(metrics)"), "\(table.stdout)")
            #expect(table.stdout.contains("NAME"))
            #expect(!table.stdout.contains(token), "the token stays out of plain status output")
            #expect(!(try await world.berth(["status", "-f", manifest, "-o", "json"])).stdout.contains(token))

            let shown = try await world.berth(["status", "-f", manifest, "--show-token"])
            #expect(shown.stdout.contains("dashboard  \(dashboard)?token=\(token)\n"), "\(shown.stdout)")
            let shownJSON = try await world.berth(["status", "-f", manifest, "-o", "json", "--show-token"])
            #expect(shownJSON.stdout.contains("\"dashboard\" : \"\(dashboard)?token=\(token)\""), "\(shownJSON.stdout)")

            #expect(try await world.berth(["down", "-f", manifest]).status == 0, "log:\n\(up.log())")
            #expect(await up.wait() == 0)
        }
    }
}
