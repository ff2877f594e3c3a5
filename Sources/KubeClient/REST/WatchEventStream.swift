import AsyncHTTPClient
import Foundation
import KubeAPI
import NIOCore

/// The events of one watch request, decoded as they arrive. Ends cleanly when the server ends the
/// response (its `timeoutSeconds`); throws `KubeClientError.transport` when the connection breaks or an
/// event is cut off, `.decoding` for an event that does not parse. Reading is pulled, so a slow consumer
/// slows the connection (backpressure) instead of growing a buffer. Dropping the iterator cancels the request.
public struct WatchEventStream<Object: KubeResource>: AsyncSequence, Sendable {
    /// Each element is one event.
    public typealias Element = WatchEvent<Object>
    /// Any error, always a `KubeClientError`.
    public typealias Failure = any Error

    let body: HTTPClientResponse.Body
    let request: String
    let maximumEventSize: Int

    /// Creates the iterator; a stream is meant to be iterated once.
    public func makeAsyncIterator() -> Iterator {
        Iterator(body: body.makeAsyncIterator(), request: request, framer: JSONObjectFramer(maximumObjectSize: maximumEventSize))
    }

    /// Pulls body chunks and frames events.
    public struct Iterator: AsyncIteratorProtocol {
        var body: HTTPClientResponse.Body.AsyncIterator
        let request: String
        var framer: JSONObjectFramer
        let decoder = JSONDecoder()
        var finished = false

        /// The next event, `nil` at a clean end of the stream.
        public mutating func next() async throws -> WatchEvent<Object>? {
            while !finished {
                let frame: ByteBuffer?
                do {
                    frame = try framer.next()
                } catch {
                    finished = true
                    throw KubeClientError.decoding(request: request, description: "watch stream broken: \(error)")
                }
                if let frame {
                    do {
                        return try WatchEvent<Object>.decode(frame, decoder: decoder)
                    } catch {
                        finished = true
                        throw KubeClientError.decoding(request: request, description: "watch event did not decode: \(error)")
                    }
                }
                let chunk: ByteBuffer?
                do {
                    chunk = try await body.next()
                } catch {
                    finished = true
                    throw KubeClientError.transport(request: request, description: "watch connection broke: \(error)")
                }
                guard let chunk else {
                    finished = true
                    if framer.hasPartialObject {
                        throw KubeClientError.transport(request: request, description: "watch connection closed in the middle of an event")
                    }
                    return nil
                }
                framer.append(chunk)
            }
            return nil
        }
    }
}
