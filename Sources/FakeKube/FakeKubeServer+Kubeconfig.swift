import Foundation

extension FakeKubeServer {
    /// A kubeconfig with one cluster (CA embedded), the users `admin` (client certificate), `admin-token`
    /// (bearer token), `readonly`, `forwarder` and `namespaced` (bearer tokens), a context named after each user, and `user`'s
    /// context current. It holds credentials: write it only where the user can read it alone.
    public func kubeconfigYAML(user: User = .admin) -> String {
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        let contexts = User.allCases.map { candidate in
            """
              - name: \(candidate.rawValue)
                context:
                  cluster: fake-kube
                  user: \(candidate.rawValue)
                  namespace: default
            """
        }.joined(separator: "\n")
        return """
            apiVersion: v1
            kind: Config
            preferences: {}
            clusters:
              - name: fake-kube
                cluster:
                  server: \(serverURL)
                  certificate-authority-data: \(base64(caCertificatePEM))
            users:
              - name: admin
                user:
                  client-certificate-data: \(base64(adminClientCertificatePEM))
                  client-key-data: \(base64(adminClientKeyPEM))
              - name: admin-token
                user:
                  token: \(adminToken)
              - name: readonly
                user:
                  token: \(readonlyToken)
              - name: forwarder
                user:
                  token: \(forwarderToken)
              - name: namespaced
                user:
                  token: \(namespacedToken)
            contexts:
            \(contexts)
            current-context: \(user.rawValue)

            """
    }

    /// Writes `kubeconfigYAML(user:)` to `path`, readable by its owner only.
    public func writeKubeconfig(to path: String, user: User = .admin) throws(FakeKubeError) {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(kubeconfigYAML(user: user).utf8).write(to: url, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        } catch {
            throw .kubeconfigWriteFailed(path: path, reason: error.localizedDescription)
        }
    }
}
