import BerthTestSupport
import Foundation
import Testing

/// `berth status --watch` and `berth status -o yaml` against a real `berth up` process.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct StatusOutputEndToEndTests {
    typealias Scenario = ProcessEndToEndTests

    @Test func watchPrintsAgainWhenAForwardChangesPhaseAndEndsWithTheDaemon() async throws {
        try await ThreeForwards.with { world, berth in
            let manifest = berth.manifest
            let watch = Process()
            watch.executableURL = URL(fileURLWithPath: ProcessWorld.products + "/berth")
            watch.arguments = ["status", "--watch", "-f", manifest]
            watch.environment = world.environment
            let output = Pipe()
            watch.standardOutput = output
            watch.standardError = FileHandle.nullDevice
            let exited: AsyncStream<Int32> = AsyncStream { continuation in
                watch.terminationHandler = { continuation.yield($0.terminationStatus); continuation.finish() }
            }
            try watch.run()
            defer { if watch.isRunning { watch.terminate() } }
            var printed = ""
            var reader = chunks(of: output.fileHandleForReading).makeAsyncIterator()
            func read(until condition: (String) -> Bool) async -> Bool {
                while !condition(printed) {
                    guard let chunk = await reader.next() else { return false }
                    printed += String(decoding: chunk, as: UTF8.self)
                }
                return true
            }
            #expect(await read { $0.contains("api") && $0.contains("Ready") }, "the first table: \(printed)")
            #expect(!printed.contains("Disabled"))

            // api turns Disabled: the watch prints a new table without being asked.
            _ = try world.write("forwards.yaml", Scenario.manifest + "\n    enabled: false\n")
            #expect(await read { $0.contains("Disabled") }, "an update after the phase change: \(printed)")
            let tables = printed.components(separatedBy: "NAME").count - 1
            #expect(tables >= 2, "one table per change: \(printed)")

            #expect(try await berth.down(world), "log:\n\(berth.up.log())")
            var status: Int32?
            for await code in exited { status = code }
            #expect(status == 3, "the watch ends with the daemon: no daemon runs, exit 3")
        }
    }

    @Test func yamlParsesAndCarriesTheSameFieldsAsJSON() async throws {
        try await ThreeForwards.with { world, berth in
            let manifest = berth.manifest
            let json = berth.ready
            let yaml = try await world.berth(["status", "-f", manifest, "-o", "yaml"])
            #expect(yaml.status == 0)
            // A YAML parser outside berth's own (PyYAML) reads it back as JSON.
            let script = "import sys, json, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout, default=str)"
            let yamlPath = try world.write("status.yaml", yaml.stdout)
            let converted = try await world.run(["/usr/bin/python3", "-c", script, yamlPath])
            guard converted.status == 0 else {
                if converted.stderr.contains("No module named") {
                    print("skipped the YAML parse: PyYAML is not installed (\(converted.stderr))")
                    return
                }
                Issue.record("the YAML does not parse: \(converted.stderr)\n\(yaml.stdout)")
                return
            }
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(converted.stdout.utf8)) as? [String: Any])
            #expect(Set(parsed.keys) == Set(json.keys), "top-level fields: yaml \(parsed.keys.sorted()) json \(json.keys.sorted())")
            for name in Scenario.names {
                let fromYAML = try #require(parsed.forward(name), "forward \(name) in the YAML")
                let fromJSON = try #require(json.forward(name))
                #expect(Set(fromYAML.keys) == Set(fromJSON.keys), "fields of \(name)")
                #expect(fromYAML["phase"] as? String == "Ready")
                #expect(parsed.localPort(name) == json.localPort(name) && parsed.pod(name) == json.pod(name))
            }
            #expect(try await berth.down(world), "log:\n\(berth.up.log())")
        }
    }
}
