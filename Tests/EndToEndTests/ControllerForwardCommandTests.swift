import BerthTestSupport
import Foundation
import Testing

/// `berth forward` as a real process against the in-process FakeKube: prints where it listens, carries
/// traffic, and exits 0 on SIGINT.
@Suite(.serialized) struct ControllerForwardCommandTests {
    @Test func forwardPrintsTheBoundPortCarriesTrafficAndStopsOnSIGINT() async throws {
        try await Harness.with { harness in
            let process = Process()
            process.executableURL = try BerthExecutable.url()
            process.arguments = ["forward", "--kubeconfig", harness.kubeconfig, "-n", "default", "svc/web", ":http"]
            process.environment = ["HOME": harness.directory.path]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            let lines = chunks(of: output.fileHandleForReading).map { String(decoding: $0, as: UTF8.self) }
            let exited: AsyncStream<Int32> = AsyncStream { continuation in
                process.terminationHandler = { continuation.yield($0.terminationStatus); continuation.finish() }
            }
            try process.run()

            var printed = ""
            for await chunk in lines {
                printed += chunk
                if printed.contains("\n") { break }
            }
            let line = try #require(printed.split(separator: "\n").first.map(String.init))
            let match = try #require(line.wholeMatch(of: /Forwarding from 127\.0\.0\.1:(\d+) -> http/), "unexpected output: \(printed)")
            let port = try #require(Int(match.1))
            #expect(try await TestHTTP.get(port: port).contains("web-"))

            process.interrupt()
            var status: Int32?
            for await code in exited { status = code }
            #expect(status == 0)
        }
    }
}

/// Finds the `berth` executable that `swift build` put next to the test bundle.
enum BerthExecutable {
    struct NotFound: Error, CustomStringConvertible {
        var description: String
    }

    static func url() throws -> URL {
        if let explicit = ProcessInfo.processInfo.environment["BERTH_BINARY"] { return URL(fileURLWithPath: explicit) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("berth")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            directory.deleteLastPathComponent()
        }
        throw NotFound(description: "no berth executable next to the tests; build it with swift build")
    }
}
