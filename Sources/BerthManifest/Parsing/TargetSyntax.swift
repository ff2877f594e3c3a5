/// The one syntax of a kubectl target word, shared by `berth forward`'s TARGET and `berth import kubectl`, so both
/// accept and refuse the same words with the same words (docs/cli-forward.md, docs/import.md).
///
/// `TYPE/NAME`, where TYPE is one of kubectl's names for services, pods, deployments and statefulsets (`svc`,
/// `service`, `services`, `po`, `pod`, `pods`, `deploy`, `deployment`, `deployments`, `sts`, `statefulset`,
/// `statefulsets`, in any case), optionally with kubectl's group: `deployment.apps/api` or
/// `deployments.v1.apps/api` (deployments and statefulsets are in group `apps`; services and pods in the core group,
/// which kubectl writes without one). A word without `/` is a pod, as kubectl reads it.
public enum TargetSyntax {
    /// Why a target word was refused, in words a user can act on (`target rs/x: …`).
    public struct Failure: Error, Hashable, Sendable {
        public var message: String
    }

    /// Parses `text` (`svc/web`, `deployment.apps/api`, `web-0`).
    public static func target(_ text: String) -> Result<ForwardTarget, Failure> {
        guard let slash = text.firstIndex(of: "/") else {
            guard !text.isEmpty else { return .failure(Failure(message: "no target given; write TYPE/NAME, e.g. svc/web")) }
            return .success(.pod(text))
        }
        func refused(_ reason: String) -> Result<ForwardTarget, Failure> {
            .failure(Failure(message: "target \(text): \(reason)"))
        }
        let typeText = text[..<slash].lowercased()
        let name = String(text[text.index(after: slash)...])
        guard !typeText.isEmpty else { return refused("no type before the /; write TYPE/NAME, e.g. svc/web") }
        guard !name.isEmpty else { return refused("no name after the /; write TYPE/NAME, e.g. svc/web") }
        let resource = typeText.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let make: (String) -> ForwardTarget
        let plural: String
        let home: String?
        switch resource[0] {
        case "svc", "service", "services": (make, plural, home) = (ForwardTarget.service, "services", nil)
        case "po", "pod", "pods": (make, plural, home) = (ForwardTarget.pod, "pods", nil)
        case "deploy", "deployment", "deployments": (make, plural, home) = (ForwardTarget.deployment, "deployments", "apps")
        case "sts", "statefulset", "statefulsets": (make, plural, home) = (ForwardTarget.statefulSet, "statefulsets", "apps")
        default:
            return refused("berth forwards to services, pods, deployments and statefulsets, not \(typeText)")
        }
        if resource.count == 2 {
            let group = resource[1]
            guard let home, isGroup(group, home) else {
                return refused("\(plural) are in \(home.map { "group \($0)" } ?? "the core group"), not \(group)")
            }
        }
        return .success(make(name))
    }

    /// Whether `text` is `GROUP` or kubectl's `VERSION.GROUP` (`apps`, `v1.apps`, `v1beta2.apps`).
    private static func isGroup(_ text: Substring, _ group: String) -> Bool {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.last == Substring(group) else { return false }
        return parts.count == 1 || isVersion(parts[0])
    }

    /// A Kubernetes API version: `v1`, `v1beta2`, `v2alpha1`.
    private static func isVersion(_ text: Substring) -> Bool {
        guard text.first == "v" else { return false }
        let major = text.dropFirst().prefix(while: \.isASCIIDigit)
        let stage = text.dropFirst(1 + major.count)
        guard !major.isEmpty else { return false }
        if stage.isEmpty { return true }
        guard let level = ["alpha", "beta"].first(where: { stage.hasPrefix($0) }) else { return false }
        let minor = stage.dropFirst(level.count)
        return !minor.isEmpty && minor.allSatisfy(\.isASCIIDigit)
    }
}
