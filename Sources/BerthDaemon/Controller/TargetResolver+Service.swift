import BerthManifest
import KubeAPI
import KubeClient

extension TargetResolver {
    /// Services go through their ready EndpointSlice endpoints; without any slice, through the selector's pods.
    static func resolveService(
        _ name: String, ports: [PortMapping], namespace: String, observed: ObservedObjects, current: String?
    ) -> TargetResolution {
        guard let service = observed.servicesByName[name] else {
            return .unresolved(.notFound, message: "service \"\(name)\" not found in namespace \(namespace)")
        }
        var servicePorts: [ServicePort] = []
        for mapping in ports {
            let reference: IntOrString = switch mapping.remote {
            case .number(let number): .int(number)
            case .name(let portName): .string(portName)
            }
            // Port-forwarding carries TCP; UDP ports reach this only as the relay pod's (TCP) listen ports.
            guard let port = service.port(reference, protocol: "TCP") else {
                if let other = service.port(reference) {
                    let message = "service \"\(name)\" port \(mapping.remote) is \(other.protocol ?? "TCP"), not TCP (write it \"\(mapping.remote)/udp\" to carry it through the relay)"
                    return .unresolved(.servicePortNotFound, message: message)
                }
                return .unresolved(.servicePortNotFound, message: "service \"\(name)\" has no port \(mapping.remote)")
            }
            servicePorts.append(port)
        }
        let slices = observed.endpointSlices.filter { $0.serviceName == name }
        guard !slices.isEmpty else {
            return viaSelector(service, servicePorts: servicePorts, observed: observed, current: current)
        }
        let podsByName = observed.podsByName

        // Candidates: ready endpoints backed by a pod, with the container port for each service port.
        var candidates: [(pod: String, uid: String, ports: [Int], readySince: String, otherUID: String?)] = []
        var portFailure: TargetResolution?
        for slice in slices {
            for endpoint in slice.endpoints ?? [] where endpoint.isReady {
                guard let reference = endpoint.targetRef, reference.kind == nil || reference.kind == "Pod",
                    let podName = reference.name
                else { continue }
                // The pod of that name in the store, unless the slice names another incarnation of it (a
                // StatefulSet's pod deleted and made again): the two watches run apart. The endpoint is then the
                // slice's pod, and the store's UID is kept beside it (`ResolvedEndpoint.otherUID`).
                var pod = podsByName[podName]
                var otherUID: String?
                if let stored = pod, let uid = reference.uid, stored.metadata.uid != uid {
                    otherUID = stored.metadata.uid
                    pod = nil
                }
                if let pod, pod.isTerminating { continue }
                var numbers: [Int] = []
                for servicePort in servicePorts {
                    if let number = slicePort(slice, for: servicePort) {
                        numbers.append(number)
                    } else if let number = targetPort(servicePort, pod: pod, headless: service.isHeadless) {
                        numbers.append(number)
                    } else {
                        portFailure = .unresolved(.namedPortNotFound, message: "pod \"\(podName)\" has no TCP container port named \"\(servicePort.effectiveTargetPort)\" (service \(name) port \(servicePort.name ?? String(servicePort.port)))")
                        break
                    }
                }
                guard numbers.count == servicePorts.count else { continue }
                if candidates.contains(where: { $0.pod == podName }) { continue }
                candidates.append((podName, pod?.metadata.uid ?? reference.uid ?? "", numbers, pod?.readySince ?? "~", otherUID))
            }
        }
        guard !candidates.isEmpty else {
            return portFailure ?? .unresolved(.noReadyEndpoints, message: "service \"\(name)\" has no ready endpoints")
        }
        let chosen = candidates.first { $0.pod == current }
            ?? candidates.min { ($0.readySince, $0.pod) < ($1.readySince, $1.pod) }!
        return .endpoint(ResolvedEndpoint(pod: chosen.pod, uid: chosen.uid, containerPorts: chosen.ports, otherUID: chosen.otherUID))
    }

    /// The slice port whose name equals the service port's name (unnamed matches unnamed).
    private static func slicePort(_ slice: EndpointSlice, for servicePort: ServicePort) -> Int? {
        let wanted = servicePort.name ?? ""
        return slice.ports?.first { ($0.name ?? "") == wanted && ($0.protocol ?? "TCP") == (servicePort.protocol ?? "TCP") }?.port
    }

    /// `targetPort` resolved for one pod: numbers as they are, names against its containers (protocol too).
    private static func targetPort(_ servicePort: ServicePort, pod: Pod?, headless: Bool) -> Int? {
        if headless, servicePort.targetPort == nil { return servicePort.port }
        switch servicePort.effectiveTargetPort {
        case .int(let number): return number
        case .string(let portName): return pod?.containerPort(named: portName, protocol: servicePort.protocol ?? "TCP")
        }
    }

    /// For a service without slices (pre-1.21 servers, or slices not yet written): its selector's pods.
    private static func viaSelector(
        _ service: Service, servicePorts: [ServicePort], observed: ObservedObjects, current: String?
    ) -> TargetResolution {
        let name = service.metadata.name ?? ""
        guard let labels = service.spec?.selector, !labels.isEmpty else {
            return .unresolved(.noReadyEndpoints, message: "service \"\(name)\" has no selector and no endpoints")
        }
        let selector = LabelSelector(matchLabels: labels)
        let candidates = ordered(observed.pods.filter { selector.matches($0.metadata.labels) && $0.isServing }, current: current)
        guard !candidates.isEmpty else {
            return .unresolved(.noReadyEndpoints, message: "service \"\(name)\" has no ready endpoints")
        }
        for pod in candidates {
            let numbers = servicePorts.compactMap { targetPort($0, pod: pod, headless: service.isHeadless) }
            if numbers.count == servicePorts.count {
                return .endpoint(ResolvedEndpoint(pod: pod.metadata.name ?? "", uid: pod.metadata.uid ?? "", containerPorts: numbers))
            }
        }
        return .unresolved(.namedPortNotFound, message: "no ready pod of service \"\(name)\" declares the named target ports")
    }
}
