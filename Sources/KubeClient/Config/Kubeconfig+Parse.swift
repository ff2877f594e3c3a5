import Foundation
import Yams

extension Kubeconfig {
    /// Parses one kubeconfig file's text. `file` names it in errors and anchors relative paths.
    public static func parse(yaml: String, file: String) throws -> Kubeconfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            // The YAML library's own description quotes the offending line, which may hold a secret.
            throw KubeClientError.kubeconfig(file: file, entry: "(file)", field: "(syntax)", message: Self.redacted(error))
        }
        let top = try YAMLEntryReader(file: file, entry: "(file)", node: root)
        var config = Kubeconfig(files: [file], currentContext: try top.string("current-context").flatMap { $0.isEmpty ? nil : $0 })

        for item in try top.namedEntries("clusters", kind: "cluster", bodyKey: "cluster") where config.clusters[item.name] == nil {
            config.clusters[item.name] = try parseCluster(name: item.name, body: item.body, file: file)
        }
        for item in try top.namedEntries("users", kind: "user", bodyKey: "user") where config.users[item.name] == nil {
            config.users[item.name] = try parseUser(name: item.name, body: item.body, file: file)
        }
        for item in try top.namedEntries("contexts", kind: "context", bodyKey: "context") where config.contexts[item.name] == nil {
            let reader = try YAMLEntryReader(file: file, entry: "context \"\(item.name)\"", node: item.body)
            config.contexts[item.name] = KubeconfigContext(
                name: item.name, file: file, cluster: try reader.string("cluster") ?? "",
                user: try reader.string("user") ?? "", namespace: try reader.string("namespace").flatMap { $0.isEmpty ? nil : $0 })
        }
        return config
    }

    static func redacted(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicated keys \(duplicates.joined(separator: ", "))"
        default:
            return "not valid YAML"
        }
    }

    static func parseCluster(name: String, body: Node?, file: String) throws -> KubeconfigCluster {
        let reader = try YAMLEntryReader(file: file, entry: "cluster \"\(name)\"", node: body)
        return KubeconfigCluster(
            name: name, file: file, server: try reader.string("server"),
            certificateAuthority: try reader.path("certificate-authority"),
            certificateAuthorityData: try reader.base64("certificate-authority-data"),
            insecureSkipTLSVerify: try reader.bool("insecure-skip-tls-verify"),
            tlsServerName: try reader.string("tls-server-name").flatMap { $0.isEmpty ? nil : $0 },
            proxyURL: try reader.string("proxy-url").flatMap { $0.isEmpty ? nil : $0 },
            disableCompression: try reader.bool("disable-compression"))
    }

    static func parseUser(name: String, body: Node?, file: String) throws -> KubeconfigUser {
        let entry = "user \"\(name)\""
        let reader = try YAMLEntryReader(file: file, entry: entry, node: body)
        var user = KubeconfigUser(name: name, file: file)
        user.token = try reader.string("token").flatMap { $0.isEmpty ? nil : $0 }
        user.tokenFile = try reader.path("tokenFile")
        user.clientCertificate = try reader.path("client-certificate")
        user.clientCertificateData = try reader.base64("client-certificate-data")
        user.clientKey = try reader.path("client-key")
        user.clientKeyData = try reader.base64("client-key-data")
        user.username = try reader.string("username").flatMap { $0.isEmpty ? nil : $0 }
        user.password = try reader.string("password").flatMap { $0.isEmpty ? nil : $0 }
        if let execNode = reader.node("exec") {
            user.exec = try parseExec(node: execNode, file: file, entry: entry)
        }
        if let providerNode = reader.node("auth-provider") {
            let provider = try YAMLEntryReader(file: file, entry: entry, node: providerNode, fieldPrefix: "auth-provider.")
            var config: [String: String] = [:]
            if let configNode = provider.node("config") {
                let configReader = try YAMLEntryReader(file: file, entry: entry, node: configNode, fieldPrefix: "auth-provider.config.")
                for key in configReader.mapping.map({ Array($0.keys) }) ?? [] {
                    if let keyName = key.string, let value = try configReader.string(keyName) { config[keyName] = value }
                }
            }
            user.authProvider = AuthProviderConfig(name: try provider.requiredString("name"), config: config)
        }
        return user
    }

    static func parseExec(node: Node, file: String, entry: String) throws -> ExecConfig {
        let reader = try YAMLEntryReader(file: file, entry: entry, node: node, fieldPrefix: "exec.")
        let apiVersion = try reader.requiredString("apiVersion")
        guard ExecConfig.supportedAPIVersions.contains(apiVersion) else {
            throw reader.error("apiVersion", "\(apiVersion) is not supported; use \(ExecConfig.supportedAPIVersions.joined(separator: " or "))", at: reader.node("apiVersion"))
        }
        var env: [ExecConfig.EnvVar] = []
        if let envNode = reader.node("env") {
            guard let items = envNode.sequence else { throw reader.error("env", "expected a list of {name, value}", at: envNode) }
            for (index, item) in items.enumerated() {
                let pair = try YAMLEntryReader(file: file, entry: entry, node: item, fieldPrefix: "exec.env[\(index)].")
                env.append(.init(name: try pair.requiredString("name"), value: try pair.string("value") ?? ""))
            }
        }
        let interactiveMode: String
        if let mode = try reader.string("interactiveMode"), !mode.isEmpty {
            guard ["Never", "IfAvailable", "Always"].contains(mode) else {
                throw reader.error("interactiveMode", "must be Never, IfAvailable or Always", at: reader.node("interactiveMode"))
            }
            interactiveMode = mode
        } else if apiVersion == ExecConfig.v1 {
            throw reader.error("interactiveMode", "must be specified for \(apiVersion) exec plugins (Never, IfAvailable or Always)")
        } else {
            interactiveMode = "IfAvailable"
        }
        return ExecConfig(
            apiVersion: apiVersion, command: try reader.requiredString("command"), args: try reader.strings("args"),
            env: env, installHint: try reader.string("installHint"), provideClusterInfo: try reader.bool("provideClusterInfo"),
            interactiveMode: interactiveMode, directory: (file as NSString).deletingLastPathComponent)
    }
}

extension ExecConfig {
    /// `client.authentication.k8s.io/v1`.
    public static let v1 = "client.authentication.k8s.io/v1"
    /// `client.authentication.k8s.io/v1beta1`.
    public static let v1beta1 = "client.authentication.k8s.io/v1beta1"
    /// The versions berth speaks; v1alpha1 is no longer accepted by kubectl either.
    public static let supportedAPIVersions = [v1, v1beta1]
}
