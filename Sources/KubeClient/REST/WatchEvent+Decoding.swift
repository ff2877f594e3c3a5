import Foundation
import KubeAPI
import NIOCore
import NIOFoundationCompat

extension WatchEvent {
    private struct EventType: Decodable { var type: String }
    private struct Envelope<Payload: Decodable>: Decodable { var object: Payload }
    /// A bookmark's object carries only `apiVersion`, `kind` and `metadata.resourceVersion`.
    private struct BookmarkObject: Decodable {
        struct Meta: Decodable { var resourceVersion: String? }
        var metadata: Meta?
    }

    /// Decodes one `{"type":…,"object":…}` frame (docs/informers.md, "Watch").
    public static func decode(_ bytes: ByteBuffer, decoder: JSONDecoder = JSONDecoder()) throws -> WatchEvent<Object> {
        let type = try decoder.decode(EventType.self, from: bytes).type
        switch type {
        case "ADDED": return .added(try decoder.decode(Envelope<Object>.self, from: bytes).object)
        case "MODIFIED": return .modified(try decoder.decode(Envelope<Object>.self, from: bytes).object)
        case "DELETED": return .deleted(try decoder.decode(Envelope<Object>.self, from: bytes).object)
        case "BOOKMARK":
            let object = try decoder.decode(Envelope<BookmarkObject>.self, from: bytes).object
            return .bookmark(resourceVersion: object.metadata?.resourceVersion ?? "")
        case "ERROR": return .error(try decoder.decode(Envelope<Status>.self, from: bytes).object)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown watch event type \(type)"))
        }
    }
}
