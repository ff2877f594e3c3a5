import BerthManifest
import Testing

/// `${VAR}` substitution and dotenv files.
@Suite struct VariableTests {
    private let manifest = ManifestFile(path: "forwards.yaml", contents: """
        apiVersion: berth/v1
        kind: Forwards
        defaults:
          context: ${KUBE_CONTEXT:-staging}
        forwards:
          - name: db
            statefulset: ${DB:-postgres}
            ports:
              - local: ${PGPORT}
                remote: 5432
        """)

    private func load(env: [String] = [], environment: [String: String] = [:]) -> Result<Manifest, ManifestErrors> {
        let envFiles = env.enumerated().map { EnvFile(path: "\($0.offset).env", contents: $0.element) }
        return ManifestLoader.load(files: [manifest], envFiles: envFiles, environment: environment)
    }

    @Test func environmentSuppliesValuesAndDefaultsFillTheRest() throws {
        let spec = try #require(try load(environment: ["PGPORT": "15432"]).get().forwards.first)
        #expect(spec.context == "staging")
        #expect(spec.target == .statefulSet("postgres"))
        #expect(spec.ports == [PortMapping(local: 15432, remote: .number(5432))])
    }

    @Test func laterEnvFilesWinAndTheEnvironmentWinsOverAll() throws {
        let files = ["PGPORT=1\nKUBE_CONTEXT=from-first\nDB=first-db", "PGPORT=2\nKUBE_CONTEXT=from-second"]
        let fromFiles = try load(env: files).get().forwards[0]
        #expect(fromFiles.ports[0].local == 2)
        #expect(fromFiles.context == "from-second")
        #expect(fromFiles.target == .statefulSet("first-db"))
        let withEnvironment = try load(env: files, environment: ["PGPORT": "3"]).get().forwards[0]
        #expect(withEnvironment.ports[0].local == 3)
    }

    @Test func emptyValueTakesTheDefault() throws {
        let spec = try load(environment: ["PGPORT": "5432", "KUBE_CONTEXT": ""]).get().forwards[0]
        #expect(spec.context == "staging")
    }

    @Test func unsetVariableNamesTheVariableAndWhereItIsUsed() throws {
        let errors = try #require(load().failure).errors
        #expect(errors == [ManifestError(.variable, file: "forwards.yaml", line: 9, column: 16, path: "forwards[0].ports[0].local",
                                         message: "variable ${PGPORT} is not set and has no default; set it in the environment or an --env-file, or write ${PGPORT:-default}")])
    }

    @Test func substitutedTextIsTypedAndChecked() throws {
        let errors = try #require(load(environment: ["PGPORT": "not-a-port"]).failure).errors
        #expect(errors.map(\.message) == ["expected a local port number, found 'not-a-port'"])
        #expect(errors.first?.path == "forwards[0].ports[0].local")
    }

    @Test func dollarDollarIsALiteralDollar() throws {
        let file = ManifestFile(path: "f.yaml", contents: """
            apiVersion: berth/v1
            kind: Forwards
            forwards:
              - name: web
                context: team$$prod-${REGION:-eu}
                service: web
                ports: [80]
            """)
        #expect(try ManifestLoader.load(files: [file]).get().forwards[0].context == "team$prod-eu")
    }

    @Test func dotenvSyntax() throws {
        let env = EnvFile(path: "s.env", contents: """
            # comment
            export KUBE_CONTEXT = "prod \\"eu\\""   # trailing comment
            NOTE='pg#1 $literal'
            PGPORT=6543 # port
            \r
            """)
        let spec = try ManifestLoader.load(files: [manifest], envFiles: [env]).get().forwards[0]
        #expect(spec.context == "prod \"eu\"")
        #expect(spec.ports[0].local == 6543)
        let labelled = ManifestFile(path: "f.yaml", contents: """
            apiVersion: berth/v1
            kind: Forwards
            forwards:
              - name: web
                context: ${NOTE}
                service: web
                ports: [80]
            """)
        #expect(try ManifestLoader.load(files: [labelled], envFiles: [env]).get().forwards[0].context == "pg#1 $literal")
    }

    @Test func malformedEnvFileLinesAreAllReported() throws {
        let env = EnvFile(path: "bad.env", contents: "OK=1\nno equals sign\n1BAD=x\nQUOTED=\"open\n  TRAIL='x' y\n")
        let errors = try #require(ManifestLoader.load(files: [manifest], envFiles: [env], environment: ["PGPORT": "1"]).failure).errors
        #expect(errors.map(\.description) == [
            "bad.env:2:1: error: expected KEY=VALUE, found \"no equals sign\"",
            "bad.env:3:1: error: '1BAD' is not a valid variable name; use letters, digits and '_', not starting with a digit",
            "bad.env:4:8: error: missing closing \"",
            "bad.env:5:9: error: unexpected text after the closing '",
        ])
        #expect(errors.allSatisfy { $0.kind == .envFileSyntax })
    }

    /// The names a daemon reports to `berth diff`: references, not literal dollars or malformed ones.
    @Test func variableNamesAreTheReferencesNotTheLiterals() {
        let text = "a: ${ONE}\nb: ${TWO:-x}\nc: $${NOT}\nd: ${bad name}\ne: $$\nf: $BARE\ng: ${ONE}"
        #expect(ManifestLoader.variableNames(in: text) == ["ONE", "TWO"])
    }
}
