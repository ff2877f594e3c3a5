import Crypto
import FakeKube
import Foundation
import KubeAPI
import KubePortForward
import Logging
import NIOCore
import NIOSSL
import Testing
import X509

// The dialer over TLS with a private CA and an SNI name, as kubeconfig clusters are.
@Suite(.timeLimit(.minutes(1)))
struct PortForwardDialerTLSTests {
    /// A self-signed certificate for `localhost`, generated per run.
    private static func selfSigned() throws -> (certificate: NIOSSLCertificate, key: NIOSSLPrivateKey) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("localhost") }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-60),
            notValidAfter: now.addingTimeInterval(3600),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                SubjectAlternativeNames([.dnsName("localhost")])
            },
            issuerPrivateKey: .init(key)
        )
        return (
            try NIOSSLCertificate(bytes: Array(certificate.serializeAsPEM().pemString.utf8), format: .pem),
            try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)
        )
    }

    /// A TLS port-forward server with that certificate, whose pod `echo-pod` echoes on port 80.
    private static func tlsServer(
        certificate: NIOSSLCertificate, key: NIOSSLPrivateKey
    ) async throws -> (server: PortForwardLoopbackServer, echo: LoopbackEchoServer) {
        let echo = try await LoopbackEchoServer.start()
        let address = echo.address
        let pod = PortForwardPod(namespace: "default", name: "echo-pod", uid: "uid-1") { $0 == 80 ? address : nil }
        let serverTLS = try NIOSSLContext(
            configuration: .makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        )
        let server = try await PortForwardLoopbackServer.start(pods: [pod], tls: serverTLS)
        return (server, echo)
    }

    @Test func echoesOverTLSWithAPrivateCAAndSNI() async throws {
        let (certificate, key) = try Self.selfSigned()
        let (server, echo) = try await Self.tlsServer(certificate: certificate, key: key)
        #expect(server.url.hasPrefix("https://127.0.0.1:"))

        var clientTLS = TLSConfiguration.makeClientConfiguration()
        clientTLS.trustRoots = .certificates([certificate])
        let dialer = try PortForwardDialer(server: server.url, tls: clientTLS, serverName: "localhost", logger: Logger(label: "test"))
        #expect(try await dialer.echoOnce("over tls") == "over tls")

        // Without the CA the handshake must fail, as a typed connect error.
        let untrusting = try PortForwardDialer(server: server.url, serverName: "localhost", logger: Logger(label: "test"))
        let error = await #expect(throws: PortForwardError.self) {
            _ = try await untrusting.dial(PortForwardTarget(namespace: "default", pod: "echo-pod", port: 80))
        }
        if case .connectFailed = error {} else { Issue.record("expected connectFailed, got \(String(describing: error))") }

        try await server.shutdown()
        try await echo.shutdown()
    }

    @Test func tlsGoesThroughTheProxyTunnelToAServerNameOnlyTheProxyResolves() async throws {
        let (certificate, key) = try Self.selfSigned()
        let (server, echo) = try await Self.tlsServer(certificate: certificate, key: key)
        let proxy = try await FakeConnectProxy()
        var clientTLS = TLSConfiguration.makeClientConfiguration()
        clientTLS.trustRoots = .certificates([certificate])
        // kube.invalid does not resolve here: only the proxy can reach it (it maps every name to loopback).
        let dialer = try PortForwardDialer(
            server: "https://kube.invalid:\(server.port)", tls: clientTLS, serverName: "localhost",
            proxy: ProxySettings(host: "127.0.0.1", port: proxy.port), logger: Logger(label: "test"))
        #expect(try await dialer.echoOnce("tunnelled") == "tunnelled")
        #expect(proxy.tunnelsOpened == 1)
        #expect(proxy.connectRequests.first?.hasPrefix("CONNECT kube.invalid:\(server.port) HTTP/1.1") == true)
        try await proxy.close()
        try await server.shutdown()
        try await echo.shutdown()
    }

    @Test func dialersWithTheSameSettingsShareOneTLSContext() async throws {
        let (certificate, key) = try Self.selfSigned()
        let (otherCertificate, _) = try Self.selfSigned()
        let (server, echo) = try await Self.tlsServer(certificate: certificate, key: key)
        let target = PortForwardTarget(namespace: "default", pod: "echo-pod", port: 80)

        let cache = TLSContextCache()
        func dialer(trusting root: NIOSSLCertificate) throws -> PortForwardDialer {
            // A fresh configuration per dialer, as the connector builds one per dial.
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates([root])
            return try PortForwardDialer(
                server: server.url, tls: tls, contextCache: cache, serverName: "localhost", logger: Logger(label: "test"))
        }
        for round in 1...2 {
            let stream = try await dialer(trusting: certificate).dial(target)
            let reply = try await stream.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "round \(round)"))
                var iterator = inbound.makeAsyncIterator()
                return try await iterator.next().map { String(buffer: $0) }
            }
            #expect(reply == "round \(round)")
        }
        #expect(cache.count == 1)

        // Other trust roots are other settings: a context of their own, and this server is not trusted by it.
        await #expect(throws: PortForwardError.self) {
            _ = try await dialer(trusting: otherCertificate).dial(target)
        }
        #expect(cache.count == 2)

        try await server.shutdown()
        try await echo.shutdown()
    }
}
