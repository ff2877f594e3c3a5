import AsyncHTTPClient
import Foundation
import KubeAPI
import NIOCore
import NIOFoundationCompat

extension KubeClient {
    /// Turns a non-2xx answer into `.api`: the body's `Status` when it is one, else a Status synthesised
    /// from the HTTP status and the body text. `Retry-After` (seconds) wins over `details.retryAfterSeconds`.
    static func apiError(_ response: HTTPClientResponse, request: String) async -> KubeClientError {
        let body = (try? await response.body.collect(upTo: maximumErrorBodySize)) ?? ByteBuffer()
        let code = Int(response.status.code)
        var status: Status
        if let decoded = try? JSONDecoder().decode(Status.self, from: body), decoded.code != nil || decoded.reason != nil || decoded.message != nil {
            status = decoded
        } else {
            let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
            status = Status(
                message: text.isEmpty ? response.status.reasonPhrase : String(text.prefix(512)),
                reason: reason(forHTTPStatus: code), code: code)
        }
        if status.code == nil { status.code = code }
        let header = response.headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let retryAfter = header ?? status.details?.retryAfterSeconds
        return .api(status: status, request: request, retryAfterSeconds: retryAfter)
    }

    /// The reason a real API server would have put in the Status (docs/informers.md, "Errors: the Status object").
    static func reason(forHTTPStatus code: Int) -> String {
        switch code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 409: "Conflict"
        case 410: "Expired"
        case 422: "Invalid"
        case 429: "TooManyRequests"
        case 504: "Timeout"
        case 500..<600: "InternalError"
        default: "Unknown"
        }
    }
}
