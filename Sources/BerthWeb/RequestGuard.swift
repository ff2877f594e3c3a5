import Hummingbird
import NIOCore

/// Refuses what must not reach the dashboard (docs/dashboard.md, "Access"):
/// - a `Host` that is not an IP address or `localhost`: a page of another site whose name was made to resolve
///   to this machine (DNS rebinding) sends its own name;
/// - an `Origin` other than the dashboard's own: another page's script;
/// - a request without the token, except for the page's script and style, which hold no data. A GET may carry
///   it as `?token=`; a POST (an action) must send `Authorization: Bearer TOKEN`, which a form on another
///   site cannot.
struct RequestGuard<Context: RequestContext>: RouterMiddleware {
    let token: DashboardToken
    /// Paths served without the token.
    static var publicPaths: Set<String> { ["/app.js", "/app.css"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        switch Self.verdict(
            method: request.method, path: request.uri.path, authority: request.head.authority,
            origin: request.headers[.origin], authorization: request.headers[.authorization],
            queryToken: request.uri.queryParameters["token"].map(String.init), token: token)
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
        queryToken: String?, token: DashboardToken
    ) -> Verdict {
        guard let authority, let host = hostPart(of: authority), isAddressOrLocalhost(host) else {
            return .refused(.misdirectedRequest, "refused: the Host header must be this machine's address or localhost")
        }
        if let origin, origin != "http://\(authority)" {
            return .refused(.forbidden, "refused: requests from another origin are not accepted")
        }
        if method == .get, publicPaths.contains(path) { return .allowed }
        let bearer = authorization.flatMap { $0.hasPrefix("Bearer ") ? $0.dropFirst("Bearer ".count) : nil }
        let given: Substring? = method == .get ? bearer ?? queryToken.map { Substring($0) } : bearer
        guard let given, token.matches(given) else {
            return .refused(.unauthorized, "refused: open the URL berth up printed (it carries the token)")
        }
        return .allowed
    }

    /// The host of `HOST[:PORT]` or `[IPV6][:PORT]`.
    static func hostPart(of authority: String) -> String? {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let rest = authority[authority.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { return nil }
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        return String(parts[0])
    }

    static func isAddressOrLocalhost(_ host: String) -> Bool {
        host.lowercased() == "localhost" || (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
