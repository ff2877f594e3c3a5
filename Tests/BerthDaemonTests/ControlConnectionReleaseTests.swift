import BerthTestSupport
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import BerthDaemon

private struct Question: Codable, Sendable {
    var text: String
}

private struct Reply: Codable, Sendable, Equatable {
    var text: String
}

/// Weak references to the connections a control server accepted.
private final class AcceptedConnections: Sendable {
    private struct Weak: @unchecked Sendable {
        // Only read under the lock; a weak reference to a channel, which is itself Sendable.
        weak var channel: (any Channel)?
    }

    private let connections = Mutex<[Weak]>([])

    func add(_ channel: any Channel) {
        connections.withLock { $0.append(Weak(channel: channel)) }
    }

    var count: Int { connections.withLock { $0.count } }
    var alive: Int { connections.withLock { $0.filter { $0.channel != nil }.count } }
}

@Suite(.timeLimit(.minutes(1)))
struct ControlConnectionReleaseTests {
    /// `berth status --watch` asks the daemon on a new connection at every status change: a connection kept after
    /// it closed (the listener held every one until the daemon stopped) grew the daemon's memory with every
    /// disruption, a few KB a connection.
    @Test func aServedConnectionIsFreedOnceItClosesWhileTheServerRuns() async throws {
        try await withTemporaryDirectory { dir in
            let socket = dir + "/run/berth/test.sock"
            let accepted = AcceptedConnections()
            let server = try await ControlServer<Question, Reply>.bind(
                path: socket, logger: quietLogger, accepted: { accepted.add($0) })
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await server.serve { question in Reply(text: question.text) }
                }
                let client = ControlClient(path: socket)
                for index in 0..<10 {
                    let reply: Reply = try await client.call(Question(text: "status \(index)"))
                    #expect(reply == Reply(text: "status \(index)"))
                }
                #expect(accepted.count == 10, "one connection per call")
                try await eventually("every closed connection freed") { accepted.alive == 0 }
                group.cancelAll()
            }
        }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct UnservedConnectionsTests {
    /// A connection still queued when serving stops is closed with the listener; one a task took is that task's.
    @Test func theListenerClosingClosesOnlyWhatNoTaskTookAndWhatComesLater() async throws {
        let server = try await TestServer.start(.echo(greeting: nil))
        func connect() async throws -> any Channel {
            try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(to: server.address).get()
        }
        let (taken, queued, late) = (try await connect(), try await connect(), try await connect())
        let unserved = UnservedConnections()
        unserved.insert(taken)
        unserved.insert(queued)
        unserved.remove(taken)
        unserved.closeAll()
        try await queued.closeFuture.get()
        #expect(taken.isActive, "a connection a task took is left to it")
        unserved.insert(late)
        try await late.closeFuture.get()
        try await taken.close()
        await server.stop()
    }
}
