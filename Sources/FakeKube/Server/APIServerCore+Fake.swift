import Foundation
import NIOCore
import NIOHTTP1

extension APIServerCore {
    /// `/fake/v1/…`: chaos and accounting, for the admin user only.
    func fake(_ request: APIRequest, user: String, _ segments: [String]) -> APIResponse {
        counters.count(verb: "fake", resource: segments.joined(separator: "/"))
        guard user == Users.admin else {
            return .json(.forbidden, APIStatus.forbiddenPath(user: user, verb: request.method == .GET ? "get" : "create", path: request.path))
        }
        let seconds = request.query["seconds"].flatMap(Double.init)
        switch (request.method, segments) {
        case (.GET, ["stats"]):
            return .json(.ok, actions.stats().json)
        case (.GET, ["pods"]):
            return .json(.ok, PodInventory(store: store, simulation: simulation).json(namespace: request.query["namespace"]))
        case (.POST, ["stats", "reset"]):
            counters.reset()
        case (.POST, ["chaos", "drop-watches"]):
            store.closeAllWatches()
        case (.POST, ["chaos", "header-padding"]):
            guard let bytes = request.query["bytes"].flatMap(Int.init), (0...(64 << 20)).contains(bytes) else {
                return .json(.badRequest, APIStatus.badRequest("query parameter bytes is required (0 to 67108864)"))
            }
            chaos.setHeaderPadding(bytes: bytes)
        case (.POST, ["chaos", "malformed-watch-event"]):
            return malformedWatchEvent(request)
        case (.POST, ["chaos", "drop-portforwards"]):
            registry.closeAll()
        case (.POST, ["chaos", "compact"]):
            store.compact()
        case (.POST, ["chaos", "stall"]):
            guard let seconds, seconds >= 0 else { return missing("seconds") }
            chaos.stall(seconds: seconds)
        case (.POST, ["chaos", "latency"]):
            guard let milliseconds = request.query["milliseconds"].flatMap(Int.init), milliseconds >= 0 else {
                return missing("milliseconds")
            }
            chaos.setLatency(.milliseconds(milliseconds))
        case (.POST, ["chaos", "round-trip"]):
            guard let milliseconds = request.query["milliseconds"].flatMap(Int.init), milliseconds >= 0 else {
                return missing("milliseconds")
            }
            chaos.setRoundTrip(.milliseconds(milliseconds))
        case (.POST, ["chaos", "idle-cut"]):
            guard let seconds, seconds >= 0 else { return missing("seconds") }
            registry.chaos.idleCut = seconds > 0 ? .milliseconds(Int64(seconds * 1000)) : nil
        case (.POST, ["chaos", "refuse-websockets"]):
            guard let enabled = flag(request) else { return missingFlag() }
            registry.chaos.refuseWebSockets = enabled
        case (.POST, ["chaos", "ignore-pings"]):
            guard let enabled = flag(request) else { return missingFlag() }
            registry.chaos.ignorePings = enabled
        case (.POST, ["chaos", "partition"]):
            guard let seconds, seconds >= 0 else { return missing("seconds") }
            let partition = actions.partition
            return .thenRun(.json(.ok, APIStatus.success())) { partition(seconds) }
        case (.POST, ["chaos", "restart"]):
            return .thenRun(.json(.ok, APIStatus.success()), actions.restart)
        default:
            return .json(.notFound, APIStatus.unknownPath)
        }
        return .json(.ok, APIStatus.success())
    }

    private func malformedWatchEvent(_ request: APIRequest) -> APIResponse {
        guard let malformed = request.query["kind"].flatMap(MalformedWatchEvent.init(rawValue:)) else {
            let kinds = MalformedWatchEvent.allCases.map(\.rawValue).joined(separator: ", ")
            return .json(.badRequest, APIStatus.badRequest("query parameter kind is required (one of \(kinds))"))
        }
        var resource: ResourceKind?
        if let name = request.query["resource"] {
            guard let named = ResourceKind(rawValue: name) else {
                return .json(.badRequest, APIStatus.badRequest("unknown resource \(name) (pods, services, endpointslices, …)"))
            }
            resource = named
        }
        let reached = store.sendMalformed(malformed, to: resource)
        return .json(.ok, APIStatus.success(message: "sent a \(malformed.rawValue) event on \(reached) watches"))
    }

    private func flag(_ request: APIRequest) -> Bool? {
        switch request.query["enabled"] {
        case "true": true
        case "false": false
        default: nil
        }
    }

    private func missingFlag() -> APIResponse {
        .json(.badRequest, APIStatus.badRequest("query parameter enabled is required (true or false)"))
    }

    private func missing(_ parameter: String) -> APIResponse {
        .json(.badRequest, APIStatus.badRequest("query parameter \(parameter) is required (a number, 0 or more)"))
    }
}
