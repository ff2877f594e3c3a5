import BerthRelay
import Foundation
import NIOCore
import NIOHTTP1

extension APIServerCore {
    /// `POST /api/v1/namespaces/NS/pods`: authorization (`create pods`), the checks a real apiserver makes
    /// before storing (the namespace, a name, containers with names and valid ports), then 201 with the Pending
    /// pod; the simulation runs it (docs/fake-kube.md, "Creating pods").
    func createPod(_ request: APIRequest, user: String, namespace: String) -> APIResponse {
        if let denied = authorize(user, "create", .pods, name: nil, namespace: namespace) { return denied }
        counters.count(verb: "create", resource: ResourceKind.pods.rawValue)
        guard let object = JSON.parse(request.body), object.objectValue != nil else {
            return .json(.badRequest, APIStatus.badRequest("the request body is not a JSON object"))
        }
        if let kind = object["kind"]?.stringValue, kind != "Pod" {
            return .json(.badRequest, APIStatus.badRequest("the kind of the provided object is \(kind), not Pod"))
        }
        if let given = object["metadata"]?["namespace"]?.stringValue, !given.isEmpty, given != namespace {
            return .json(
                .badRequest,
                APIStatus.badRequest("the namespace of the provided object does not match the namespace sent on the request"))
        }
        let name: String
        if let given = object["metadata"]?["name"]?.stringValue, !given.isEmpty {
            name = given
        } else if let prefix = object["metadata"]?["generateName"]?.stringValue, !prefix.isEmpty {
            name = prefix + ClusterSimulation.randomSuffix()
        } else {
            return Self.invalid(name: "", field: "metadata.name", reason: "FieldValueRequired", "Required value: name or generateName is required")
        }
        let containers: [Scenario.Container]
        switch Self.containers(of: object) {
        case .success(let parsed): containers = parsed
        case .failure(let problem): return Self.invalid(name: name, field: problem.field, reason: problem.reason, problem.message)
        }
        // A relay pod whose arguments the relay refuses would crash in a real cluster; the fake refuses it at once,
        // with the relay's own message, so that the mistake shows where it was made.
        let relay: RelayConfiguration?
        do {
            relay = try ClusterSimulation.relayConfiguration(of: object)
        } catch {
            return Self.invalid(name: name, field: "spec.containers[0].args", reason: "FieldValueInvalid", "berth-relay would exit 2: \(error)")
        }
        let future = simulation.createPod(object, namespace: namespace, name: name, containers: containers, relay: relay).map { creation -> APIResponse in
            switch creation {
            case .created(let pod): return .json(.created, pod.typed(.pods))
            case .alreadyExists:
                return .json(
                    .conflict,
                    APIStatus.failure(
                        .conflict, reason: "AlreadyExists", message: "pods \"\(name)\" already exists",
                        details: ["name": .string(name), "kind": "pods"]))
            }
        }
        return .deferred(future)
    }

    /// A field of a pod that a real apiserver would refuse.
    struct PodFieldProblem: Error {
        var field: String
        var reason: String
        var message: String
    }

    /// The containers of a submitted pod, each port an echo server (TCP or UDP), or the first field at fault.
    static func containers(of pod: JSON) -> Result<[Scenario.Container], PodFieldProblem> {
        guard let list = pod["spec"]?["containers"]?.arrayValue, !list.isEmpty else {
            return .failure(PodFieldProblem(field: "spec.containers", reason: "FieldValueRequired", message: "Required value"))
        }
        var containers: [Scenario.Container] = []
        for (index, container) in list.enumerated() {
            let path = "spec.containers[\(index)]"
            guard let name = container["name"]?.stringValue, !name.isEmpty else {
                return .failure(PodFieldProblem(field: "\(path).name", reason: "FieldValueRequired", message: "Required value"))
            }
            var ports: [Scenario.ContainerPort] = []
            for (portIndex, port) in (container["ports"]?.arrayValue ?? []).enumerated() {
                guard let number = port["containerPort"]?.intValue, (1...65535).contains(number) else {
                    return .failure(
                        PodFieldProblem(
                            field: "\(path).ports[\(portIndex)].containerPort", reason: "FieldValueInvalid",
                            message: "Invalid value: must be between 1 and 65535, inclusive"))
                }
                let protocolName = port["protocol"]?.stringValue ?? PortProtocol.tcp.rawValue
                guard let portProtocol = PortProtocol(rawValue: protocolName) else {
                    return .failure(
                        PodFieldProblem(
                            field: "\(path).ports[\(portIndex)].protocol", reason: "FieldValueNotSupported",
                            message: "Unsupported value: \"\(protocolName)\": supported values: \"TCP\", \"UDP\""))
                }
                ports.append(
                    Scenario.ContainerPort(
                        name: port["name"]?.stringValue, containerPort: number, behaviour: .echo, protocol: portProtocol))
            }
            containers.append(Scenario.Container(name: name, ports: ports))
        }
        return .success(containers)
    }

    /// 422 `Invalid`, as the apiserver answers an object that fails validation.
    private static func invalid(name: String, field: String, reason: String, _ message: String) -> APIResponse {
        .json(
            .unprocessableEntity,
            APIStatus.failure(
                .unprocessableEntity, reason: "Invalid", message: "Pod \"\(name)\" is invalid: \(field): \(message)",
                details: ["name": .string(name), "kind": "Pod", "causes": [["reason": .string(reason), "message": .string(message), "field": .string(field)]]]))
    }
}
