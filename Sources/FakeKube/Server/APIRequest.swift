import Foundation
import NIOCore
import NIOHTTP1

/// One API request, fully read, with the authenticated user.
struct APIRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var query: [String: String]
    var headers: HTTPHeaders
    var body: [UInt8]
    var user: String?

    init(head: HTTPRequestHead, body: [UInt8], user: String?) {
        method = head.method
        headers = head.headers
        self.body = body
        self.user = user
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = parts.first.map(String.init) ?? "/"
        query = parts.count > 1 ? Self.parseQuery(String(parts[1])) : [:]
    }

    /// Query items; empty components (kube-rs sends `?&`) are skipped and the last of repeated keys wins.
    static func parseQuery(_ text: String) -> [String: String] {
        var query: [String: String] = [:]
        for item in text.split(separator: "&") where !item.isEmpty {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(String(pair[0]))
            query[key] = pair.count > 1 ? decode(String(pair[1])) : ""
        }
        return query
    }

    private static func decode(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }

    /// `true`/`1` → true.
    func flag(_ name: String) -> Bool {
        guard let value = query[name] else { return false }
        return value == "true" || value == "1"
    }
}

/// What a request path names.
enum Route: Equatable {
    case version
    case health
    case apiVersions
    case groupList
    case group(String)
    case resourceList(group: String)
    case collection(ResourceKind, namespace: String?)
    case object(ResourceKind, namespace: String?, name: String)
    case subresource(ResourceKind, namespace: String?, name: String, subresource: String)
    case fake([String])
    case unknown

    init(path: String) {
        let segments = path.split(separator: "/").map(String.init)
        switch segments.first {
        case "version" where segments.count == 1: self = .version
        case "healthz", "livez", "readyz": self = .health
        case "api":
            if segments.count == 1 { self = .apiVersions; return }
            guard segments[1] == "v1" else { self = .unknown; return }
            self = Route(group: "", rest: Array(segments.dropFirst(2)))
        case "apis":
            if segments.count == 1 { self = .groupList; return }
            if segments.count == 2 {
                self = Discovery.groups.contains(segments[1]) ? .group(segments[1]) : .unknown
                return
            }
            guard segments[2] == "v1", Discovery.groups.contains(segments[1]) else { self = .unknown; return }
            self = Route(group: segments[1], rest: Array(segments.dropFirst(3)))
        case "fake" where segments.count >= 2 && segments[1] == "v1":
            self = .fake(Array(segments.dropFirst(2)))
        default: self = .unknown
        }
    }

    private init(group: String, rest: [String]) {
        if rest.isEmpty { self = .resourceList(group: group); return }
        var namespace: String?
        var rest = rest
        if rest[0] == "namespaces", rest.count >= 3 {
            namespace = rest[1]
            rest = Array(rest.dropFirst(2))
        }
        guard let resource = ResourceKind.find(group: group, plural: rest[0]),
            resource.namespaced || namespace == nil
        else { self = .unknown; return }
        switch rest.count {
        case 1: self = .collection(resource, namespace: namespace)
        case 2: self = .object(resource, namespace: namespace, name: rest[1])
        case 3: self = .subresource(resource, namespace: namespace, name: rest[1], subresource: rest[2])
        default: self = .unknown
        }
    }
}
