import KubeAPI

/// What the cluster looks like to one forward: the store contents of its namespace, keyed by name.
///
/// A plain value, so that `TargetResolver` stays pure and its tests need no cluster. Lookups by name are
/// dictionary lookups; the arrays, for the resolver's scans (a selector's pods, a service's slices), are in
/// name order so that every scan is deterministic.
public struct ObservedObjects: Sendable {
    /// Services of the namespace, by name.
    public var servicesByName: [String: Service]
    /// EndpointSlices of the namespace, by name.
    public var endpointSlicesByName: [String: EndpointSlice]
    /// Pods of the namespace, by name.
    public var podsByName: [String: Pod]
    /// Deployments of the namespace, by name (only read for deployment targets).
    public var deploymentsByName: [String: Deployment]
    /// StatefulSets of the namespace, by name (only read for statefulset targets).
    public var statefulSetsByName: [String: StatefulSet]
    /// The stores whose contents here are a complete list. A store missing from it is empty or partial: a new
    /// informer (a first lease, or a lease let go and taken again) that has not listed yet, so its objects'
    /// absence says nothing about the cluster.
    public var synced: Set<ObservedState.Resource>

    /// Creates the view from the stores' objects by name.
    public init(
        servicesByName: [String: Service], endpointSlicesByName: [String: EndpointSlice], podsByName: [String: Pod],
        deploymentsByName: [String: Deployment], statefulSetsByName: [String: StatefulSet],
        synced: Set<ObservedState.Resource>
    ) {
        self.servicesByName = servicesByName
        self.endpointSlicesByName = endpointSlicesByName
        self.podsByName = podsByName
        self.deploymentsByName = deploymentsByName
        self.statefulSetsByName = statefulSetsByName
        self.synced = synced
    }

    /// Creates the view from lists of objects (tests); an object without a name is left out. Every store counts
    /// as synced unless `synced` says otherwise.
    public init(
        services: [Service] = [], endpointSlices: [EndpointSlice] = [], pods: [Pod] = [],
        deployments: [Deployment] = [], statefulSets: [StatefulSet] = [],
        synced: Set<ObservedState.Resource> = Set(ObservedState.Resource.allCases)
    ) {
        self.init(
            servicesByName: Self.byName(services), endpointSlicesByName: Self.byName(endpointSlices),
            podsByName: Self.byName(pods), deploymentsByName: Self.byName(deployments),
            statefulSetsByName: Self.byName(statefulSets), synced: synced)
    }

    /// Services of the namespace, in name order.
    public var services: [Service] { Self.inNameOrder(servicesByName) }
    /// EndpointSlices of the namespace, in name order.
    public var endpointSlices: [EndpointSlice] { Self.inNameOrder(endpointSlicesByName) }
    /// Pods of the namespace, in name order.
    public var pods: [Pod] { Self.inNameOrder(podsByName) }

    /// The UIDs of the pods this view says exist: every pod of the pods store, and every pod an EndpointSlice
    /// refers to. Pods and slices come from separate watches, so a slice can name a new pod before the pods
    /// store has it; a service's endpoint is then that pod (its UID from the slice), and connections to it are
    /// to a pod that exists, not to one that is gone.
    public var livePodUIDs: Set<String> {
        var uids = Set(podsByName.values.compactMap(\.metadata.uid))
        for slice in endpointSlicesByName.values {
            for endpoint in slice.endpoints ?? [] {
                guard let reference = endpoint.targetRef, reference.kind == nil || reference.kind == "Pod", let uid = reference.uid else { continue }
                uids.insert(uid)
            }
        }
        return uids
    }

    private static func byName<Object: KubeResource>(_ objects: [Object]) -> [String: Object] {
        var byName: [String: Object] = [:]
        for object in objects {
            if let name = object.metadata.name { byName[name] = object }
        }
        return byName
    }

    private static func inNameOrder<Object>(_ byName: [String: Object]) -> [Object] {
        byName.sorted { $0.key < $1.key }.map(\.value)
    }
}
