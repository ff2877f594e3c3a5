import NIOSSL

/// Builds the NIOSSL client configuration for a cluster: custom roots from the CA (or the system roots),
/// the client certificate, TLS ≥ 1.2, ALPN `http/1.1` only because the streaming upgrades are HTTP/1.1-only.
enum TLSConfigurationBuilder {
    static func make(_ settings: TLSSettings, clientCertificate: ClientCertificatePEM?, user: String) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.applicationProtocols = ["http/1.1"]
        if settings.insecureSkipVerify {
            tls.certificateVerification = .none
        } else if let pem = settings.certificateAuthorityPEM {
            let roots = try NIOSSLCertificate.fromPEMBytes(pem)
            tls.trustRoots = .certificates(roots)
        }
        if let clientCertificate {
            do {
                let chain = try NIOSSLCertificate.fromPEMBytes(clientCertificate.certificate)
                tls.certificateChain = chain.map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: clientCertificate.key, format: .pem))
            } catch {
                throw KubeClientError.credentials(user: user, message: "the client certificate or key is not valid PEM (RSA or EC)")
            }
        }
        return tls
    }
}
