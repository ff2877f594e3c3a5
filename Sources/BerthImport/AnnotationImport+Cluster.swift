import Foundation
import KubeAPI
import KubeClient
import Logging

extension AnnotationImport {
    /// Lists the services of one namespace (the context's when `namespace` is nil) or of all, through the
    /// kubeconfig as kubectl reads it, and imports their annotations. `context` is written into every forward
    /// only when the user named one, so that the manifest follows the current context otherwise.
    public static func fetch(
        kubeconfig: String?, context: String?, namespace: String?, allNamespaces: Bool,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> ImportResult {
        let configuration = try KubeClientConfiguration.load(kubeconfig: kubeconfig, context: context, environment: environment)
        var logger = Logger(label: "berth.import")
        logger.logLevel = .error
        let client = try KubeClient(configuration: configuration, environment: environment, logger: logger)
        do {
            let list = try await client.listAll(Service.self, namespace: namespace, allNamespaces: allNamespaces)
            try await client.shutdown()
            return parse(list.items, context: context)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
