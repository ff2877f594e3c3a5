import KubeAPI
import Logging
import Testing

@testable import KubeClient

// HTTPS_PROXY / HTTP_PROXY / NO_PROXY, read the way kubectl (Go's net/http) reads them.
@Suite struct ProxyEnvironmentTests {
    private static let prod = ServerAddress(scheme: "https", host: "api.prod.example.com", port: 6443)

    @Test func httpsServersUseHTTPSProxyAndHTTPServersHTTPProxy() throws {
        let environment = ["HTTPS_PROXY": "http://u:p@proxy.corp:3128", "HTTP_PROXY": "plain.corp:8080"]
        #expect(try ProxyEnvironment.proxy(for: Self.prod, environment: environment)
            == ProxySettings(host: "proxy.corp", port: 3128, username: "u", password: "p"))
        let plain = ServerAddress(scheme: "http", host: "api.example.com", port: 8080)
        // No scheme means http://, and an http:// proxy without a port is on 80.
        #expect(try ProxyEnvironment.proxy(for: plain, environment: environment) == ProxySettings(host: "plain.corp", port: 8080))
        #expect(try ProxyEnvironment.proxy(for: plain, environment: ["http_proxy": "http://p"]) == ProxySettings(host: "p", port: 80))
        #expect(try ProxyEnvironment.proxy(for: Self.prod, environment: ["HTTP_PROXY": "http://p:1"]) == nil)
        #expect(try ProxyEnvironment.proxy(for: Self.prod, environment: [:]) == nil)
    }

    @Test func upperCaseWinsOverLowerCaseAndEmptyIsUnset() throws {
        let both = ["HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2"]
        #expect(try ProxyEnvironment.proxy(for: Self.prod, environment: both)?.host == "upper")
        let emptyUpper = ["HTTPS_PROXY": "", "https_proxy": "http://lower:2"]
        #expect(try ProxyEnvironment.proxy(for: Self.prod, environment: emptyUpper)?.host == "lower")
    }

    @Test(arguments: [
        ("*", "api.prod.example.com", 6443, false),
        ("example.com", "api.prod.example.com", 6443, false),
        ("example.com", "example.com", 6443, false),
        (".example.com", "example.com", 6443, true),
        ("*.example.com", "api.example.com", 6443, false),
        ("other.com, prod.example.com", "api.prod.example.com", 6443, false),
        ("xample.com", "api.example.com", 6443, true),
        ("example.com:443", "api.example.com", 6443, true),
        ("example.com:6443", "api.example.com", 6443, false),
        ("10.0.0.0/8", "10.1.2.3", 6443, false),
        ("10.0.0.0/8", "11.1.2.3", 6443, true),
        ("192.168.1.5", "192.168.1.5", 6443, false),
        ("192.168.1.5:443", "192.168.1.5", 6443, true),
        ("fd00::/8", "fd12::1", 6443, false),
        ("[fd12::1]:6443", "fd12::1", 6443, false),
        ("", "localhost", 6443, false),
        ("", "127.0.0.1", 6443, false),
        ("", "127.9.9.9", 6443, false),
        ("", "::1", 6443, false),
        ("", "10.0.0.1", 6443, true),
        ("API.PROD.example.com", "api.prod.EXAMPLE.com", 6443, false),
    ])
    func noProxyFollowsGo(_ noProxy: String, host: String, port: Int, proxied: Bool) {
        #expect(ProxyEnvironment.usesProxy(host: host, port: port, noProxy: noProxy) == proxied)
    }

    @Test func aProxyThatIsNotHTTPIsAClearErrorWithoutItsValue() {
        let error = #expect(throws: KubeClientError.self) {
            _ = try ProxyEnvironment.proxy(for: Self.prod, environment: ["HTTPS_PROXY": "socks5://user:hunter2@proxy:1080"])
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("field HTTPS_PROXY: only http:// (CONNECT) proxies are supported, not socks5"), "\(text)")
        #expect(!text.contains("hunter2"))
    }

    @Test func theClientUsesTheKubeconfigProxyElseTheEnvironment() async throws {
        let environment = ["HTTPS_PROXY": "http://env-proxy:3128", "NO_PROXY": "internal.example.com"]
        func proxy(server: ServerAddress, kubeconfigProxy: ProxySettings? = nil) async throws -> ProxySettings? {
            let configuration = KubeClientConfiguration(contextName: "c", source: "test", server: server, proxy: kubeconfigProxy)
            let client = try KubeClient(configuration: configuration, environment: environment, logger: Logger(label: "test"))
            try await client.shutdown()
            return client.connectionInfo.proxy
        }
        #expect(try await proxy(server: Self.prod) == ProxySettings(host: "env-proxy", port: 3128))
        #expect(try await proxy(server: Self.prod, kubeconfigProxy: ProxySettings(host: "kc", port: 1)) == ProxySettings(host: "kc", port: 1))
        #expect(try await proxy(server: ServerAddress(scheme: "https", host: "k.internal.example.com", port: 443)) == nil)
        #expect(try await proxy(server: ServerAddress(scheme: "https", host: "127.0.0.1", port: 6443)) == nil)
    }
}
