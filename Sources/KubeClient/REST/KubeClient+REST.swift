import AsyncHTTPClient
import BerthMetrics
import KubeAPI
import NIOCore
import NIOHTTP1

extension KubeClient {
    /// Reads one object. `namespace` defaults to the context's (ignored for cluster-scoped kinds).
    public func get<Object: KubeResource>(_ type: Object.Type, name: String, namespace: String? = nil) async throws -> Object {
        try await sendJSON(Object.self, .get, .GET, path: Self.objectPath(type, name: name, namespace: namespace ?? self.namespace))
    }

    /// Reads one page of a list. `namespace: nil` lists the context's namespace; use `allNamespaces` for every one.
    public func list<Object: KubeResource>(
        _ type: Object.Type, namespace: String? = nil, allNamespaces: Bool = false, options: ListOptions = ListOptions()
    ) async throws -> ObjectList<Object> {
        let path = type.collectionPath(namespace: allNamespaces ? nil : (namespace ?? self.namespace))
        return try await sendJSON(ObjectList<Object>.self, .list, .GET, path: path, query: options.queryItems)
    }

    /// Reads every page of a list, following `continue` (docs/informers.md, "List"). Continuation pages drop
    /// `resourceVersion` as client-go's pager does; the answer's resourceVersion is the first page's.
    public func listAll<Object: KubeResource>(
        _ type: Object.Type, namespace: String? = nil, allNamespaces: Bool = false, options: ListOptions = ListOptions(limit: 500)
    ) async throws -> ObjectList<Object> {
        var page = try await list(type, namespace: namespace, allNamespaces: allNamespaces, options: options)
        var result = ObjectList<Object>(metadata: ListMeta(resourceVersion: page.metadata.resourceVersion), items: page.items)
        while let token = page.metadata.continue, !token.isEmpty {
            try Task.checkCancellation()
            var next = options
            next.continueToken = token
            next.resourceVersion = nil
            next.resourceVersionMatch = nil
            page = try await list(type, namespace: namespace, allNamespaces: allNamespaces, options: next)
            result.items += page.items
        }
        return result
    }

    /// Opens a watch (docs/informers.md, "Watch"). Throws `.api` when the server refuses it; the stream then
    /// ends cleanly at the server's timeout and throws when the connection breaks.
    public func watch<Object: KubeResource>(
        _ type: Object.Type, namespace: String? = nil, allNamespaces: Bool = false, options: WatchOptions = WatchOptions()
    ) async throws -> WatchEventStream<Object> {
        let path = type.collectionPath(namespace: allNamespaces ? nil : (namespace ?? self.namespace))
        // The server ends the stream at timeoutSeconds; the deadline only guards against one that never does.
        var deadline = NIODeadline.distantFuture
        if let seconds = options.timeoutSeconds { deadline = NIODeadline.now() + TimeAmount.seconds(Int64(seconds) + 60) }
        let response = try await send(.watch, .GET, path: path, query: options.queryItems, deadline: deadline)
        return WatchEventStream(body: response.body, request: "GET \(path)", maximumEventSize: 16 << 20)
    }

    /// Deletes an object; the answer body (the object or a Status) is discarded.
    public func delete<Object: KubeResource>(
        _ type: Object.Type, name: String, namespace: String? = nil, gracePeriodSeconds: Int? = nil
    ) async throws {
        let path = Self.objectPath(type, name: name, namespace: namespace ?? self.namespace)
        let query = gracePeriodSeconds.map { [("gracePeriodSeconds", String($0))] } ?? []
        let response = try await send(.delete, .DELETE, path: path, query: query, deadline: .now() + .seconds(60))
        do {
            for try await _ in response.body {}
        } catch {
            throw KubeClientError.transport(request: "DELETE \(path)", description: Self.describe(error))
        }
    }

    /// Deletes a pod (the chaos and restart paths of berth's tests use it).
    public func deletePod(name: String, namespace: String? = nil, gracePeriodSeconds: Int? = nil) async throws {
        try await delete(Pod.self, name: name, namespace: namespace, gracePeriodSeconds: gracePeriodSeconds)
    }

    /// A `ListerWatcher` for one resource in one namespace (`nil`: all namespaces), for reflectors and informers.
    public func listerWatcher<Object: KubeResource>(for type: Object.Type, namespace: String?) -> ResourceClient<Object> {
        ResourceClient(client: self, namespace: namespace)
    }

    static func objectPath<Object: KubeResource>(_ type: Object.Type, name: String, namespace: String) -> String {
        type.collectionPath(namespace: namespace) + "/" + QueryString.escape(name)
    }
}

/// List and watch of one resource in one namespace (or all) of one cluster: the REST side of `ListerWatcher`.
public struct ResourceClient<Object: KubeResource>: ListerWatcher {
    /// The client it uses.
    public let client: KubeClient
    /// The namespace, `nil` for all namespaces (or a cluster-scoped kind).
    public let namespace: String?

    /// Creates a resource client.
    public init(client: KubeClient, namespace: String?) {
        self.client = client
        self.namespace = namespace
    }

    /// One page of a list.
    public func list(_ options: ListOptions) async throws -> ObjectList<Object> {
        try await client.list(Object.self, namespace: namespace, allNamespaces: namespace == nil, options: options)
    }

    /// Opens a watch.
    public func watch(_ options: WatchOptions) async throws -> WatchEventStream<Object> {
        try await client.watch(Object.self, namespace: namespace, allNamespaces: namespace == nil, options: options)
    }

    /// Reads one object by name.
    public func get(_ name: String) async throws -> Object {
        try await client.get(Object.self, name: name, namespace: namespace)
    }

    /// The client's metrics: a reflector over this lister-watcher counts its watch restarts there.
    public var apiMetrics: APIMetrics? { client.metrics }
}
