import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Who may do what: `admin` (client certificate CN=admin, or the admin bearer token) may do everything;
/// `readonly` (its bearer token) may get, list and watch, and nothing else, in particular not
/// `pods/portforward`; `forwarder` (its bearer token) may get, list, watch and port-forward, and write nothing
/// (a user who may forward to pods but not create one); `namespaced` (its bearer token) may do everything inside
/// a namespace and nothing at the cluster scope (a RoleBinding in each namespace, no ClusterRoleBinding): no list
/// or watch across namespaces.
struct Users: Sendable {
    static let admin = "admin"
    static let readonly = "readonly"
    static let forwarder = "forwarder"
    static let namespaced = "namespaced"

    let adminToken: String
    let readonlyToken: String
    let forwarderToken: String
    let namespacedToken: String

    static func generate() -> Users {
        Users(adminToken: randomToken(), readonlyToken: randomToken(), forwarderToken: randomToken(), namespacedToken: randomToken())
    }

    private static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The user a request authenticates as: the bearer token when present, else the verified client
    /// certificate. Must run on the channel's event loop (it reads the TLS handler).
    func authenticate(headers: HTTPHeaders, channel: any Channel) -> String? {
        if let authorization = headers.first(name: "Authorization") {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
            switch token {
            case adminToken: return Self.admin
            case readonlyToken: return Self.readonly
            case forwarderToken: return Self.forwarder
            case namespacedToken: return Self.namespaced
            default: return nil
            }
        }
        guard let certificate = try? channel.pipeline.syncOperations.nioSSL_peerCertificate(),
            let name = ClusterCertificates.commonName(of: certificate)
        else { return nil }
        return name == Self.admin ? Self.admin : nil
    }

    /// Whether `user` may perform `verb` on a resource (`pods/portforward` for port-forwards) in `namespace`
    /// (nil: at the cluster scope, a list or watch across namespaces among them).
    func allows(user: String, verb: String, resource: String, namespace: String?) -> Bool {
        if user == Self.admin { return true }
        let reads = ["get", "list", "watch"].contains(verb)
        switch user {
        case Self.readonly: return reads && !resource.contains("/portforward")
        case Self.forwarder: return reads || (verb == "create" && resource == "pods/portforward")
        case Self.namespaced: return namespace != nil
        default: return false
        }
    }
}
