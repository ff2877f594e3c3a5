import FakeKube
import Foundation
import KubeAPI
import Logging
import NIOCore
import NIOHTTP1
import Testing

@testable import KubeClient

/// The REST client against a real HTTPS server on 127.0.0.1 with a generated CA.
@Suite struct RESTClientTests: RESTTestCase {
    let pki = TestPKI.shared

    @Test func bearerTokenGetAndReuseOfTheConnection() async throws {
        let server = try await TestAPIServer { request in
            request.path == "/api/v1/namespaces/shop/pods/web-1"
                ? .full(.ok, body: Self.podJSON("web-1", kind: true)) : .full(.notFound, body: "{}")
        }
        try await withClient(configuration(port: server.port, credentials: Credentials(bearer: .token("s3cr3t"))), server: server) { client in
            let pod = try await client.get(Pod.self, name: "web-1")
            #expect(pod.metadata.name == "web-1")
            #expect(pod.isServing)
            _ = try await client.get(Pod.self, name: "web-1", namespace: "shop")
            #expect(server.requests.map(\.authorization) == ["Bearer s3cr3t", "Bearer s3cr3t"])
            #expect(server.requests.first?.clientCertificateDER == nil)
            #expect(server.requests.first?.headers.first(name: "Accept") == "application/json")
        }
    }

    @Test func basicAuth() async throws {
        let server = try await TestAPIServer { _ in .full(.ok, body: Self.podJSON("p")) }
        let credentials = Credentials(basic: BasicCredentials(username: "admin", password: "pa:ss"))
        try await withClient(configuration(port: server.port, credentials: credentials), server: server) { client in
            _ = try await client.get(Pod.self, name: "p")
            #expect(server.requests.first?.authorization == "Basic " + Data("admin:pa:ss".utf8).base64EncodedString())
        }
    }

    @Test(arguments: ["ec", "rsa"]) func clientCertificateAuth(keyType: String) async throws {
        let identity = keyType == "ec" ? pki.ecClient : pki.rsaClient
        let server = try await TestAPIServer { _ in .full(.ok, body: Self.podJSON("p")) }
        let credentials = Credentials(clientCertificate: ClientCertificatePEM(
            certificate: Array(identity.certificatePEM.utf8), key: Array(identity.keyPEM.utf8)))
        try await withClient(configuration(port: server.port, credentials: credentials), server: server) { client in
            _ = try await client.get(Pod.self, name: "p")
            #expect(server.requests.first?.clientCertificateDER == identity.certificateDER)
            #expect(server.requests.first?.authorization == nil)
        }
    }

    @Test func tlsServerNameAndCertificateVerification() async throws {
        // This certificate names only kube.test: the IP alone does not verify, tls-server-name does.
        let named = try await TestAPIServer(identity: pki.namedServer) { _ in .full(.ok, body: Self.podJSON("p")) }
        try await withClient(configuration(port: named.port, serverName: "kube.test"), server: named) { client in
            _ = try await client.get(Pod.self, name: "p")
            #expect(client.connectionInfo.serverName == "kube.test")
            #expect(named.requests.count == 1)
        }
        for serverName in [nil, "wrong.test"] {
            let server = try await TestAPIServer(identity: pki.namedServer) { _ in .full(.ok, body: Self.podJSON("p")) }
            try await withClient(configuration(port: server.port, serverName: serverName), server: server) { client in
                await #expect(throws: KubeClientError.self, "server name \(serverName ?? "(none)")") {
                    _ = try await client.get(Pod.self, name: "p")
                }
                #expect(server.requests.isEmpty)
            }
        }
        let other = try await TestAPIServer { _ in .full(.ok, body: Self.podJSON("p")) }
        try await withClient(configuration(port: other.port, ca: pki.otherCAPEM), server: other) { client in
            do {
                _ = try await client.get(Pod.self, name: "p")
                Issue.record("a server signed by another CA was trusted")
            } catch KubeClientError.transport(let request, _) {
                #expect(request == "GET /api/v1/namespaces/shop/pods/p")
            }
            #expect(other.requests.isEmpty)
        }
    }

    @Test func httpConnectProxyCarriesTheTLSConnection() async throws {
        let proxy = try await FakeConnectProxy()
        let server = try await TestAPIServer { _ in .full(.ok, body: Self.podJSON("p")) }
        var config = configuration(port: server.port, credentials: Credentials(bearer: .token("s3cr3t")))
        config.proxy = ProxySettings(host: "127.0.0.1", port: proxy.port, username: "u", password: "p")
        try await withClient(config, server: server) { client in
            _ = try await client.get(Pod.self, name: "p")
            let head = try #require(proxy.connectRequests.first)
            #expect(head.hasPrefix("CONNECT 127.0.0.1:\(server.port) HTTP/1.1"))
            #expect(head.lowercased().contains("proxy-authorization: basic " + Data("u:p".utf8).base64EncodedString().lowercased()))
            // The bearer token travels inside TLS, never in the CONNECT request the proxy sees.
            #expect(!head.contains("s3cr3t"))
            #expect(server.requests.first?.authorization == "Bearer s3cr3t")
        }
        try await proxy.close()
    }

    @Test func paginatedListFollowsContinue() async throws {
        let server = try await TestAPIServer { request in
            let page = request.query["continue"] ?? ""
            let next = ["": "tok+1", "tok+1": "tok/2", "tok/2": ""][page] ?? ""
            let names = ["": ["a", "b"], "tok+1": ["c", "d"], "tok/2": ["e"]][page] ?? []
            let items = names.map { Self.podJSON($0) }.joined(separator: ",")
            return .full(.ok, body: #"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"77","continue":"\#(next)"},"items":[\#(items)]}"#)
        }
        try await withClient(configuration(port: server.port), server: server) { client in
            let options = ListOptions(labelSelector: "app=web,tier in (a,b)", limit: 2, resourceVersion: "0")
            let list = try await client.listAll(Pod.self, options: options)
            #expect(list.items.map(\.metadata.name) == ["a", "b", "c", "d", "e"])
            #expect(list.metadata.resourceVersion == "77")
            #expect(list.metadata.continue == nil)
            let queries = server.requests.map(\.query)
            #expect(queries.map { $0["continue"] } == [nil, "tok+1", "tok/2"])
            #expect(queries.allSatisfy { $0["labelSelector"] == "app=web,tier in (a,b)" && $0["limit"] == "2" })
            #expect(queries.map { $0["resourceVersion"] } == ["0", nil, nil])

            let page = try await client.listerWatcher(for: Pod.self, namespace: "shop").list(ListOptions(limit: 2))
            #expect(page.metadata.continue == "tok+1")
            let all = try await client.list(Pod.self, allNamespaces: true)
            #expect(all.items.count == 2)
            #expect(server.requests.last?.path == "/api/v1/pods")
        }
    }

    @Test func forbiddenStatusIsDecoded() async throws {
        let status = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"x\" is forbidden: User \"bob\" cannot get resource \"pods\" in API group \"\" in the namespace \"shop\"","reason":"Forbidden","details":{"name":"x","kind":"pods"},"code":403}"#
        let server = try await TestAPIServer { _ in .full(.forbidden, body: status) }
        try await withClient(configuration(port: server.port, credentials: Credentials(bearer: .token("s3cr3t"))), server: server) { client in
            let error = await apiError { _ = try await client.get(Pod.self, name: "x") }
            #expect(error?.status.reason == "Forbidden")
            #expect(error?.status.code == 403)
            #expect(error?.status.details?.kind == "pods")
            #expect(error?.status.message?.contains("cannot get resource \"pods\"") == true)
            #expect(error?.request == "GET /api/v1/namespaces/shop/pods/x")
            #expect(error?.retryAfter == nil)
        }
    }

    @Test func tooManyRequestsHonoursRetryAfter() async throws {
        let status = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too many requests","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429}"#
        let server = try await TestAPIServer { _ in .full(.tooManyRequests, headers: [("Retry-After", "7")], body: status) }
        try await withClient(configuration(port: server.port), server: server) { client in
            let error = await apiError { _ = try await client.list(Pod.self) }
            #expect(error?.status.reason == "TooManyRequests")
            #expect(error?.retryAfter == 7)
        }
    }

    @Test func nonStatusErrorBodiesAndExpiredLists() async throws {
        let server = try await TestAPIServer { request in
            request.query["continue"] != nil
                ? .full(.gone, body: #"{"kind":"Status","apiVersion":"v1","metadata":{"continue":"fresh"},"status":"Failure","message":"The provided continue parameter is too old","reason":"Expired","code":410}"#)
                : .full(.badGateway, body: "upstream connect error")
        }
        try await withClient(configuration(port: server.port), server: server) { client in
            let plain = await apiError { _ = try await client.get(Pod.self, name: "x") }
            #expect(plain?.status.code == 502)
            #expect(plain?.status.reason == "InternalError")
            #expect(plain?.status.message == "upstream connect error")
            do {
                _ = try await client.list(Pod.self, options: ListOptions(limit: 1, continueToken: "old"))
                Issue.record("expected 410")
            } catch let error as KubeClientError {
                #expect(error.isExpired)
                #expect(error.statusCode == 410)
            }
        }
    }

    @Test func unauthorizedReRunsTheExecPluginOnTheNextRequest() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugin = try ExecPluginFixture(dir: dir)
        let server = try await TestAPIServer { request in
            request.authorization == "Bearer tok-1"
                ? .full(.unauthorized, body: #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#)
                : .full(.ok, body: Self.podJSON("p"))
        }
        let credentials = Credentials(bearer: .exec(plugin.config(provideClusterInfo: true)))
        try await withClient(configuration(port: server.port, credentials: credentials), server: server, environment: ["PATH": "/usr/bin:/bin"]) { client in
            do {
                _ = try await client.get(Pod.self, name: "p")
                Issue.record("expected 401")
            } catch {
                #expect(error.localizedDescription.contains("tok-1") == false)
                #expect("\(error)".contains("tok-") == false)
                #expect((error as? KubeClientError)?.statusCode == 401)
            }
            // The 401'd request is not retried; the next one runs the plugin again.
            #expect(plugin.runs == 1)
            _ = try await client.get(Pod.self, name: "p")
            #expect(plugin.runs == 2)
            #expect(server.requests.map(\.authorization) == ["Bearer tok-1", "Bearer tok-2"])
            // The dialer sees the same, current credentials.
            #expect(try await client.connectionInfo.authorizationHeaders().first(name: "Authorization") == "Bearer tok-2")
        }
    }

    @Test func execIssuedClientCertificateIsPresented() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugin = try ExecPluginFixture(dir: dir, certificate: pki.rsaClient)
        let server = try await TestAPIServer { _ in .full(.ok, body: Self.podJSON("p")) }
        let credentials = Credentials(bearer: .exec(plugin.config()))
        try await withClient(configuration(port: server.port, credentials: credentials), server: server, environment: ["PATH": "/usr/bin:/bin"]) { client in
            _ = try await client.get(Pod.self, name: "p")
            #expect(server.requests.first?.clientCertificateDER == pki.rsaClient.certificateDER)
            #expect(server.requests.first?.authorization == nil)
            let tls = try #require(try await client.connectionInfo.tlsConfiguration())
            #expect(tls.certificateChain.count == 1)
            #expect(tls.applicationProtocols == ["http/1.1"])
        }
    }

    @Test func rotatedTokenFileIsReadAgain() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("token", "first\n")
        let server = try await TestAPIServer { _ in .full(.ok, body: Self.podJSON("p")) }
        let credentials = Credentials(bearer: .tokenFile(path: path, initial: "first"))
        try await withClient(configuration(port: server.port, credentials: credentials), server: server) { client in
            _ = try await client.get(Pod.self, name: "p")
            // Rotation as kubelet does it: a new file renamed over the old one.
            let staged = try dir.write("token.new", "second-longer\n")
            _ = rename(staged, path)
            _ = try await client.get(Pod.self, name: "p")
            #expect(server.requests.map(\.authorization) == ["Bearer first", "Bearer second-longer"])
        }
    }

    @Test func deletePodAndRefusedConnections() async throws {
        let server = try await TestAPIServer { _ in .full(.ok, body: Self.podJSON("p")) }
        try await withClient(configuration(port: server.port), server: server) { client in
            try await client.deletePod(name: "web 1", gracePeriodSeconds: 0)
            let request = try #require(server.requests.first)
            #expect(request.method == .DELETE)
            #expect(request.uri == "/api/v1/namespaces/shop/pods/web%201?gracePeriodSeconds=0")
        }
        // Port 1 on loopback: nothing listens there (a freed ephemeral port could be reused by a parallel test).
        let closed = try KubeClient(configuration: configuration(port: 1), logger: Logger(label: "test"))
        do {
            _ = try await closed.get(Namespace.self, name: "shop")
            Issue.record("expected a transport error")
        } catch KubeClientError.transport(let request, _) {
            #expect(request == "GET /api/v1/namespaces/shop")
        } catch {
            Issue.record("unexpected \(error)")
        }
        try await closed.shutdown()
    }

    @Test func registrySharesOneClientPerKubeconfigAndContext() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try dir.write("config", """
            current-context: a
            clusters: [{name: k, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: a, context: {cluster: k, user: u}}, {name: b, context: {cluster: k, user: u, namespace: other}}]
            """)
        let registry = KubeClientRegistry(environment: ["HOME": dir.path], logger: Logger(label: "test"))
        let first = try await registry.client(kubeconfig: file)
        let again = try await registry.client(kubeconfig: file, context: "a")
        let other = try await registry.client(kubeconfig: file, context: "b")
        #expect(first === again)
        #expect(first !== other)
        #expect(other.namespace == "other")
        await registry.shutdown()
    }
}
