import BerthMetrics
import Foundation
import KubeAPI
import NIOCore

extension KubeClient {
    /// Creates `object` in `namespace` (the context's when nil) and returns it as the server stored it
    /// (with its uid). A refusal is `.api`: 403 when the user may not create the kind, 409 when the name is taken.
    public func create<Object: KubeResource>(_ object: Object, namespace: String? = nil) async throws -> Object {
        let path = Object.collectionPath(namespace: Object.isNamespaced ? (namespace ?? self.namespace) : nil)
        let body: ByteBuffer
        do {
            body = ByteBuffer(bytes: try JSONEncoder().encode(TypedObject(object: object)))
        } catch {
            throw KubeClientError.decoding(request: "POST \(path)", description: "the object did not encode: \(error)")
        }
        return try await sendJSON(Object.self, .create, .POST, path: path, body: body)
    }

    /// Lists the pods of `namespace` whose labels match `selector` (every page).
    public func listPods(namespace: String? = nil, matching selector: [String: String]) async throws -> [Pod] {
        let query = selector.labelSelectorQueryValue
        return try await listAll(Pod.self, namespace: namespace, options: ListOptions(labelSelector: query, limit: 500)).items
    }
}

/// An object with its `apiVersion` and `kind`, as a request body names them.
private struct TypedObject<Object: KubeResource>: Encodable {
    let object: Object

    private enum Key: String, CodingKey {
        case apiVersion, kind
    }

    func encode(to encoder: any Encoder) throws {
        try object.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(Object.apiGroup.isEmpty ? Object.apiVersion : "\(Object.apiGroup)/\(Object.apiVersion)", forKey: .apiVersion)
        try container.encode(Object.kind, forKey: .kind)
    }
}
