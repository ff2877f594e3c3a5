import Foundation
import KubeClient

/// What a command checks before it binds anything: that the kubeconfig and context can be used. Reading the
/// files cannot get better by waiting, so `berth forward` ends at once when this fails (docs/cli-forward.md).
public enum ClusterCheck {
    /// The context and namespace the kubeconfig resolves to.
    public struct Resolved: Sendable, Hashable {
        /// The context's name.
        public var context: String
        /// The context's namespace (`default` when it names none).
        public var namespace: String
    }

    /// Loads the kubeconfig (`kubeconfig`, else `KUBECONFIG`, else `~/.kube/config`) and resolves `context`
    /// (nil: the current context), without contacting the cluster.
    /// - Returns: the resolved context, or a sentence saying what is wrong and what to do.
    public static func resolve(
        kubeconfig: String?, context: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Result<Resolved, CheckFailure> {
        do {
            let configuration = try KubeClientConfiguration.load(kubeconfig: kubeconfig, context: context, environment: environment)
            return .success(Resolved(context: configuration.contextName, namespace: configuration.namespace))
        } catch {
            return .failure(CheckFailure(message: "\(error)"))
        }
    }

    /// Why the cluster cannot be used.
    public struct CheckFailure: Error, Sendable, Hashable, CustomStringConvertible {
        /// The sentence to show.
        public var message: String
        /// The sentence to show.
        public var description: String { message }
    }
}
