import Foundation
import KubeAPI
import Testing

@testable import KubeClient

@Suite struct KubeconfigTests {
    let pki = TestPKI.shared

    func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// Expects a kubeconfig error and returns it for field checks.
    func kubeconfigError(_ body: () throws -> Void) -> (file: String, entry: String, field: String, message: String)? {
        do {
            try body()
        } catch KubeClientError.kubeconfig(let file, let entry, let field, let message) {
            return (file, entry, field, message)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    @Test func mergesTwoFilesFirstDefinitionWinsWhole() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = try dir.write("a/config", """
            current-context: alpha
            clusters:
            - name: shared
              cluster:
                server: https://first.example:6443
            users:
            - name: shared-user
              user:
                token: first-token
            contexts:
            - name: alpha
              context: {cluster: shared, user: shared-user, namespace: shop}
            """)
        let second = try dir.write("b/config", """
            current-context: beta
            clusters:
            - name: shared
              cluster:
                server: https://second.example:6443
                insecure-skip-tls-verify: true
            - name: only-second
              cluster:
                server: https://only.example
            users:
            - name: shared-user
              user:
                username: admin
                password: pw
            contexts:
            - name: beta
              context: {cluster: only-second, user: shared-user}
            """)
        let loader = KubeconfigLoader(environment: ["KUBECONFIG": "\(first):\(dir.path)/missing:\(second):\(first)", "HOME": dir.path])
        #expect(loader.candidatePaths == [first, "\(dir.path)/missing", second])
        let config = try loader.load()
        #expect(config.files == [first, second])
        #expect(config.currentContext == "alpha")
        #expect(config.clusters["shared"]?.server == "https://first.example:6443")
        // Taken whole: the second file's insecure flag does not leak into the first file's entry.
        #expect(config.clusters["shared"]?.insecureSkipTLSVerify == false)
        #expect(config.clusters["only-second"]?.file == second)
        #expect(config.users["shared-user"]?.token == "first-token")
        #expect(config.users["shared-user"]?.username == nil)

        let alpha = try config.configuration()
        #expect(alpha.namespace == "shop")
        #expect(alpha.server == ServerAddress(scheme: "https", host: "first.example", port: 6443))
        #expect(alpha.credentials.bearer == .token("first-token"))
        let beta = try config.configuration(context: "beta")
        #expect(beta.namespace == "default")
        #expect(beta.server.port == 443)
        #expect(beta.source == second)
    }

    @Test func explicitPathWinsAndMustExist() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let env = ["KUBECONFIG": "/nonexistent/a", "HOME": dir.path]
        #expect(KubeconfigLoader(explicitPath: "\(dir.path)/x", environment: env).candidatePaths == ["\(dir.path)/x"])
        let error = kubeconfigError { _ = try KubeconfigLoader(explicitPath: "\(dir.path)/x", environment: env).load() }
        #expect(error?.file == "\(dir.path)/x")
        #expect(error?.message.contains("does not exist") == true)
        #expect(KubeconfigLoader(environment: ["HOME": dir.path]).candidatePaths == ["\(dir.path)/.kube/config"])
    }

    @Test func relativePathsResolveAgainstTheDefiningFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("conf/certs/ca.crt", pki.caPEM)
        try dir.write("conf/certs/client.crt", pki.rsaClient.certificatePEM)
        try dir.write("conf/certs/client.key", pki.rsaClient.keyPEM)
        try dir.write("conf/token", "file-token\n")
        let file = try dir.write("conf/config", """
            current-context: c
            clusters:
            - name: k
              cluster:
                server: https://127.0.0.1:6443
                certificate-authority: certs/ca.crt
                tls-server-name: kube.test
            users:
            - name: u
              user:
                client-certificate: certs/client.crt
                client-key: ./certs/client.key
                tokenFile: token
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: ./plugin.sh
            contexts:
            - name: c
              context: {cluster: k, user: u}
            """)
        let config = try KubeconfigLoader(explicitPath: file, environment: [:]).load()
        let user = try #require(config.users["u"])
        #expect(user.clientCertificate == "\(dir.path)/conf/certs/client.crt")
        #expect(user.clientKey == "\(dir.path)/conf/certs/client.key")
        #expect(user.tokenFile == "\(dir.path)/conf/token")
        #expect(user.exec?.directory == "\(dir.path)/conf")
        #expect(config.clusters["k"]?.certificateAuthority == "\(dir.path)/conf/certs/ca.crt")

        let resolved = try config.configuration()
        #expect(resolved.tls.certificateAuthorityPEM == Array(pki.caPEM.utf8))
        #expect(resolved.tls.serverName == "kube.test")
        #expect(resolved.credentials.clientCertificate?.key == Array(pki.rsaClient.keyPEM.utf8))
        #expect(resolved.credentials.bearer == .tokenFile(path: "\(dir.path)/conf/token", initial: "file-token"))
        // Static credentials are present, so exec is ignored (docs/kubeconfig.md, "Users").
        #expect(!"\(resolved.credentials)".contains("exec"))
    }

    @Test func dataFieldsAndECKeysAreAccepted() throws {
        let yaml = """
            current-context: c
            clusters:
            - name: k
              cluster:
                server: https://[::1]:8443/prefix/
                certificate-authority-data: \(base64(pki.caPEM))
            users:
            - name: u
              user:
                client-certificate-data: \(base64(pki.ecClient.certificatePEM))
                client-key-data: \(base64(pki.ecClient.keyPEM))
            contexts:
            - name: c
              context: {cluster: k, user: u, namespace: ns1}
            """
        let resolved = try Kubeconfig.parse(yaml: yaml, file: "/k/config").configuration()
        #expect(resolved.server == ServerAddress(scheme: "https", host: "::1", port: 8443, basePath: "/prefix"))
        #expect(resolved.server.url == "https://[::1]:8443/prefix")
        #expect(resolved.credentials.clientCertificate?.certificate == Array(pki.ecClient.certificatePEM.utf8))
        #expect(resolved.credentials.bearer == nil)
    }

    @Test func oidcStaticIDTokenIsABearerToken() throws {
        let yaml = """
            clusters: [{name: k, cluster: {server: "https://k"}}]
            users:
            - name: u
              user:
                auth-provider:
                  name: oidc
                  config: {id-token: the-id-token, client-id: berth}
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """
        let resolved = try Kubeconfig.parse(yaml: yaml, file: "/k/config").configuration(context: "c")
        #expect(resolved.credentials.bearer == .token("the-id-token"))
    }

    @Test func errorsNameFileEntryAndField() throws {
        let file = "/home/u/.kube/config"
        func resolve(_ yaml: String, context: String? = "c") throws {
            _ = try Kubeconfig.parse(yaml: yaml, file: file).configuration(context: context)
        }
        let ok = "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
        let cases: [(yaml: String, entry: String, field: String, says: String)] = [
            ("clusters: [{name: k, cluster: {server: https://k, insecure-skip-tls-verify: true, certificate-authority-data: \(base64(pki.caPEM))}}]\nusers: [{name: u, user: {}}]\n" + ok,
             "cluster \"k\"", "insecure-skip-tls-verify", "not allowed"),
            ("clusters: [{name: k, cluster: {server: https://k}}]\nusers: [{name: u, user: {token: t, username: a, password: b}}]\n" + ok,
             "user \"u\"", "username", "not both"),
            ("clusters: [{name: k, cluster: {server: https://k}}]\nusers: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: x}}}]\n" + ok,
             "user \"u\"", "exec.interactiveMode", "must be specified"),
            ("clusters: [{name: k, cluster: {server: https://k}}]\nusers: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}}}]\n" + ok,
             "user \"u\"", "exec.apiVersion", "not supported"),
            ("clusters: [{name: k, cluster: {server: https://k}}]\nusers: [{name: u, user: {password: p}}]\n" + ok,
             "user \"u\"", "username", "required with password"),
            ("clusters: [{name: k, cluster: {server: https://k}}]\nusers: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: x}, auth-provider: {name: oidc, config: {id-token: t}}}}]\n" + ok,
             "user \"u\"", "exec", "cannot both be set"),
            ("clusters: [{name: k, cluster: {server: https://k}}]\nusers: [{name: u, user: {auth-provider: {name: gcp, config: {}}}}]\n" + ok,
             "user \"u\"", "auth-provider.name", "not supported"),
            ("clusters: [{name: k, cluster: {server: https://k}}]\nusers: [{name: u, user: {auth-provider: {name: oidc}}}]\n" + ok,
             "user \"u\"", "auth-provider.config.id-token", "required"),
            ("clusters: [{name: k, cluster: {server: https://k}}]\nusers: [{name: u, user: {client-certificate-data: \(base64(pki.ecClient.certificatePEM))}}]\n" + ok,
             "user \"u\"", "client-key", "needs a client key"),
            ("clusters: [{name: k, cluster: {server: https://k}}]\nusers: [{name: u, user: {client-certificate-data: \(base64(pki.ecClient.certificatePEM)), client-key-data: \(base64("nope"))}}]\n" + ok,
             "user \"u\"", "client-key-data", "PEM private key"),
            ("clusters: [{name: k, cluster: {server: https://k, certificate-authority: /nonexistent/ca.crt}}]\nusers: [{name: u, user: {}}]\n" + ok,
             "cluster \"k\"", "certificate-authority", "cannot read /nonexistent/ca.crt"),
            ("clusters: [{name: k, cluster: {server: https://k, certificate-authority-data: '%%%'}}]\n" + ok,
             "cluster \"k\"", "certificate-authority-data", "base64"),
            ("clusters: [{name: k, cluster: {server: https://k, proxy-url: 'socks5://p:1080'}}]\nusers: [{name: u, user: {}}]\n" + ok,
             "cluster \"k\"", "proxy-url", "only http://"),
            ("clusters: [{name: k, cluster: {server: 'not a url'}}]\nusers: [{name: u, user: {}}]\n" + ok,
             "cluster \"k\"", "server", "absolute"),
            ("clusters: [{name: k, cluster: {}}]\nusers: [{name: u, user: {}}]\n" + ok,
             "cluster \"k\"", "server", "required"),
            ("clusters: [{name: other, cluster: {server: https://k}}]\n" + ok,
             "context \"c\"", "cluster", "no cluster named \"k\""),
            ("clusters: [{name: k, cluster: {server: https://k}}]\n" + ok,
             "context \"c\"", "user", "no user named \"u\""),
            ("clusters: [{name: k, cluster: {server: https://k, insecure-skip-tls-verify: maybe}}]\n" + ok,
             "cluster \"k\"", "insecure-skip-tls-verify", "line 1"),
            ("clusters:\n- name: k\n  cluster:\n    server: [https://k]\n" + ok,
             "cluster \"k\"", "server", "line 4"),
            ("clusters: [{cluster: {server: https://k}}]\n" + ok, "clusters[0]", "name", "needs a name"),
        ]
        for item in cases {
            let error = kubeconfigError { try resolve(item.yaml) }
            #expect(error?.file == file, "\(item.field)")
            #expect(error?.entry == item.entry, "\(item.field)")
            #expect(error?.field == item.field, "\(item.field): got \(String(describing: error))")
            #expect(error?.message.contains(item.says) == true, "\(item.field): \(error?.message ?? "no error")")
        }

        let noContext = kubeconfigError { try resolve(ok, context: nil) }
        #expect(noContext?.field == "current-context")
        let unknown = kubeconfigError { try resolve(ok, context: "zzz") }
        #expect(unknown?.entry == "context \"zzz\"")
        #expect(unknown?.field == "context")
        #expect(unknown.map { "\(KubeClientError.kubeconfig(file: $0.file, entry: $0.entry, field: $0.field, message: $0.message))" }
            == "kubeconfig \(file): context \"zzz\" is not in the kubeconfig (it has: c)")
    }

    @Test func syntaxErrorsNeverQuoteTheFile() throws {
        let error = kubeconfigError {
            _ = try Kubeconfig.parse(yaml: "users:\n- name: u\n  user: {token: s3cr3t-value\n", file: "/k/config")
        }
        #expect(error?.field == "(syntax)")
        #expect(error?.message.contains("line") == true)
        #expect(error?.message.contains("s3cr3t") == false)
    }

    @Test func descriptionsAreRedacted() throws {
        let yaml = """
            clusters: [{name: k, cluster: {server: "https://k"}}]
            users: [{name: u, user: {token: s3cr3t-token}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """
        let config = try Kubeconfig.parse(yaml: yaml, file: "/k/config")
        let resolved = try config.configuration(context: "c")
        #expect(!"\(resolved)".contains("s3cr3t"))
        #expect(!"\(config.users["u"]!)".contains("s3cr3t"))
        #expect("\(resolved)".contains("bearer token"))
    }

    @Test func inClusterConfiguration() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("token", "sa-token\n")
        try dir.write("ca.crt", pki.caPEM)
        try dir.write("namespace", "shop\n")
        let env = ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"]
        #expect(InClusterConfiguration.isAvailable(environment: env))
        #expect(!InClusterConfiguration.isAvailable(environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1"]))
        let config = try InClusterConfiguration(environment: env, directory: dir.path).load()
        #expect(config.server.url == "https://[fd00::1]:443")
        #expect(config.namespace == "shop")
        #expect(config.credentials.bearer == .tokenFile(path: "\(dir.path)/token", initial: "sa-token"))
        let overridden = try InClusterConfiguration(environment: env.merging(["POD_NAMESPACE": "other"]) { $1 }, directory: dir.path).load()
        #expect(overridden.namespace == "other")

        try FileManager.default.removeItem(atPath: "\(dir.path)/ca.crt")
        let error = kubeconfigError { _ = try InClusterConfiguration(environment: env, directory: dir.path).load() }
        #expect(error?.field == "ca.crt")
    }
}
