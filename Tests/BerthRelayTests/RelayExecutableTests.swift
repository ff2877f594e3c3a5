import BerthTestSupport
import Foundation
import Testing

/// The `berth-relay` program: bad arguments are named on stderr with exit status 2; `--help` prints the usage.
@Suite struct RelayExecutableTests {
    static func run(_ arguments: [String]) throws -> ProgramOutcome {
        try runProgram(try executable().path, arguments)
    }

    /// `berth-relay` as built next to the tests.
    static func executable() throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("berth-relay")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "berth-relay (build it with swift build)"])
    }

    @Test func badArgumentsExit2NamingTheArgument() throws {
        let outcome = try Self.run(["--tcp", "10000=db:99999"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("berth-relay: error: --tcp 10000=db:99999: target port must be a number from 1 to 65535\nusage: berth-relay"))
        #expect(outcome.stdout.isEmpty)
        #expect(try Self.run([]).status == 2)
    }

    @Test func helpPrintsTheUsage() throws {
        let outcome = try Self.run(["--help"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("--udp LPORT=HOST:PORT"))
    }
}
