import BerthDaemon
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The web dashboard of `berth up --ui` (docs/dashboard.md): one page, its event stream and two actions,
/// served by Hummingbird on ``address``, every request checked by the token, `Host` and `Origin` rules.
///
/// A `Service`: `berth up` runs it beside the daemon (docs/architecture.md, "Lifecycle"); a graceful shutdown
/// of its group, or cancelling ``run()``, stops it, and so does the daemon's end (its status stream ends).
public struct DashboardServer: Service {
    /// Where it listens.
    public let address: ListenAddress
    /// The token every request but the script and style must carry.
    public let token: DashboardToken
    /// How often the event stream sends the snapshot when nothing changed (the byte counters still move).
    public let tick: Duration
    let feed: DashboardFeed
    let logger: Logger
    let onListening: @Sendable (DashboardLink) async -> Void

    /// A server for `source`; nothing listens until ``run()``. `onListening` gets the page's URL (with the
    /// bound port) and the token once the socket is bound.
    public init(
        address: ListenAddress, token: DashboardToken = DashboardToken(), source: any DashboardSource,
        tick: Duration = .seconds(1), logger: Logger, onListening: @escaping @Sendable (DashboardLink) async -> Void = { _ in }
    ) {
        self.address = address
        self.token = token
        self.tick = tick
        self.feed = DashboardFeed(source: source)
        self.logger = logger
        self.onListening = onListening
    }

    /// Listens and serves until the daemon stops, its group shuts down gracefully, or the task is cancelled.
    /// - Throws: when the address cannot be bound (the port is taken, say).
    public func run() async throws {
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(RequestGuard(token: token, hosts: HostRule(listening: address)))
        addRoutes(to: router)
        let address = self.address
        let token = self.token
        let logger = self.logger
        let onListening = self.onListening
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                let url = "http://\(address.authority(port: port))/"
                logger.info("dashboard listening", metadata: ["url": "\(url)"])
                await onListening(DashboardLink(url: url, token: token.value))
            },
            logger: logger)
        var configuration = ServiceGroupConfiguration(services: [.init(service: app)], logger: logger)
        configuration.maximumGracefulShutdownDuration = Self.shutdownGrace
        let services = ServiceGroup(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The feed ends when the daemon stops; then the server stops too.
            group.addTask { await feed.run() }
            group.addTask {
                // Stopping is a graceful shutdown (no new connections, requests in flight end, event streams
                // close), not a cancellation, which would cut responses mid-write. The server runs in its own task
                // so that the cancellation of this one reaches it only as that request; the group of berth up
                // shuts it down gracefully itself (a service group follows the graceful shutdown of the one
                // it runs in).
                let serving = Task { try await services.run() }
                try await withTaskCancellationHandler {
                    try await serving.value
                } onCancel: {
                    Task { await services.triggerGracefulShutdown() }
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// How long the server waits for requests in flight when it stops before it cancels them.
    static let shutdownGrace = Duration.seconds(2)

    private func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in Self.asset(DashboardAssets.page, type: "text/html; charset=utf-8") }
        router.get("/app.js") { _, _ in Self.asset(DashboardAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/app.css") { _, _ in Self.asset(DashboardAssets.style, type: "text/css; charset=utf-8") }
        router.get("/api/status") { _, _ in
            Self.json(try Self.encode(await feed.snapshot()))
        }
        router.get("/events") { _, _ in eventStream() }
        router.post("/api/forwards/:name/probe") { _, context in
            let name = try context.parameters.require("name")
            guard let result = await feed.source.probe(name) else {
                return Self.text(.conflict, "\(name) is not Ready: there is nothing to probe")
            }
            return Self.json(try Self.encode(result))
        }
        router.post("/api/forwards/:name/rebind") { _, context in
            let name = try context.parameters.require("name")
            guard await feed.source.rebind(name) else { return Self.text(.notFound, "no forward \(name) runs") }
            return Response(status: .noContent)
        }
    }

    /// The event stream: a `status` event with the whole snapshot now, at each change and at least every `tick`.
    private func eventStream() -> Response {
        let feed = self.feed
        let tick = self.tick
        let logger = self.logger
        let body = ResponseBody { writer in
            do {
                while !Task.isCancelled, !feed.finished {
                    let generation = feed.generation
                    let data = try Self.encode(await feed.snapshot())
                    let event = ServerSentEvent(event: "status", data: String(decoding: data, as: UTF8.self))
                    try await writer.write(ByteBuffer(string: event.framed))
                    await feed.wait(past: generation, timeout: tick)
                }
            } catch {
                // The browser went away (or the daemon stops): the stream ends with it.
                logger.debug("event stream ended", metadata: ["error": "\(error)"])
            }
            try? await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: body)
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers: HTTPFields = [.contentType: type, .cacheControl: "no-store"]
        // The page loads nothing from elsewhere and is never framed; links it opens get no referrer, so the
        // token in its URL stays on this machine.
        headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        headers[.referrerPolicy] = "no-referrer"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ data: Data) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }
}

extension HTTPFields.Element.Name {
    /// `Referrer-Policy`, which swift-http-types does not name.
    static var referrerPolicy: Self { Self("Referrer-Policy")! }
}
