import Foundation

/// A merged kubeconfig (docs/kubeconfig.md, "Which kubeconfig is read"): named clusters, users and contexts, each
/// remembering the file that defined it, with relative paths already resolved against that file's directory.
public struct Kubeconfig: Sendable, Hashable {
    /// The files read, in merge order (first definition wins).
    public var files: [String]
    /// `current-context` from the first file that sets it.
    public var currentContext: String?
    /// Clusters by name.
    public var clusters: [String: KubeconfigCluster]
    /// Users (AuthInfos) by name.
    public var users: [String: KubeconfigUser]
    /// Contexts by name.
    public var contexts: [String: KubeconfigContext]

    /// Creates a kubeconfig.
    public init(
        files: [String] = [], currentContext: String? = nil, clusters: [String: KubeconfigCluster] = [:],
        users: [String: KubeconfigUser] = [:], contexts: [String: KubeconfigContext] = [:]
    ) {
        self.files = files
        self.currentContext = currentContext
        self.clusters = clusters
        self.users = users
        self.contexts = contexts
    }
}

/// A `clusters[]` entry.
public struct KubeconfigCluster: Sendable, Hashable {
    /// The entry name.
    public var name: String
    /// The file that defined it.
    public var file: String
    /// `server`, e.g. `https://10.0.0.1:6443`.
    public var server: String?
    /// `certificate-authority`, absolute.
    public var certificateAuthority: String?
    /// `certificate-authority-data`, decoded PEM bytes; wins over the path.
    public var certificateAuthorityData: [UInt8]?
    /// `insecure-skip-tls-verify`.
    public var insecureSkipTLSVerify: Bool
    /// `tls-server-name`: SNI and the name the certificate is verified against.
    public var tlsServerName: String?
    /// `proxy-url`.
    public var proxyURL: String?
    /// `disable-compression`.
    public var disableCompression: Bool

    /// Creates a cluster entry.
    public init(
        name: String, file: String, server: String? = nil, certificateAuthority: String? = nil,
        certificateAuthorityData: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false, tlsServerName: String? = nil,
        proxyURL: String? = nil, disableCompression: Bool = false
    ) {
        self.name = name
        self.file = file
        self.server = server
        self.certificateAuthority = certificateAuthority
        self.certificateAuthorityData = certificateAuthorityData
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.proxyURL = proxyURL
        self.disableCompression = disableCompression
    }
}

/// A `users[]` entry (an AuthInfo). Its secrets are never printed: `description` is redacted.
public struct KubeconfigUser: Sendable, Hashable, CustomStringConvertible {
    /// The entry name.
    public var name: String
    /// The file that defined it.
    public var file: String
    /// `token`.
    public var token: String?
    /// `tokenFile`, absolute.
    public var tokenFile: String?
    /// `client-certificate`, absolute.
    public var clientCertificate: String?
    /// `client-certificate-data`, decoded PEM bytes.
    public var clientCertificateData: [UInt8]?
    /// `client-key`, absolute.
    public var clientKey: String?
    /// `client-key-data`, decoded PEM bytes.
    public var clientKeyData: [UInt8]?
    /// `username`.
    public var username: String?
    /// `password`.
    public var password: String?
    /// `exec`.
    public var exec: ExecConfig?
    /// `auth-provider`.
    public var authProvider: AuthProviderConfig?

    /// Creates a user entry.
    public init(name: String, file: String) {
        self.name = name
        self.file = file
    }

    /// Names the entry and the kinds of credential it has, never their values.
    public var description: String {
        var kinds: [String] = []
        if token != nil { kinds.append("token") }
        if tokenFile != nil { kinds.append("tokenFile") }
        if clientCertificate != nil || clientCertificateData != nil { kinds.append("client-certificate") }
        if username != nil { kinds.append("basic") }
        if exec != nil { kinds.append("exec") }
        if let provider = authProvider { kinds.append("auth-provider \(provider.name)") }
        return "user \"\(name)\" (\(kinds.joined(separator: ", "))) from \(file)"
    }
}

/// `users[].user.exec`: a client.authentication.k8s.io credential plugin (docs/kubeconfig.md, "Exec credential
/// plugins").
public struct ExecConfig: Sendable, Hashable {
    /// `client.authentication.k8s.io/v1` or `…/v1beta1`.
    public var apiVersion: String
    /// The command as written; resolved against `directory` only when it contains a `/`.
    public var command: String
    /// `args`.
    public var args: [String]
    /// `env`, in order.
    public var env: [EnvVar]
    /// `installHint`, shown when the command is missing.
    public var installHint: String?
    /// `provideClusterInfo`: add `spec.cluster` to `KUBERNETES_EXEC_INFO`.
    public var provideClusterInfo: Bool
    /// `Never`, `IfAvailable` or `Always`.
    public var interactiveMode: String
    /// The directory of the defining kubeconfig.
    public var directory: String

    /// One `env` entry.
    public struct EnvVar: Sendable, Hashable {
        /// Variable name.
        public var name: String
        /// Variable value.
        public var value: String

        /// Creates an entry.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Creates an exec configuration.
    public init(
        apiVersion: String, command: String, args: [String] = [], env: [EnvVar] = [], installHint: String? = nil,
        provideClusterInfo: Bool = false, interactiveMode: String = "IfAvailable", directory: String
    ) {
        self.apiVersion = apiVersion
        self.command = command
        self.args = args
        self.env = env
        self.installHint = installHint
        self.provideClusterInfo = provideClusterInfo
        self.interactiveMode = interactiveMode
        self.directory = directory
    }
}

/// `users[].user.auth-provider` (legacy). Only `oidc` with a static `id-token` is supported.
public struct AuthProviderConfig: Sendable, Hashable {
    /// e.g. `oidc`, `gcp`.
    public var name: String
    /// `config`, string values only.
    public var config: [String: String]

    /// Creates an auth-provider entry.
    public init(name: String, config: [String: String]) {
        self.name = name
        self.config = config
    }
}

/// A `contexts[]` entry.
public struct KubeconfigContext: Sendable, Hashable {
    /// The entry name.
    public var name: String
    /// The file that defined it.
    public var file: String
    /// The cluster entry it uses.
    public var cluster: String
    /// The user entry it uses (may be empty: no credentials).
    public var user: String
    /// The namespace, if set.
    public var namespace: String?

    /// Creates a context entry.
    public init(name: String, file: String, cluster: String, user: String, namespace: String? = nil) {
        self.name = name
        self.file = file
        self.cluster = cluster
        self.user = user
        self.namespace = namespace
    }
}
