import Foundation
import KubeAPI
import Logging
import Testing

@testable import KubeClient

/// Shared set-up of the suites that run the REST client against `TestAPIServer`.
protocol RESTTestCase {
    var pki: TestPKI { get }
}

extension RESTTestCase {
    static func podJSON(_ name: String, rv: String = "1", kind: Bool = false) -> String {
        let header = kind ? #""kind":"Pod","apiVersion":"v1","# : ""
        return #"{\#(header)"metadata":{"name":"\#(name)","namespace":"shop","resourceVersion":"\#(rv)"},"spec":{"containers":[{"name":"app","ports":[{"name":"http","containerPort":8080}]}]},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}"#
    }

    func configuration(
        port: Int, credentials: Credentials = Credentials(), ca: String? = nil, serverName: String? = nil, host: String = "127.0.0.1"
    ) -> KubeClientConfiguration {
        KubeClientConfiguration(
            contextName: "test", source: "/test/config", namespace: "shop",
            server: ServerAddress(scheme: "https", host: host, port: port),
            tls: TLSSettings(certificateAuthorityPEM: Array((ca ?? pki.caPEM).utf8), serverName: serverName),
            credentials: credentials, userName: "tester")
    }

    /// Runs `body` with a client and shuts everything down whatever happens.
    func withClient(
        _ configuration: KubeClientConfiguration, server: TestAPIServer, environment: [String: String] = [:],
        _ body: (KubeClient) async throws -> Void
    ) async throws {
        let client = try KubeClient(configuration: configuration, environment: environment, logger: Logger(label: "test"))
        do {
            try await body(client)
        } catch {
            try await client.shutdown()
            try await server.close()
            throw error
        }
        try await client.shutdown()
        try await server.close()
    }

    func apiError(_ body: () async throws -> Void) async -> (status: Status, request: String, retryAfter: Int?)? {
        do {
            try await body()
        } catch KubeClientError.api(let status, let request, let retryAfter) {
            return (status, request, retryAfter)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }
}
