import ArgumentParser
import BerthImport
import BerthManifest
import Foundation

/// `berth import`: another tool's port-forwards as a berth manifest on stdout (docs/import.md).
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Print a manifest made from kubectl commands, a kftray export or annotated services.",
        discussion: """
            The manifest goes to stdout (redirect it to a file of your choosing; berth never writes one) with a \
            comment above each forward saying where it came from. Whatever berth cannot express is listed on \
            stderr, one line each, never dropped silently.

            Exit codes: 0 a manifest was printed, 1 nothing could be imported, 2 usage error or unreadable input.
            """,
        subcommands: [KubectlImportCommand.self, KftrayImportCommand.self, AnnotationsImportCommand.self]
    )

    /// Prints the manifest and the notes; exits 1 when no forward came out of `sources` (`what`).
    static func emit(_ result: ImportResult, header: [String]) throws {
        let (manifest, disabled) = ManifestWriter(header: header).render(result.forwards)
        FileHandle.standardOutput.write(Data(manifest.utf8))
        var notes = result.notes + disabled
        // A manifest berth itself would refuse is a bug in the import, or a source with names Kubernetes refuses.
        if case .failure(let errors) = ManifestLoader.load(files: [ManifestFile(path: "(imported manifest)", contents: manifest)]) {
            notes += errors.errors.map { "the printed manifest does not validate: \($0)" }
        }
        for note in notes { FileHandle.standardError.write(Data(("berth import: " + note + "\n").utf8)) }
        if result.forwards.isEmpty { throw ExitStatus.invalid.exitCode }
    }
}

/// `berth import kubectl`.
struct KubectlImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubectl",
        abstract: "Import kubectl port-forward command lines, or shell scripts full of them.",
        discussion: """
            Each argument is a command line, or the path of a file (a shell script, a Makefile recipe, notes) in \
            which every kubectl port-forward command is found; - reads standard input. --context, -n, --address \
            and the TYPE/NAME target (svc, pod, deploy, sts; a bare name is a pod) are kept.

            Examples:
              berth import kubectl 'kubectl port-forward -n shop svc/web 8080:80' > forwards.yaml
              berth import kubectl scripts/tunnels.sh
            """
    )

    @Argument(help: ArgumentHelp("A kubectl port-forward command line, a file of them, or - for stdin.", valueName: "command-or-file"))
    var inputs: [String]

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one kubectl port-forward command line or file") }
    }

    func run() throws {
        var result = ImportResult()
        var sources: [String] = []
        for (index, input) in inputs.enumerated() {
            if input == "-" {
                let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                result.append(KubectlImport.parse(text, source: "stdin"))
                sources.append("stdin")
            } else if !input.contains(" "), FileManager.default.fileExists(atPath: input) {
                guard let text = try? String(contentsOfFile: input, encoding: .utf8) else {
                    FileHandle.standardError.write(Data("\(input): error: cannot read the file\n".utf8))
                    throw ExitStatus.usage.exitCode
                }
                result.append(KubectlImport.parse(text, source: input))
                sources.append(input)
            } else {
                result.append(KubectlImport.parse(input, source: "argument \(index + 1)"))
                sources.append("argument \(index + 1)")
            }
        }
        try ImportCommand.emit(result, header: ["Imported by `berth import kubectl` from \(sources.joined(separator: ", ")).",
                                                "Check it with `berth validate`, then run `berth up`."])
    }
}

/// `berth import kftray`.
struct KftrayImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kftray",
        abstract: "Import kftray's exported configs (JSON).",
        discussion: """
            Service and pod (label selector) configs become forwards, with their contexts, namespaces, ports \
            and local addresses. Proxy and expose workloads, UDP and /etc/hosts names are listed on stderr.

            Example:
              berth import kftray ~/Downloads/configs.json > forwards.yaml
            """
    )

    @Argument(help: ArgumentHelp("The JSON file kftray exported.", valueName: "file"))
    var file: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("\(file): error: cannot read the file\n".utf8))
            throw ExitStatus.usage.exitCode
        }
        let result: ImportResult
        do {
            result = try KftrayImport.parse(data, source: file)
        } catch let error as KftrayImport.FormatError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitStatus.usage.exitCode
        }
        try ImportCommand.emit(result, header: ["Imported by `berth import kftray` from \(file).",
                                                "Check it with `berth validate`, then run `berth up`."])
    }
}

/// `berth import annotations`.
struct AnnotationsImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotations",
        abstract: "Import the services annotated for kftray (kftray.app/configs) or k9s (k9scli.io/port-forwards).",
        discussion: """
            Lists the services of the namespace (-n, default the context's) or of every namespace (-A) and turns \
            kftray.app/enabled + kftray.app/configs, k9scli.io/auto-port-forwards and k9scli.io/port-forwards \
            annotations into forwards. Only reads the cluster (list services).

            Examples:
              berth import annotations -A > forwards.yaml
              berth import annotations --context staging -n shop
            """
    )

    @Option(help: ArgumentHelp("kubeconfig context (default: current-context); written into every forward.", valueName: "name"))
    var context: String?

    @Option(help: ArgumentHelp("kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).", valueName: "path"))
    var kubeconfig: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Namespace to list (default: the context's).", valueName: "namespace"))
    var namespace: String?

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "List the services of every namespace.")
    var allNamespaces = false

    func validate() throws {
        if allNamespaces, namespace != nil { throw ValidationError("-n and -A exclude each other") }
    }

    func run() async throws {
        let result: ImportResult
        do {
            result = try await AnnotationImport.fetch(
                kubeconfig: kubeconfig, context: context, namespace: namespace, allNamespaces: allNamespaces)
        } catch {
            FileHandle.standardError.write(Data("error: cannot list services: \(error)\n".utf8))
            throw ExitStatus.usage.exitCode
        }
        let scope = allNamespaces ? "every namespace" : "namespace \(namespace ?? "of the context")"
        try ImportCommand.emit(result, header: [
            "Imported by `berth import annotations` from the services of \(scope)\(context.map { " in context \($0)" } ?? "").",
            "Check it with `berth validate`, then run `berth up`.",
        ])
    }
}
