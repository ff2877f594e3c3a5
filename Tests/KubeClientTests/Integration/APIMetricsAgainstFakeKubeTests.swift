import BerthMetrics
import BerthTestSupport
import FakeKube
import KubeAPI
import KubeClient
import Testing

/// `berth_api_requests_total{verb}` counts what the API server saw, verb by verb (docs/metrics.md).
@Suite(.timeLimit(.minutes(1)))
struct APIMetricsAgainstFakeKubeTests {
    @Test func everyRequestIsCountedByItsVerb() async throws {
        try await FakeKubeFixture.with { fixture in
            let metrics = BerthMetrics()
            let configuration = try KubeClientConfiguration.load(
                kubeconfig: fixture.kubeconfig, context: FakeKubeServer.User.admin.rawValue, environment: FakeKubeFixture.environment)
            let apiMetrics = APIMetrics(factory: metrics.factory)
            let client = try KubeClient(
                configuration: configuration, environment: FakeKubeFixture.environment, metrics: apiMetrics, logger: quietLogger)
            _ = try await client.get(Pod.self, name: "lonely", namespace: "team")
            _ = try await client.get(Pod.self, name: "lonely", namespace: "team")
            _ = try await client.list(Pod.self, namespace: "team")
            let events = try await client.watch(Pod.self, namespace: "team", options: WatchOptions(timeoutSeconds: 1))
            for try await _ in events {}
            try await client.deletePod(name: "lonely", namespace: "team")
            try await client.shutdown()

            let samples = PrometheusSamples(metrics.exposition())
            let expected = ["get": 2, "list": 1, "watch": 1, "delete": 1, "create": 0]
            for (verb, count) in expected {
                #expect(samples.value(MetricName.apiRequestsTotal, ["verb": verb]) == Double(count), "\(verb)")
                #expect(fixture.server.stats().count(verb: verb, resource: "pods") == count, "FakeKube's \(verb)")
            }
            #expect(apiMetrics.requestsCounted == 5, "the dashboard's count is the sum of the metric")
        }
    }
}
