import BerthTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `berth up` on a terminal: the live table, redrawn under the URLs of what `--ui` and `--metrics` serve.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct UpLiveTableTests {
    @Test func theLiveTableShowsTheMetricsURLBesideTheDashboards() async throws {
        try await ProcessWorld.with(scenario: ProcessEndToEndTests.scenario) { world in
            let manifest = try world.writeWebManifest()
            let terminal = try Terminal()
            let up = try Spawned.start(
                [ProcessWorld.products + "/berth", "up", "-f", manifest, "--metrics", "127.0.0.1:0", "--ui", "127.0.0.1:0"],
                environment: world.environment, log: world.directory + "/up.log", stdoutFile: terminal.path)
            defer {
                up.stop()
                terminal.close()
            }
            try await world.awaitStatus(manifest, "web Ready") { $0.phase("web") == "Ready" }
            let status = try #require(try await world.status(manifest).1)
            let metrics = try #require(status["metrics"] as? String)
            // The table is redrawn every second: a screen drawn after both servers listen has both lines.
            try await eventually("the live screen to show the dashboard's URL", within: 10) {
                terminal.screen.contains("dashboard: http://127.0.0.1:")
            }
            try await eventually("the live screen to show the metrics URL \(metrics)", within: 5) {
                terminal.screen.contains("metrics: \(metrics)")
            }
            #expect(terminal.screen.contains("web"), "the table is there too: \(terminal.screen)")
        }
    }
}

/// A pseudo-terminal whose slave side a child process gets as its stdout, so that berth takes it for a
/// terminal; a thread of its own reads the master side (a full terminal would block the child's writes).
private final class Terminal: Sendable {
    /// The slave's path, for the child to open.
    let path: String
    /// The slave, held open here too so that the master reads wait for the child instead of failing before
    /// it opens its side; closed by `close()`, after which the reads end.
    private let slave: Int32
    private let output = Shared<[UInt8]>([])

    /// What the child has written so far.
    var screen: String { String(decoding: output.withLock { $0 }, as: UTF8.self) }

    init() throws {
        let master = PTY.openMaster(O_RDWR | O_NOCTTY)
        guard master >= 0 else { throw ProcessWorld.Failure(description: "cannot open a pseudo-terminal: errno \(errno)") }
        guard PTY.grant(master) == 0, PTY.unlock(master) == 0, let name = PTY.slaveName(master) else {
            Glibc.close(master)
            throw ProcessWorld.Failure(description: "cannot set up a pseudo-terminal: errno \(errno)")
        }
        path = String(cString: name)
        slave = open(path, O_RDWR | O_NOCTTY)
        guard slave >= 0 else {
            Glibc.close(master)
            throw ProcessWorld.Failure(description: "cannot open \(path): errno \(errno)")
        }
        let output = self.output
        // Ends when no process holds the slave any more (read fails with EIO), and closes the master.
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(master, &buffer, buffer.count)
                if count <= 0 { break }
                output.withLock { $0 += buffer[0..<count] }
            }
            Glibc.close(master)
        }
    }

    /// Lets the reads end once the child has closed its side too.
    func close() {
        Glibc.close(slave)
    }
}

/// The pseudo-terminal calls of the C library, which its Swift module leaves out (they need _XOPEN_SOURCE).
private enum PTY {
    private static func function<T>(_ name: String, as type: T.Type) -> T {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else { fatalError("the C library has no \(name)") }
        return unsafeBitCast(symbol, to: type)
    }

    static let openMaster = function("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
    static let grant = function("grantpt", as: (@convention(c) (Int32) -> Int32).self)
    static let unlock = function("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
    static let slaveName = function("ptsname", as: (@convention(c) (Int32) -> UnsafeMutablePointer<CChar>?).self)
}
