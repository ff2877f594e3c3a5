import Foundation
import Logging

/// Produces the credentials of each request: the `Authorization` value and, for exec plugins that issue
/// certificates, the client certificate. Caches exec credentials until they expire; a 401 invalidates them
/// (docs/kubeconfig.md, "Exec credential plugins"). One per `KubeClient`, i.e. per (kubeconfig, context).
actor CredentialProvider {
    private let credentials: Credentials
    private let configuration: KubeClientConfiguration
    private let environment: [String: String]
    private let now: @Sendable () -> Date
    private let logger: Logger

    private var tokenFile: TokenFileSource?
    private var execCache: ExecCredential?
    /// A plugin run in progress, shared by concurrent requests so the plugin runs once.
    private var execRun: Task<ExecCredential, any Error>?
    private var forceReread = false
    /// Counts plugin runs; tests and logs use it.
    private(set) var execRuns = 0

    init(configuration: KubeClientConfiguration, environment: [String: String], now: @escaping @Sendable () -> Date, logger: Logger) {
        self.credentials = configuration.credentials
        self.configuration = configuration
        self.environment = environment
        self.now = now
        self.logger = logger
        if case .tokenFile(let path, let initial) = credentials.bearer {
            tokenFile = TokenFileSource(path: path, initial: initial)
        }
    }

    /// The `Authorization` header value, or `nil` (client-certificate auth or none).
    func authorization() async throws -> String? {
        switch credentials.bearer {
        case .token(let token):
            return "Bearer \(token)"
        case .tokenFile:
            let force = forceReread
            forceReread = false
            guard let token = tokenFile?.current(force: force) else {
                throw KubeClientError.credentials(user: configuration.userName, message: "the token file is empty or unreadable")
            }
            return "Bearer \(token)"
        case .exec:
            return try await execCredential().token.map { "Bearer \($0)" }
        case nil:
            break
        }
        if let basic = credentials.basic {
            return "Basic " + Data("\(basic.username):\(basic.password)".utf8).base64EncodedString()
        }
        return nil
    }

    /// The client certificate to present: the static one, or the exec plugin's.
    func clientCertificate() async throws -> ClientCertificatePEM? {
        if let certificate = credentials.clientCertificate { return certificate }
        if case .exec = credentials.bearer { return try await execCredential().clientCertificate }
        return nil
    }

    /// Called after a 401: the next request re-runs the exec plugin or re-reads the token file.
    func invalidate() {
        if execCache != nil { logger.debug("credentials invalidated after 401; the exec plugin runs again on the next request") }
        execCache = nil
        forceReread = true
    }

    private func execCredential() async throws -> ExecCredential {
        if let cached = execCache {
            if let expiration = cached.expiration, now() > expiration {
                execCache = nil
            } else {
                return cached
            }
        }
        if let running = execRun { return try await running.value }
        guard case .exec(let exec) = credentials.bearer else {
            throw KubeClientError.credentials(user: configuration.userName, message: "no exec plugin configured")
        }
        let runner = ExecPluginRunner(
            config: exec, user: configuration.userName, cluster: ExecInfo.Cluster(configuration), environment: environment)
        let run = Task { try await runner.run() }
        execRun = run
        execRuns += 1
        defer { execRun = nil }
        logger.debug("running exec credential plugin", metadata: ["command": "\(exec.command)", "user": "\(configuration.userName)"])
        let credential = try await run.value
        execCache = credential
        return credential
    }
}
