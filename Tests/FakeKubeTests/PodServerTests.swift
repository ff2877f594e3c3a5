import BerthTestSupport
import FakeKube
import Foundation
import NIOCore
import NIOPosix
import Testing

/// Every container port is a real TCP server on 127.0.0.1 with its behaviour, gone with its pod.
@Suite struct PodServerTests {
    @Test func behavioursAnswerOnLoopback() async throws {
        let server = try await FakeKubeServer.start(scenario: TestScenarios.small)
        do {
            let web = try #require(server.objects(.pods, namespace: "default").first { $0["metadata"]?["labels"]?["app"] == "web" })
            let webName = try #require(web["metadata"]?["name"]?.stringValue)
            let http = try #require(server.localAddress(namespace: "default", pod: webName, containerPort: 8080))
            #expect(http.ipAddress == "127.0.0.1")
            let answer = try await roundTrip(to: http, payload: Array("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
            let text = String(decoding: answer, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200 OK"))
            let body = try #require(text.split(separator: "\r\n\r\n", maxSplits: 1).last)
            let json = try #require(JSON.parse(Array(body.utf8)))
            #expect(json["pod"] == .string(webName))
            #expect(json["namespace"] == "default")
            #expect(json["port"] == 8080)

            let echo = try #require(server.localAddress(namespace: "other", pod: "lone", containerPort: 7000))
            let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let echoed = try await roundTrip(to: echo, payload: payload)
            #expect(echoed == payload)

            #expect(server.localAddress(namespace: "other", pod: "lone", containerPort: 9999) == nil)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    /// A keep-alive client that half-closes (curl closing its socket when it exits) gets its answer and then the
    /// pod's close, as from a real HTTP server: a pod that kept the connection would keep every forward to it open.
    @Test func anHTTPPodClosesAKeepAliveConnectionOnceTheClientHalfCloses() async throws {
        let server = try await FakeKubeServer.start(scenario: TestScenarios.small)
        do {
            let web = try #require(server.objects(.pods, namespace: "default").first { $0["metadata"]?["labels"]?["app"] == "web" })
            let webName = try #require(web["metadata"]?["name"]?.stringValue)
            let http = try #require(server.localAddress(namespace: "default", pod: webName, containerPort: 8080))
            let twoRequests = Array("GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
            // roundTrip half-closes after its bytes and reads until the server closes.
            let exchange = Task { try await roundTrip(to: http, payload: twoRequests) }
            let answer = String(decoding: try await awaitEnd(of: exchange, within: 10, "a keep-alive exchange the client half-closed"), as: UTF8.self)
            #expect(answer.components(separatedBy: "HTTP/1.1 200 OK").count == 3, "both answers arrive before the close: \(answer)")
            #expect(answer.contains("\"/one\"") && answer.contains("\"/two\""))
            #expect(!answer.contains("Connection: close"), "the requests asked for keep-alive")
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test func sourceStreamsAPatternAndAPodsServersCloseWhenItIsGone() async throws {
        let server = try await FakeKubeServer.start(scenario: TestScenarios.small)
        do {
            let source = try #require(server.localAddress(namespace: "other", pod: "lone", containerPort: 7001))
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(to: source) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            let received = try await channel.executeThenClose { inbound, _ in
                var received: [UInt8] = []
                var deleted = false
                for try await var buffer in inbound {
                    received += buffer.readBytes(length: buffer.readableBytes) ?? []
                    if received.count >= 256 * 1024 && !deleted {
                        deleted = true
                        try await server.deletePod(namespace: "other", name: "lone", force: true)
                    }
                }
                return received
            }
            #expect(received.count >= 256 * 1024)
            #expect(received.prefix(512).enumerated().allSatisfy { $0.element == UInt8(truncatingIfNeeded: $0.offset) })
            #expect(server.localAddress(namespace: "other", pod: "lone", containerPort: 7001) == nil)
            await #expect(throws: (any Error).self) { _ = try await roundTrip(to: source, payload: [1]) }
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }
}
