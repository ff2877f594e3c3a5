import Foundation
import Testing

/// `berth validate` as a process: every error of a forward, YAML syntax errors alone and at a line the file
/// has, tabs named as tabs, output that ends with its newline.
@Suite struct ValidateErrorsCLITests {
    @Test func aForwardWithABadNameStillHasItsOtherFieldsChecked() async throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write("forwards.yaml", """
            apiVersion: berth/v1
            kind: Forwards
            forwards:
              - name: Web_1
                service: web
                hold: 5
                ports: ["8080:80"]

            """)
        let run = try await BerthBinary.run(["validate"], in: directory.url)
        #expect(run.status == 1)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(run.stderr)")
        #expect(lines.first?.hasPrefix("forwards.yaml:4:11: error: 'Web_1' is not a valid forward name") == true, "\(run.stderr)")
        #expect(lines.last?.hasPrefix("forwards.yaml:6:11: error: ") == true, "the bad hold too: \(run.stderr)")
        #expect(run.stderr.hasSuffix("\n"))
    }

    @Test func validTextOutputEndsWithItsNewline() async throws {
        let run = try await BerthBinary.run(["validate", "examples/forwards.yaml"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasSuffix("\n") && !run.stdout.hasSuffix("\n\n"), "\(run.stdout)")
    }

    @Test func aSyntaxErrorInTheBaseIsReportedAloneAtALineTheFileHas() async throws {
        let directory = try TemporaryDirectory()
        // Six lines, the flow sequence never closed: libyaml notices at the end of the stream.
        _ = try directory.write("forwards.yaml", "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: web\n    service: web\n    ports: [8080\n")
        _ = try directory.write("forwards.local.yaml", "apiVersion: berth/v1\nkind: Forwards\nforwards:\n  - name: web\n    namespace: dev\n")
        let run = try await BerthBinary.run(["validate", "forwards.yaml", "forwards.local.yaml"], in: directory.url)
        #expect(run.status == 1)
        #expect(run.stderr == "forwards.yaml:6:12: error: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence\n", "\(run.stderr)")
    }

    @Test(arguments: [
        ("  - name: web\n\tservice: web\n    ports: [80]\n", 5),
        ("  - name: web\n    service: web\n\t\n    ports: [80]\n", 6),
        ("- name: web\n  service: web\n  ports:\n\t- 80\n", 7),
    ])
    func aTabInTheIndentationSaysToUseSpaces(forwards: String, line: Int) async throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write("forwards.yaml", "apiVersion: berth/v1\nkind: Forwards\nforwards:\n" + forwards)
        let run = try await BerthBinary.run(["validate"], in: directory.url)
        #expect(run.status == 1)
        #expect(run.stderr == "forwards.yaml:\(line):1: error: invalid YAML: a tab in the indentation; indent with spaces\n", "\(run.stderr)")
    }
}
