extension ClusterSimulation {
    /// Brings every Service's EndpointSlices and Endpoints in a namespace in line with its pods.
    func syncEndpoints(namespace: String) {
        let pods = store.list(.pods, namespace: namespace).items
        for service in store.list(.services, namespace: namespace).items {
            let serviceName = EndpointsBuilder.podName(service)
            let desired = EndpointsBuilder.slices(service: service, pods: pods)
            let desiredNames = Set(desired.map(EndpointsBuilder.podName))
            for existing in store.list(.endpointslices, namespace: namespace).items
            where existing["metadata"]?["labels"]?[EndpointsBuilder.serviceNameLabel]?.stringValue == serviceName
                && !desiredNames.contains(EndpointsBuilder.podName(existing))
            {
                store.delete(.endpointslices, namespace: namespace, name: EndpointsBuilder.podName(existing))
            }
            for slice in desired { upsert(.endpointslices, namespace: namespace, slice, fields: ["addressType", "endpoints", "ports"]) }
            upsert(.endpoints, namespace: namespace, EndpointsBuilder.endpoints(service: service, pods: pods), fields: ["subsets"])
        }
    }

    fileprivate func upsert(_ resource: ResourceKind, namespace: String, _ object: JSON, fields: [String]) {
        let name = EndpointsBuilder.podName(object)
        if store.get(resource, namespace: namespace, name: name) == nil {
            store.create(resource, object)
            return
        }
        store.update(resource, namespace: namespace, name: name) { existing in
            for field in fields { existing[field] = object[field] }
            if object["subsets"] == nil, resource == .endpoints, existing["subsets"] != nil {
                existing = existing.removing("subsets")
            }
            return true
        }
    }
}
