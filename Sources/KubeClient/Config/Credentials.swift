/// How requests authenticate (docs/kubeconfig.md, "Users"). Several may combine: a client certificate with a token.
/// `description` names the kinds only.
public struct Credentials: Sendable, Hashable, CustomStringConvertible {
    /// Where a bearer token comes from.
    public enum Bearer: Sendable, Hashable {
        /// A fixed token (`token`, or `auth-provider: oidc`'s `id-token`).
        case token(String)
        /// A file re-read whenever it changes; `initial` is used until the file changes (`token` + `tokenFile`).
        case tokenFile(path: String, initial: String?)
        /// An exec credential plugin; it may also yield a client certificate.
        case exec(ExecConfig)
    }

    /// The bearer token source, if any.
    public var bearer: Bearer?
    /// `username`/`password`.
    public var basic: BasicCredentials?
    /// A static client certificate and key (PEM).
    public var clientCertificate: ClientCertificatePEM?

    /// Creates credentials.
    public init(bearer: Bearer? = nil, basic: BasicCredentials? = nil, clientCertificate: ClientCertificatePEM? = nil) {
        self.bearer = bearer
        self.basic = basic
        self.clientCertificate = clientCertificate
    }

    /// e.g. `exec plugin, client certificate` or `none`.
    public var description: String {
        var kinds: [String] = []
        switch bearer {
        case .token: kinds.append("bearer token")
        case .tokenFile(let path, _): kinds.append("token file \(path)")
        case .exec(let exec): kinds.append("exec plugin \(exec.command)")
        case nil: break
        }
        if basic != nil { kinds.append("basic") }
        if clientCertificate != nil { kinds.append("client certificate") }
        return kinds.isEmpty ? "none" : kinds.joined(separator: ", ")
    }
}

/// `username` + `password`.
public struct BasicCredentials: Sendable, Hashable {
    /// The user name.
    public var username: String
    /// The password.
    public var password: String

    /// Creates basic credentials.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// A client certificate chain and its private key, PEM encoded (RSA or EC keys).
public struct ClientCertificatePEM: Sendable, Hashable {
    /// The certificate chain, leaf first.
    public var certificate: [UInt8]
    /// The private key.
    public var key: [UInt8]

    /// Creates a PEM pair.
    public init(certificate: [UInt8], key: [UInt8]) {
        self.certificate = certificate
        self.key = key
    }
}
