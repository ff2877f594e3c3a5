import Hummingbird
import NIOCore

/// Refuses what must not reach the dashboard or `/metrics` (docs/dashboard.md and docs/metrics.md, "Access"):
/// - a `Host` that does not name this server (``HostRule``): a page of another site whose name was made to
///   resolve to this machine (DNS rebinding) sends its own name;
/// - an `Origin` other than the server's own: another page's script;
/// - when there is a token (the dashboard's; `/metrics` has none, as Prometheus scrapes it), a request without
///   it, except for the page's script and style, which hold no data. A GET may carry it as `?token=`; a POST
///   (an action) must send `Authorization: Bearer TOKEN`, which a form on another site cannot.
struct RequestGuard<Context: RequestContext>: RouterMiddleware {
    /// The token requests must carry; nil when the server needs none.
    let token: DashboardToken?
    let hosts: HostRule
    /// Paths served without the token.
    static var publicPaths: Set<String> { ["/app.js", "/app.css"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        switch Self.verdict(
            method: request.method, path: request.uri.path, authority: request.head.authority,
            origin: request.headers[.origin], authorization: request.headers[.authorization],
            queryToken: request.uri.queryParameters["token"].map(String.init), token: token, hosts: hosts)
        {
        case .allowed:
            return try await next(request, context)
        case .refused(let status, let reason):
            return Response(
                status: status, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: reason + "\n")))
        }
    }

    /// What the guard decides about one request.
    enum Verdict: Equatable {
        case allowed
        case refused(HTTPResponse.Status, String)
    }

    /// The decision, apart from the server so it can be tested on its own.
    static func verdict(
        method: HTTPRequest.Method, path: String, authority: String?, origin: String?, authorization: String?,
        queryToken: String?, token: DashboardToken?, hosts: HostRule
    ) -> Verdict {
        guard let authority, hosts.accepts(authority: authority) else {
            return .refused(.misdirectedRequest, "refused: the Host header must be localhost, a loopback address or the address berth listens on")
        }
        if let origin, origin != "http://\(authority)" {
            return .refused(.forbidden, "refused: requests from another origin are not accepted")
        }
        guard let token else { return .allowed }
        if method == .get, publicPaths.contains(path) { return .allowed }
        let bearer = authorization.flatMap { $0.hasPrefix("Bearer ") ? $0.dropFirst("Bearer ".count) : nil }
        let given: Substring? = method == .get ? bearer ?? queryToken.map { Substring($0) } : bearer
        guard let given, token.matches(given) else {
            return .refused(.unauthorized, "refused: open the URL berth up printed (it carries the token)")
        }
        return .allowed
    }
}
