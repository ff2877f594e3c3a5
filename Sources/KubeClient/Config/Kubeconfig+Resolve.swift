import Foundation
import KubeAPI
import NIOSSL

extension Kubeconfig {
    /// Resolves a context (`name`, else `current-context`) into a usable configuration, checking every
    /// field it depends on: files exist and parse, no contradictory settings (docs/kubeconfig.md, "Clusters" and
    /// "Users").
    public func configuration(context name: String? = nil) throws -> KubeClientConfiguration {
        let anyFile = files.first ?? "(no kubeconfig)"
        guard let contextName = name ?? currentContext else {
            throw KubeClientError.kubeconfig(
                file: anyFile, entry: "(file)", field: "current-context",
                message: "no context chosen: set current-context or pass --context")
        }
        guard let context = contexts[contextName] else {
            // The name may come from --context, a manifest or current-context: say what is missing, not who asked.
            let known = contexts.isEmpty ? "it has none" : "it has: \(contexts.keys.sorted().joined(separator: ", "))"
            throw KubeClientError.kubeconfig(
                file: anyFile, entry: "context \"\(contextName)\"", field: name == nil ? "current-context" : "context",
                message: "context \"\(contextName)\" is not in the kubeconfig (\(known))")
        }
        let contextEntry = "context \"\(contextName)\""
        guard let cluster = clusters[context.cluster] else {
            throw KubeClientError.kubeconfig(
                file: context.file, entry: contextEntry, field: "cluster", message: "no cluster named \"\(context.cluster)\"")
        }
        var user = KubeconfigUser(name: "", file: context.file)
        if !context.user.isEmpty {
            guard let found = users[context.user] else {
                throw KubeClientError.kubeconfig(
                    file: context.file, entry: contextEntry, field: "user", message: "no user named \"\(context.user)\"")
            }
            user = found
        }
        let (server, tls, proxy) = try Self.resolveCluster(cluster)
        return KubeClientConfiguration(
            contextName: contextName, source: context.file, namespace: context.namespace ?? "default", server: server,
            tls: tls, proxy: proxy, disableCompression: cluster.disableCompression,
            credentials: try Self.resolveUser(user), userName: user.name)
    }

    static func resolveCluster(_ cluster: KubeconfigCluster) throws -> (ServerAddress, TLSSettings, ProxySettings?) {
        func fail(_ field: String, _ message: String) -> KubeClientError {
            .kubeconfig(file: cluster.file, entry: "cluster \"\(cluster.name)\"", field: field, message: message)
        }
        guard let text = cluster.server, !text.isEmpty else { throw fail("server", "is required") }
        guard let server = ServerAddress(url: text) else {
            throw fail("server", "must be an absolute https:// (or http://) URL with a host")
        }
        var tls = TLSSettings(insecureSkipVerify: cluster.insecureSkipTLSVerify, serverName: cluster.tlsServerName)
        if let authority = try inlineOrFile(
            cluster.certificateAuthorityData, cluster.certificateAuthority, field: "certificate-authority", fail: fail)
        {
            tls.certificateAuthorityPEM = try checkedCertificates(authority.bytes, fail: { fail(authority.field, $0) })
        }
        if tls.insecureSkipVerify && tls.certificateAuthorityPEM != nil {
            throw fail("insecure-skip-tls-verify", "specifying a root certificates file with the insecure flag is not allowed")
        }
        var proxy: ProxySettings?
        if let proxyText = cluster.proxyURL {
            guard let components = URLComponents(string: proxyText), let host = components.host, !host.isEmpty else {
                throw fail("proxy-url", "must be a URL such as http://proxy:3128")
            }
            guard components.scheme?.lowercased() == "http" else {
                throw fail("proxy-url", "only http:// (CONNECT) proxies are supported, not \(components.scheme ?? "no scheme")")
            }
            proxy = ProxySettings(host: host, port: components.port ?? 80, username: components.user, password: components.password)
        }
        return (server, tls, proxy)
    }

    static func resolveUser(_ user: KubeconfigUser) throws -> Credentials {
        func fail(_ field: String, _ message: String) -> KubeClientError {
            .kubeconfig(file: user.file, entry: "user \"\(user.name)\"", field: field, message: message)
        }
        var credentials = Credentials()
        if let path = user.tokenFile {
            // Read once now so a typo is reported at start-up; later reads happen when the file changes.
            let bytes = try readFile(path, fail: { fail("tokenFile", $0) })
            let fromFile = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            credentials.bearer = .tokenFile(path: path, initial: user.token ?? fromFile)
        } else if let token = user.token {
            credentials.bearer = .token(token)
        }
        if user.username != nil || user.password != nil {
            if credentials.bearer != nil {
                throw fail("username", "username/password or bearer token may be set, but not both")
            }
            guard let username = user.username else { throw fail("username", "is required with password") }
            guard let password = user.password else { throw fail("password", "is required with username") }
            credentials.basic = BasicCredentials(username: username, password: password)
        }
        credentials.clientCertificate = try resolveClientCertificate(user, fail: fail)
        if user.exec != nil && user.authProvider != nil {
            throw fail("exec", "exec and auth-provider cannot both be set")
        }
        let hasStatic = credentials.bearer != nil || credentials.basic != nil || credentials.clientCertificate != nil
        if let exec = user.exec, !hasStatic {
            credentials.bearer = .exec(exec)
        }
        if let provider = user.authProvider, !hasStatic {
            guard provider.name == "oidc" else {
                throw fail("auth-provider.name", "auth provider \"\(provider.name)\" is not supported; use an exec credential plugin (for example gke-gcloud-auth-plugin or kubelogin)")
            }
            guard let idToken = provider.config["id-token"], !idToken.isEmpty else {
                throw fail("auth-provider.config.id-token", "is required: berth uses the oidc id-token as is and does not refresh it")
            }
            credentials.bearer = .token(idToken)
        }
        return credentials
    }

    static func resolveClientCertificate(
        _ user: KubeconfigUser, fail: (String, String) -> KubeClientError
    ) throws -> ClientCertificatePEM? {
        let certificate = try inlineOrFile(user.clientCertificateData, user.clientCertificate, field: "client-certificate", fail: fail)
        let key = try inlineOrFile(user.clientKeyData, user.clientKey, field: "client-key", fail: fail)
        switch (certificate, key) {
        case (nil, nil):
            return nil
        case (.some, nil):
            throw fail("client-key", "a client certificate needs a client key")
        case (nil, .some):
            throw fail("client-certificate", "a client key needs a client certificate")
        case (.some(let certificate), .some(let key)):
            _ = try checkedCertificates(certificate.bytes, fail: { fail(certificate.field, $0) })
            do {
                _ = try NIOSSLPrivateKey(bytes: key.bytes, format: .pem)
            } catch {
                throw fail(key.field, "is not a PEM private key (RSA or EC)")
            }
            return ClientCertificatePEM(certificate: certificate.bytes, key: key.bytes)
        }
    }

    static func checkedCertificates(_ pem: [UInt8], fail: (String) -> KubeClientError) throws -> [UInt8] {
        let certificates = try? NIOSSLCertificate.fromPEMBytes(pem)
        guard let certificates, !certificates.isEmpty else { throw fail("holds no PEM certificate") }
        return pem
    }

    /// kubectl's rule for PEM material: `FIELD-data` (the bytes themselves) wins over `FIELD` (a file's path);
    /// nil when neither is set. `field` in the answer is the one the bytes came from, for errors about them.
    static func inlineOrFile(
        _ data: [UInt8]?, _ path: String?, field: String, fail: (String, String) -> KubeClientError
    ) throws -> (bytes: [UInt8], field: String)? {
        if let data { return (data, field + "-data") }
        guard let path else { return nil }
        return (try readFile(path, fail: { fail(field, $0) }), field)
    }

    static func readFile(_ path: String, fail: (String) -> KubeClientError) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            // The usual mistake is a path that is not there (a relative path is relative to the kubeconfig).
            let why = FileManager.default.fileExists(atPath: path) ? "it is not a file this user can read" : "no such file"
            throw fail("cannot read \(path): \(why)")
        }
        return Array(data)
    }
}
