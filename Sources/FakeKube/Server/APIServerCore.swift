import Foundation
import NIOCore
import NIOHTTP1

/// The API server's decisions: routing, authorization, list/get/watch/create/delete/scale and the `/fake/v1`
/// endpoints. Protocol details (HTTP framing, chunked watch streams) live in `APIConnectionHandler`.
final class APIServerCore: Sendable {
    /// Actions of the server object that the chaos endpoints trigger.
    struct ServerActions: Sendable {
        var restart: @Sendable () -> Void
        var partition: @Sendable (Double) -> Void
        var stats: @Sendable () -> FakeKubeStats
        var serverAddress: @Sendable () -> String
    }

    let store: ObjectStore
    let simulation: ClusterSimulation
    let chaos: ChaosState
    let counters: RequestCounters
    let users: Users
    let registry: PortForwardRegistry
    let actions: ServerActions
    let bookmarkInterval: Duration

    init(
        store: ObjectStore, simulation: ClusterSimulation, chaos: ChaosState, counters: RequestCounters, users: Users,
        registry: PortForwardRegistry, actions: ServerActions, bookmarkInterval: Duration
    ) {
        self.store = store
        self.simulation = simulation
        self.chaos = chaos
        self.counters = counters
        self.users = users
        self.registry = registry
        self.actions = actions
        self.bookmarkInterval = bookmarkInterval
    }

    func handle(_ request: APIRequest) -> APIResponse {
        let route = Route(path: request.path)
        guard let user = request.user else {
            counters.count(verb: "unauthorized", resource: request.path)
            return .json(.unauthorized, APIStatus.unauthorized)
        }
        switch route {
        case .version:
            return discovery(request, Discovery.version)
        case .health:
            return .plain(.ok, "ok")
        case .apiVersions:
            return discovery(request, Discovery.apiVersions(serverAddress: actions.serverAddress()))
        case .groupList:
            return discovery(request, Discovery.groupList)
        case .group(let name):
            return discovery(request, Discovery.group(name))
        case .resourceList(let group):
            guard let list = Discovery.resourceList(group: group) else { return .json(.notFound, APIStatus.unknownPath) }
            return discovery(request, list)
        case .collection(.pods, let namespace?) where request.method == .POST:
            return createPod(request, user: user, namespace: namespace)
        case .collection(let resource, let namespace):
            guard request.method == .GET else {
                return .json(.methodNotAllowed, APIStatus.methodNotAllowed(request.method.rawValue, resource: resource.rawValue))
            }
            let verb = request.flag("watch") ? "watch" : "list"
            if let denied = authorize(user, verb, resource, name: nil, namespace: namespace) { return denied }
            counters.count(verb: verb, resource: resource.rawValue)
            return verb == "watch" ? watch(request, resource, namespace) : list(request, resource, namespace)
        case .object(let resource, let namespace, let name):
            return object(request, user: user, resource, namespace, name)
        case .subresource(let resource, let namespace, let name, let subresource):
            return self.subresource(request, user: user, resource, namespace, name, subresource)
        case .fake(let segments):
            return fake(request, user: user, segments)
        case .unknown:
            counters.count(verb: "unknown", resource: request.path)
            return .json(.notFound, APIStatus.unknownPath)
        }
    }

    private func discovery(_ request: APIRequest, _ body: JSON) -> APIResponse {
        counters.count(verb: "discovery", resource: request.path)
        return .json(.ok, body)
    }

    func authorize(
        _ user: String, _ verb: String, _ resource: ResourceKind, subresource: String? = nil, name: String?,
        namespace: String?
    ) -> APIResponse? {
        let resourceName = subresource.map { "\(resource.rawValue)/\($0)" } ?? resource.rawValue
        guard users.allows(user: user, verb: verb, resource: resourceName, namespace: namespace) else {
            return .json(
                .forbidden,
                APIStatus.forbidden(
                    user: user, verb: verb, resource: resourceName, group: resource.group, name: name, namespace: namespace))
        }
        return nil
    }

    // MARK: Objects

    private func object(
        _ request: APIRequest, user: String, _ resource: ResourceKind, _ namespace: String?, _ name: String
    ) -> APIResponse {
        let key = namespace ?? ""
        switch request.method {
        case .GET:
            if let denied = authorize(user, "get", resource, name: name, namespace: namespace) { return denied }
            counters.count(verb: "get", resource: resource.rawValue)
            guard let object = store.get(resource, namespace: key, name: name) else {
                return .json(.notFound, APIStatus.notFound(resource, name: name))
            }
            return .json(.ok, object.typed(resource))
        case .DELETE where resource == .pods && namespace != nil:
            if let denied = authorize(user, "delete", resource, name: name, namespace: namespace) { return denied }
            counters.count(verb: "delete", resource: resource.rawValue)
            let options = JSON.parse(request.body)
            let grace = request.query["gracePeriodSeconds"].flatMap { Int($0) } ?? options?["gracePeriodSeconds"]?.intValue
            let future = simulation.deletePod(namespace: key, name: name, gracePeriod: grace).map { pod -> APIResponse in
                guard let pod else { return .json(.notFound, APIStatus.notFound(resource, name: name)) }
                return .json(.ok, pod.typed(resource))
            }
            return .deferred(future)
        default:
            counters.count(verb: request.method.rawValue.lowercased(), resource: resource.rawValue)
            return .json(.methodNotAllowed, APIStatus.methodNotAllowed(request.method.rawValue, resource: resource.rawValue))
        }
    }

    private func subresource(
        _ request: APIRequest, user: String, _ resource: ResourceKind, _ namespace: String?, _ name: String,
        _ subresource: String
    ) -> APIResponse {
        let key = namespace ?? ""
        switch (resource, subresource) {
        case (.pods, "portforward"):
            switch admitPortForward(user: user, method: request.method, namespace: key, name: name) {
            case .reject(let status, let statusJSON):
                return .json(status, JSON.parse(statusJSON.utf8) ?? APIStatus.badRequest(statusJSON))
            case .accept:
                // The port-forward layer handles upgrades; a plain request that reaches the API handler is
                // what a real apiserver answers without an upgrade.
                return .json(.badRequest, APIStatus.badRequest("Upgrade request required"))
            }
        case (.deployments, "scale"), (.statefulsets, "scale"):
            return scale(request, user: user, resource, key, name)
        case (_, "status"):
            return object(request, user: user, resource, namespace, name)
        default:
            return .json(.notFound, APIStatus.unknownPath)
        }
    }

    /// The admission decision for a port-forward (docs/port-forward.md, "Admission: permissions and failures before
    /// the upgrade"): authorization by verb (POST → create, GET → get), then the pod must exist, have a node and be
    /// Running.
    func admitPortForward(user: String?, method: HTTPMethod, namespace: String, name: String) -> PortForwardAdmission {
        counters.count(verb: "portforward", resource: "pods")
        func reject(_ status: HTTPResponseStatus, _ body: JSON) -> PortForwardAdmission {
            .reject(status: status, statusJSON: body.serialized())
        }
        guard let user else { return reject(.unauthorized, APIStatus.unauthorized) }
        let verb = method == .POST ? "create" : "get"
        guard users.allows(user: user, verb: verb, resource: "pods/portforward", namespace: namespace) else {
            return reject(
                .forbidden,
                APIStatus.forbidden(
                    user: user, verb: verb, resource: "pods/portforward", group: "", name: name, namespace: namespace))
        }
        guard let pod = store.get(.pods, namespace: namespace, name: name), let uid = pod["metadata"]?["uid"]?.stringValue
        else {
            return reject(.notFound, APIStatus.notFound(.pods, name: name))
        }
        guard pod["spec"]?["nodeName"]?.stringValue?.isEmpty == false else {
            return reject(.badRequest, APIStatus.badRequest("pod \(name) does not have a host assigned"))
        }
        let phase = pod["status"]?["phase"]?.stringValue ?? "Unknown"
        guard phase == "Running" else {
            return reject(
                .badRequest,
                APIStatus.badRequest("unable to upgrade connection: pod \(name) is not running (phase \(phase))"))
        }
        let simulation = self.simulation
        return .accept(
            PortForwardPod(namespace: namespace, name: name, uid: uid) { port in
                simulation.localAddress(podUID: uid, containerPort: port)
            })
    }

    // MARK: Scale

    private func scale(
        _ request: APIRequest, user: String, _ resource: ResourceKind, _ namespace: String, _ name: String
    ) -> APIResponse {
        let verb: String
        switch request.method {
        case .GET: verb = "get"
        case .PATCH: verb = "patch"
        case .PUT: verb = "update"
        default:
            return .json(.methodNotAllowed, APIStatus.methodNotAllowed(request.method.rawValue, resource: "\(resource.rawValue)/scale"))
        }
        if let denied = authorize(user, verb, resource, subresource: "scale", name: name, namespace: namespace) {
            return denied
        }
        counters.count(verb: verb, resource: "\(resource.rawValue)/scale")
        guard let object = store.get(resource, namespace: namespace, name: name) else {
            return .json(.notFound, APIStatus.notFound(resource, name: name))
        }
        if verb == "get" { return .json(.ok, Self.scaleObject(object)) }
        guard let body = JSON.parse(request.body), let replicas = Self.requestedReplicas(body), replicas >= 0 else {
            return .json(
                .unprocessableEntity,
                APIStatus.failure(
                    .unprocessableEntity, reason: "Invalid",
                    message: "Scale.autoscaling \"\(name)\" is invalid: spec.replicas: Required value",
                    details: ["name": .string(name), "group": "autoscaling", "kind": "Scale",
                              "causes": [["reason": "FieldValueRequired", "message": "Required value", "field": "spec.replicas"]]]))
        }
        let future = simulation.scale(resource, namespace: namespace, name: name, replicas: replicas).map { object -> APIResponse in
            guard let object else { return .json(.notFound, APIStatus.notFound(resource, name: name)) }
            return .json(.ok, Self.scaleObject(object))
        }
        return .deferred(future)
    }

    /// `spec.replicas` from a merge/strategic patch or a Scale body, or the value of a JSON patch
    /// `replace`/`add` of `/spec/replicas`.
    static func requestedReplicas(_ body: JSON) -> Int? {
        if let operations = body.arrayValue {
            return operations.last { $0["path"]?.stringValue == "/spec/replicas" }?["value"]?.intValue
        }
        return body["spec"]?["replicas"]?.intValue
    }

    static func scaleObject(_ object: JSON) -> JSON {
        let metadata = object["metadata"] ?? .emptyObject
        let labels = object["spec"]?["selector"]?["matchLabels"]?.stringMap ?? [:]
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": [
                "name": metadata["name"] ?? "", "namespace": metadata["namespace"] ?? "", "uid": metadata["uid"] ?? "",
                "resourceVersion": metadata["resourceVersion"] ?? "", "creationTimestamp": metadata["creationTimestamp"] ?? .null,
            ],
            "spec": ["replicas": object["spec"]?["replicas"] ?? 0],
            "status": [
                "replicas": object["status"]?["replicas"] ?? 0,
                "selector": .string(LabelSelector(matchLabels: labels).queryString),
            ],
        ]
    }
}
