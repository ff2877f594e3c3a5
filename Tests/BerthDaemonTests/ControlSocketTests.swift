import BerthDaemon
import Foundation
import NIOCore
import NIOPosix
import Testing
#if canImport(Glibc)
import Glibc
#endif

private struct Ask: Codable, Sendable {
    var verb: String
    var name: String
}

private struct Answer: Codable, Sendable, Equatable {
    var text: String
}

@Suite(.timeLimit(.minutes(1)))
struct ControlSocketTests {
    /// Binds a server in a not-yet-existing private directory under `dir` and serves echo answers during `body`.
    private func serving(in dir: String, _ body: (String) async throws -> Void) async throws {
        let socket = dir + "/run/berth/test.sock"
        let server = try await ControlServer<Ask, Answer>.bind(path: socket, logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.serve { ask in Answer(text: "\(ask.verb) \(ask.name)") }
            }
            try await body(socket)
            group.cancelAll()
        }
    }

    @Test func theSocketIsPrivate() async throws {
        try await withTemporaryDirectory { dir in
            try await serving(in: dir) { socket in
                let socketMode = try #require(fileMode(socket))
                #expect(socketMode.type == S_IFSOCK)
                #expect(socketMode.permissions == 0o600)
                #expect(fileMode(dir + "/run/berth")?.permissions == 0o700)
            }
        }
    }

    @Test func requestsAreAnswered() async throws {
        try await withTemporaryDirectory { dir in
            try await serving(in: dir) { socket in
                let client = ControlClient(path: socket)
                let answer: Answer = try await client.call(Ask(verb: "status", name: "db"))
                #expect(answer == Answer(text: "status db"))
                // Several at once, each on its own connection.
                try await withThrowingTaskGroup(of: Answer.self) { group in
                    for index in 0..<8 {
                        group.addTask { try await client.call(Ask(verb: "probe", name: "f\(index)")) }
                    }
                    var texts: Set<String> = []
                    for try await answer in group { texts.insert(answer.text) }
                    #expect(texts == Set((0..<8).map { "probe f\($0)" }))
                }
            }
        }
    }

    @Test func aMalformedRequestGetsAnErrorAndTheServerKeepsServing() async throws {
        try await withTemporaryDirectory { dir in
            try await serving(in: dir) { socket in
                let client = ControlClient(path: socket)
                await #expect(throws: BerthDaemonError.self) {
                    let _: Answer = try await client.call(["unexpected": 1])
                }
                do {
                    let _: Answer = try await client.call(["unexpected": 1])
                } catch let error as BerthDaemonError {
                    guard case .controlRequestRejected(_, let message) = error else {
                        Issue.record("expected a rejection, got \(error)")
                        return
                    }
                    #expect(message.contains("invalid request"))
                }
                let answer: Answer = try await client.call(Ask(verb: "still", name: "here"))
                #expect(answer.text == "still here")
            }
        }
    }

    @Test func aStaleSocketFileIsReplaced() async throws {
        try await withTemporaryDirectory { dir in
            let socket = dir + "/run/berth/test.sock"
            try FileManager.default.createDirectory(atPath: dir + "/run/berth", withIntermediateDirectories: true)
            try leaveStaleSocket(at: socket)
            #expect(fileMode(socket)?.type == S_IFSOCK)
            try await serving(in: dir) { socket in
                let answer: Answer = try await ControlClient(path: socket).call(Ask(verb: "hello", name: "again"))
                #expect(answer.text == "hello again")
            }
        }
    }

    @Test func aLiveSocketIsNotTakenOver() async throws {
        try await withTemporaryDirectory { dir in
            try await serving(in: dir) { socket in
                await #expect(throws: BerthDaemonError.controlSocketInUse(path: socket)) {
                    _ = try await ControlServer<Ask, Answer>.bind(path: socket, logger: quietLogger)
                }
            }
        }
    }

    @Test func stoppingTheServerRemovesTheSocketAndClientsSayNoDaemonRuns() async throws {
        try await withTemporaryDirectory { dir in
            var path = ""
            try await serving(in: dir) { socket in path = socket }
            #expect(!FileManager.default.fileExists(atPath: path))
            await #expect(throws: BerthDaemonError.daemonNotRunning(socketPath: path)) {
                let _: Answer = try await ControlClient(path: path).call(Ask(verb: "status", name: "all"))
            }
        }
    }

    /// A daemon told to stop may close its socket before its reply is flushed: the client then finds nothing
    /// listening, which for `down` means the daemon did as asked, not that none was running.
    @Test func downAnsweredByTheDaemonGoingAwayIsASuccess() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/stopping.sock"
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { child in
                    child.eventLoop.makeCompletedFuture {
                        try child.pipeline.syncOperations.addHandler(StopsOnFirstRequest())
                    }
                }
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            try await HostClient(path: path).down()
            try await server.closeFuture.get()
            await #expect(throws: BerthDaemonError.daemonNotRunning(socketPath: path)) {
                try await HostClient(path: path).down()
            }
        }
    }
}

@Suite struct RuntimeDirectoryTests {
    @Test func prefersXDGRuntimeDirThenTheUsersStateDirectory() {
        #expect(RuntimeDirectory.standard(environment: ["XDG_RUNTIME_DIR": "/run/user/1000", "HOME": "/home/u"]).path == "/run/user/1000/berth")
        #expect(RuntimeDirectory.standard(environment: ["HOME": "/home/u"]).path == "/home/u/.local/state/berth")
    }

    @Test func prepareTightensALooseDirectory() async throws {
        try await withTemporaryDirectory { dir in
            let runtime = RuntimeDirectory(path: dir + "/berth")
            try FileManager.default.createDirectory(atPath: runtime.path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
            try runtime.prepare()
            #expect(fileMode(runtime.path)?.permissions == 0o700)
            let set = ManifestSet(paths: ["/a/forwards.yaml"])
            #expect(runtime.controlSocketPath(for: set) == runtime.path + "/" + set.id + ".sock")
            #expect(runtime.lockFilePath(for: set) != runtime.stateFilePath(for: set))
        }
    }
}

/// What a daemon does on `down` at its worst: it reads the request, stops listening, and drops the connection
/// without a reply.
private final class StopsOnFirstRequest: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = context.channel
        child.parent?.close().whenComplete { _ in child.close(promise: nil) }
    }
}
