import Foundation

extension KubeClientConfiguration {
    /// Loads the configuration the way kubectl does: `--kubeconfig`, else `KUBECONFIG`, else `~/.kube/config`;
    /// when none of those files exists and the process runs in a pod, the in-cluster configuration.
    public static func load(
        kubeconfig explicitPath: String? = nil, context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> KubeClientConfiguration {
        let loader = KubeconfigLoader(explicitPath: explicitPath, environment: environment)
        if explicitPath == nil, !loader.anyFileExists, InClusterConfiguration.isAvailable(environment: environment) {
            return try InClusterConfiguration(environment: environment).load()
        }
        if explicitPath == nil, !loader.anyFileExists {
            let looked = environment["KUBECONFIG"].map { _ in "$KUBECONFIG: " } ?? ""
            throw KubeClientError.kubeconfig(
                file: loader.candidatePaths.joined(separator: ":"), entry: "(file)", field: "(path)",
                message: "no kubeconfig found (looked at \(looked)\(loader.candidatePaths.joined(separator: ", "))); pass --kubeconfig or set KUBECONFIG")
        }
        return try loader.load().configuration(context: context)
    }
}
