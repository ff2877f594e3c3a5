/// Legacy discovery documents (APIVersions, APIGroupList, APIGroup, APIResourceList): enough for
/// kubectl 1.27–1.33 (docs/informers.md, "Discovery").
enum Discovery {
    static let version: JSON = [
        "major": "1", "minor": "33", "gitVersion": "v1.33.0-fake", "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.24.0",
        "compiler": "gc", "platform": "linux/amd64",
    ]

    static func apiVersions(serverAddress: String) -> JSON {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    static let groups = ["apps", "discovery.k8s.io"]

    static func group(_ name: String) -> JSON {
        let version: JSON = ["groupVersion": .string("\(name)/v1"), "version": "v1"]
        return ["kind": "APIGroup", "apiVersion": "v1", "name": .string(name), "versions": [version], "preferredVersion": version]
    }

    static var groupList: JSON {
        ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.map { group($0).removing("kind").removing("apiVersion") })]
    }

    /// The APIResourceList of `group/v1` (`""` for the core group), or nil for a group the fake does not serve.
    static func resourceList(group: String) -> JSON? {
        guard group.isEmpty || groups.contains(group) else { return nil }
        var resources: [JSON] = []
        let readVerbs: JSON = ["get", "list", "watch"]
        for resource in ResourceKind.allCases where resource.group == group {
            var entry: JSON = [
                "name": .string(resource.rawValue), "singularName": .string(resource.singular),
                "namespaced": .bool(resource.namespaced), "kind": .string(resource.kind),
                "verbs": resource == .pods ? ["delete", "get", "list", "watch"] : readVerbs,
            ]
            if !resource.shortNames.isEmpty { entry["shortNames"] = .array(resource.shortNames.map { .string($0) }) }
            if resource == .pods || resource == .services || resource == .deployments || resource == .statefulsets {
                entry["categories"] = ["all"]
            }
            resources.append(entry)
            switch resource {
            case .pods:
                resources.append(
                    [
                        "name": "pods/portforward", "singularName": "", "namespaced": true, "kind": "PodPortForwardOptions",
                        "verbs": ["create", "get"],
                    ])
            case .deployments, .statefulsets:
                resources.append(
                    [
                        "name": .string("\(resource.rawValue)/scale"), "singularName": "", "namespaced": true,
                        "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"],
                    ])
            default: break
            }
        }
        return [
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(group.isEmpty ? "v1" : "\(group)/v1"),
            "resources": .array(resources),
        ]
    }
}
