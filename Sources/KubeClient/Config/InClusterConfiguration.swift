import Foundation
import KubeAPI

/// The configuration of a process running in a pod (docs/kubeconfig.md, "Which kubeconfig is read"): service host and
/// port from the environment, token, CA and namespace from the service-account directory. The token file is re-read
/// when it changes.
public struct InClusterConfiguration: Sendable {
    /// The standard service-account mount.
    public static let defaultDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The environment (`KUBERNETES_SERVICE_HOST`, `KUBERNETES_SERVICE_PORT`, `POD_NAMESPACE`).
    public var environment: [String: String]
    /// The service-account directory.
    public var directory: String

    /// Creates an in-cluster loader.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, directory: String = defaultDirectory) {
        self.environment = environment
        self.directory = directory
    }

    /// Both service variables are non-empty.
    public static func isAvailable(environment: [String: String]) -> Bool {
        !(environment["KUBERNETES_SERVICE_HOST"] ?? "").isEmpty && !(environment["KUBERNETES_SERVICE_PORT"] ?? "").isEmpty
    }

    /// Reads the service-account files.
    public func load() throws -> KubeClientConfiguration {
        let source = "in-cluster"
        func fail(_ field: String, _ message: String) -> KubeClientError {
            .kubeconfig(file: directory, entry: source, field: field, message: message)
        }
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let portText = environment["KUBERNETES_SERVICE_PORT"], let port = Int(portText)
        else {
            throw fail("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_HOST and a numeric KUBERNETES_SERVICE_PORT must be set")
        }
        let tokenPath = (directory as NSString).appendingPathComponent("token")
        let token = try Kubeconfig.readFile(tokenPath, fail: { fail("token", $0) })
        let caPath = (directory as NSString).appendingPathComponent("ca.crt")
        let caBytes = try Kubeconfig.readFile(caPath, fail: { fail("ca.crt", $0) })
        let ca = try Kubeconfig.checkedCertificates(caBytes, fail: { fail("ca.crt", $0) })
        var namespace = environment["POD_NAMESPACE"] ?? ""
        if namespace.isEmpty {
            let namespacePath = (directory as NSString).appendingPathComponent("namespace")
            namespace = FileManager.default.contents(atPath: namespacePath)
                .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        }
        let initial = String(decoding: token, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return KubeClientConfiguration(
            contextName: source, source: source, namespace: namespace.isEmpty ? "default" : namespace,
            server: ServerAddress(scheme: "https", host: host, port: port),
            tls: TLSSettings(certificateAuthorityPEM: ca),
            credentials: Credentials(bearer: .tokenFile(path: tokenPath, initial: initial)), userName: "serviceaccount")
    }
}
