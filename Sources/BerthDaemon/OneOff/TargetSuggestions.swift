import BerthManifest
import Foundation
import KubeAPI
import KubeClient
import Logging

/// Helps with a target that does not exist: the near name in its namespace ("did you mean web?") and the
/// namespaces where an object of that kind and name does exist. One list request per question, once.
public enum TargetSuggestions {
    /// What the cluster suggests for a missing target.
    public struct Hints: Sendable, Hashable {
        /// An object of the same kind in the same namespace whose name is one typo away.
        public var similarName: String?
        /// Namespaces holding an object of this kind with exactly this name.
        public var otherNamespaces: [String]

        /// `; did you mean web? (a service wbe exists in namespace prod)`, or "" when there is nothing to say.
        public func sentence(kind: String, name: String) -> String {
            var text = ""
            if let similarName { text += "; did you mean \(similarName)?" }
            if !otherNamespaces.isEmpty {
                let list = otherNamespaces.joined(separator: ", ")
                text += " (a \(kind) \(name) exists in namespace\(otherNamespaces.count == 1 ? "" : "s") \(list))"
            }
            return text
        }
    }

    /// Lists the target's kind in `namespace` and in every namespace; nil for selectors, or when the cluster
    /// cannot be asked (the forward's own status says why).
    public static func find(
        for target: ForwardTarget, namespace: String, kubeconfig: String?, context: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async -> Hints? {
        let registry = KubeClientRegistry(environment: environment, logger: Logger(label: "berth.suggestions") { _ in SwiftLogNoOpLogHandler() })
        guard let client = try? await registry.client(kubeconfig: kubeconfig, context: context) else { return nil }
        let result: Hints? = switch target {
        case .service(let name): await hints(Service.self, name: name, namespace: namespace, client: client)
        case .pod(let name): await hints(Pod.self, name: name, namespace: namespace, client: client)
        case .deployment(let name): await hints(Deployment.self, name: name, namespace: namespace, client: client)
        case .statefulSet(let name): await hints(StatefulSet.self, name: name, namespace: namespace, client: client)
        case .selector, .host: nil
        }
        await registry.shutdown()
        return result
    }

    private static func hints<Object: KubeResource>(_ type: Object.Type, name: String, namespace: String, client: KubeClient) async -> Hints? {
        guard let local = try? await client.listAll(type, namespace: namespace) else { return nil }
        let names = local.items.compactMap(\.metadata.name).filter { $0 != name }
        let similar = Suggestion.closest(to: name, among: names)
        // Other namespaces may be forbidden to this user; then only the near name is offered.
        let everywhere = (try? await client.listAll(type, allNamespaces: true))?.items ?? []
        let namespaces = Set(everywhere.filter { $0.metadata.name == name }.compactMap(\.metadata.namespace)).subtracting([namespace])
        return Hints(similarName: similar, otherNamespaces: namespaces.sorted())
    }
}
