import Foundation

/// A bad watch event FakeKube sends on purpose on live watch streams (`POST /fake/v1/chaos/malformed-watch-event`,
/// ``FakeKubeServer/sendMalformedWatchEvent(_:resource:)``): what a broken proxy, a buggy or hostile API server may
/// put on the wire, for trying clients on it (docs/fake-kube.md, "Chaos and accounting").
public enum MalformedWatchEvent: String, Sendable, CaseIterable {
    /// Half an event, then the end of the stream, as when a connection is cut in the middle of a line.
    case truncated
    /// Well-formed JSON with the wrong types: a number for the name, an array for the namespace.
    case wrongTypes = "wrong-types"
    /// An event with a 17 MiB string in it: more than a client should hold for one event (berth's limit is 16 MiB).
    case hugeString = "huge-string"
    /// An event whose name is `"\ud800\u0041"`: a high surrogate with no low one, which no UTF-8 can carry.
    case loneSurrogate = "lone-surrogate"

    /// The size of the huge string.
    public static let hugeStringSize = 17 << 20

    /// The bytes sent on a watch of `resource`, its own newline included (none after a truncated event).
    func bytes(for resource: ResourceKind) -> [UInt8] {
        let head = #"{"type":"MODIFIED","object":{"kind":"\#(resource.kind)","apiVersion":"\#(resource.apiVersion)","metadata":"#
        switch self {
        case .truncated:
            return Array((head + #"{"name":"cut-off","namespace":"#).utf8)
        case .wrongTypes:
            return Array((head + #"{"name":42,"namespace":["default"],"resourceVersion":true}}}"# + "\n").utf8)
        case .hugeString:
            let open = Array((head + #"{"name":""#).utf8)
            let close = Array(#"","namespace":"default"}}}"#.utf8) + [UInt8(ascii: "\n")]
            let size = open.count + Self.hugeStringSize + close.count
            // Filled with memset: appending 17 Mi single bytes took seconds in a debug build, in every test run.
            return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                let base = buffer.baseAddress!
                open.withUnsafeBufferPointer { base.initialize(from: $0.baseAddress!, count: open.count) }
                memset(base + open.count, Int32(UInt8(ascii: "x")), Self.hugeStringSize)
                close.withUnsafeBufferPointer { (base + open.count + Self.hugeStringSize).initialize(from: $0.baseAddress!, count: close.count) }
                count = size
            }
        case .loneSurrogate:
            return Array((head + #"{"name":"\ud800\u0041","namespace":"default"}}}"# + "\n").utf8)
        }
    }

    /// Whether the stream ends right after the bytes (a truncated event has no end of its own).
    var endsStream: Bool { self == .truncated }
}
