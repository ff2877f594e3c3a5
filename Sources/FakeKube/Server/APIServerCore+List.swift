import Foundation
import NIOCore
import NIOHTTP1

extension APIServerCore {
    /// A list continue token: the collection RV and the last key served (opaque to clients).
    struct ContinueToken: Equatable {
        var resourceVersion: Int
        var after: String

        var encoded: String {
            let json: JSON = ["rv": .int(resourceVersion), "start": .string(after)]
            return Data(json.bytes()).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }

        init(resourceVersion: Int, after: String) {
            self.resourceVersion = resourceVersion
            self.after = after
        }

        init?(encoded: String) {
            var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            guard let data = Data(base64Encoded: base64), let json = JSON.parse(data),
                let rv = json["rv"]?.intValue, let after = json["start"]?.stringValue
            else { return nil }
            self.init(resourceVersion: rv, after: after)
        }
    }

    static func sortKey(_ object: JSON) -> String {
        "\(object["metadata"]?["namespace"]?.stringValue ?? "")/\(object["metadata"]?["name"]?.stringValue ?? "")"
    }

    /// The request's label and field selectors, or the 400 answer that refuses them (lists and watches alike).
    func selectors(_ request: APIRequest, _ resource: ResourceKind) -> Result<(LabelSelector, FieldSelector), SelectorRefusal> {
        do throws(FakeKubeError) {
            return .success((
                try LabelSelector(parsing: request.query["labelSelector"] ?? ""),
                try FieldSelector(parsing: request.query["fieldSelector"] ?? "", resource: resource)
            ))
        } catch {
            return .failure(SelectorRefusal(response: .json(.badRequest, APIStatus.badRequest(error.description))))
        }
    }

    /// A selector the API server cannot parse, as its answer.
    struct SelectorRefusal: Error {
        let response: APIResponse
    }

    func list(_ request: APIRequest, _ resource: ResourceKind, _ namespace: String?) -> APIResponse {
        let (labels, fields): (LabelSelector, FieldSelector)
        switch selectors(request, resource) {
        case .success(let parsed): (labels, fields) = parsed
        case .failure(let refusal): return refusal.response
        }
        let requestedRV = request.query["resourceVersion"] ?? ""
        var token: ContinueToken?
        if let text = request.query["continue"], !text.isEmpty {
            guard requestedRV.isEmpty || requestedRV == "0" else {
                return .json(.badRequest, APIStatus.badRequest("specifying resource version is not allowed when using continue"))
            }
            guard let decoded = ContinueToken(encoded: text) else {
                return .json(.badRequest, APIStatus.badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"))
            }
            guard decoded.resourceVersion >= store.compactedThrough else {
                return .json(
                    .gone,
                    APIStatus.expired(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."))
            }
            token = decoded
        } else if let rv = Int(requestedRV), rv > store.resourceVersion {
            return .json(
                .gatewayTimeout,
                APIStatus.failure(
                    .gatewayTimeout, reason: "Timeout", message: "Too large resource version: \(rv), current: \(store.resourceVersion)",
                    details: ["causes": [["reason": "ResourceVersionTooLarge", "message": "Too large resource version"]]]))
        } else if !requestedRV.isEmpty, Int(requestedRV) == nil {
            return .json(.badRequest, APIStatus.badRequest("invalid resource version: \(requestedRV)"))
        }
        let snapshot = store.list(resource, namespace: namespace)
        var items = snapshot.items.filter { object in
            labels.matches(object["metadata"]?["labels"]?.stringMap ?? [:]) && fields.matches(object)
        }
        if let token { items = items.filter { Self.sortKey($0) > token.after } }
        let listRV = token?.resourceVersion ?? snapshot.resourceVersion
        var metadata: JSON = ["resourceVersion": .string(String(listRV))]
        if let limit = request.query["limit"].flatMap({ Int($0) }), limit > 0, items.count > limit {
            let remaining = items.count - limit
            items = Array(items.prefix(limit))
            metadata["continue"] = .string(ContinueToken(resourceVersion: listRV, after: Self.sortKey(items.last!)).encoded)
            if labels.requirements.isEmpty && fields.requirements.isEmpty {
                metadata["remainingItemCount"] = .int(remaining)
            }
        }
        return .json(
            .ok,
            [
                "kind": .string("\(resource.kind)List"), "apiVersion": .string(resource.apiVersion),
                "metadata": metadata, "items": .array(items),
            ])
    }

    func watch(_ request: APIRequest, _ resource: ResourceKind, _ namespace: String?) -> APIResponse {
        let rvText = request.query["resourceVersion"] ?? ""
        let (labels, fields): (LabelSelector, FieldSelector)
        switch selectors(request, resource) {
        case .success(let parsed): (labels, fields) = parsed
        case .failure(let refusal): return refusal.response
        }
        let from: Int?
        if rvText.isEmpty || rvText == "0" {
            from = nil
        } else if let rv = Int(rvText) {
            from = rv
        } else {
            return .json(.badRequest, APIStatus.badRequest("invalid resource version: \(rvText)"))
        }
        let sendInitialEvents = request.flag("sendInitialEvents")
        var timeout = Duration.seconds(1800)
        if let text = request.query["timeoutSeconds"], let seconds = Int(text), seconds > 0 {
            timeout = .seconds(seconds)
        }
        return .watch(
            WatchRequest(
                resource: resource, namespace: namespace, labels: labels, fields: fields,
                from: sendInitialEvents ? nil : from, timeout: timeout, bookmarks: request.flag("allowWatchBookmarks"),
                sendInitialEvents: sendInitialEvents, bookmarkInterval: bookmarkInterval))
    }
}
