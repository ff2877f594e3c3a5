import Foundation
import Testing

/// examples/berth.service and examples/com.berth.up.plist: read by the tools that load them, and running
/// `berth up` on a manifest with restart on failure only.
@Suite struct ServiceFilesTests {
    private let examples = FileManager.default.currentDirectoryPath + "/examples"

    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test func systemdUnitRunsBerthUpAndRestartsOnFailureOnly() throws {
        let unit = try String(contentsOfFile: examples + "/berth.service", encoding: .utf8)
        let lines = unit.split(separator: "\n").map(String.init)
        #expect(lines.contains("ExecStart=%h/.local/bin/berth up -f forwards.yaml"))
        #expect(lines.contains("Restart=on-failure"))
        #expect(lines.contains("WantedBy=default.target"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "systemd-analyze is not installed (.ci/run installs it)"))
    func systemdAcceptsTheUnit() throws {
        let unit = try String(contentsOfFile: examples + "/berth.service", encoding: .utf8)
        // systemd-analyze checks that the program exists: point the copy at the built berth and a real directory.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-unit-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let local = unit.replacingOccurrences(of: "%h/.local/bin/berth", with: ProcessWorld.products + "/berth")
            .replacingOccurrences(of: "%h/src/shop", with: directory)
        try Data(local.utf8).write(to: URL(fileURLWithPath: directory + "/berth.service"))
        let verify = try run(["/usr/bin/systemd-analyze", "verify", directory + "/berth.service"])
        #expect(verify.status == 0 && verify.output.isEmpty, "systemd-analyze verify: \(verify.output)")
    }

    @Test func launchdPlistParsesWithTheSameMeaning() throws {
        let script = """
            import json, plistlib, sys
            with open(sys.argv[1], "rb") as f:
                print(json.dumps(plistlib.load(f)))
            """
        let parsed = try run(["/usr/bin/python3", "-c", script, examples + "/com.berth.up.plist"])
        #expect(parsed.status == 0, "plistlib: \(parsed.output)")
        let plist = try #require(try JSONSerialization.jsonObject(with: Data(parsed.output.utf8)) as? [String: Any])
        #expect(plist["Label"] as? String == "com.berth.up")
        #expect((plist["ProgramArguments"] as? [String])?.dropFirst() == ["up", "-f", "forwards.yaml"])
        #expect((plist["KeepAlive"] as? [String: Bool])?["SuccessfulExit"] == false)
        #expect(plist["RunAtLoad"] as? Bool == true)
    }
}
