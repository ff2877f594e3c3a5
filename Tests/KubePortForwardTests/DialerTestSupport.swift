import KubePortForward
import NIOCore

extension PortForwardDialer {
    /// Opens a stream to `default/echo-pod:80`, writes `text` and returns the first chunk that comes back.
    func echoOnce(_ text: String) async throws -> String? {
        let stream = try await dial(PortForwardTarget(namespace: "default", pod: "echo-pod", port: 80))
        return try await stream.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: text))
            var iterator = inbound.makeAsyncIterator()
            return try await iterator.next().map { String(buffer: $0) }
        }
    }
}
