import Foundation

/// The `KUBERNETES_EXEC_INFO` document handed to exec plugins (docs/kubeconfig.md, "Exec credential plugins"). Zero
/// values are omitted.
struct ExecInfo: Encodable {
    struct Spec: Encodable {
        var interactive: Bool
        var cluster: Cluster?
    }

    /// `spec.cluster`, only with `provideClusterInfo: true`.
    struct Cluster: Encodable {
        var server: String
        var tlsServerName: String?
        var insecureSkipTLSVerify: Bool?
        var certificateAuthorityData: String?
        var proxyURL: String?
        var disableCompression: Bool?

        enum CodingKeys: String, CodingKey {
            case server
            case tlsServerName = "tls-server-name"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case certificateAuthorityData = "certificate-authority-data"
            case proxyURL = "proxy-url"
            case disableCompression = "disable-compression"
        }

        init(_ configuration: KubeClientConfiguration) {
            server = configuration.server.url
            tlsServerName = configuration.tls.serverName
            insecureSkipTLSVerify = configuration.tls.insecureSkipVerify ? true : nil
            certificateAuthorityData = configuration.tls.certificateAuthorityPEM.map { Data($0).base64EncodedString() }
            proxyURL = configuration.proxy.map { "http://\($0.host):\($0.port)" }
            disableCompression = configuration.disableCompression ? true : nil
        }
    }

    var kind = "ExecCredential"
    var apiVersion: String
    var spec: Spec

    /// One JSON line, keys sorted so plugins and tests see a stable document.
    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
