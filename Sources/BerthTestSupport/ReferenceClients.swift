import Foundation
import Testing

/// The real clients FakeKube and berth are proven against: `kubectl` and the reference versions
/// `kubectl.1.27` … `kubectl.1.33` installed beside it, and python3 with the `kubernetes` package.
///
/// Found on `PATH` and in the directory of the real kubectl (its symlinks resolved), which is where the
/// reference versions are installed; never at a fixed path.
public enum ReferenceClients {
    /// `PATH`, then the directory the kubectl on `PATH` really lives in.
    public static let searchPath: [String] = {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let kubectl = path.map { "\($0)/kubectl" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        let real = kubectl.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().deletingLastPathComponent().path }
        return path + (real.map { [$0] } ?? [])
    }()

    /// The first executable `name` in ``searchPath``.
    public static func find(_ name: String) -> String? {
        searchPath.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The first executable `name` in ``searchPath``, or an error that names it.
    public static func require(_ name: String) throws -> String {
        guard let path = find(name) else { throw MissingClient(description: "\(name) is not on PATH or beside kubectl") }
        return path
    }

    /// `kubectl.VERSION` (1.27 … 1.33), or nil when it is not installed.
    public static func kubectl(_ version: String) -> String? {
        find("kubectl.\(version)")
    }

    /// The kubectl on `PATH`, for tests that only need some kubectl (FakeKube's `--raw` control endpoints).
    public static var kubectl: String? { find("kubectl") }

    /// python3, when it can import the `kubernetes` package; nil otherwise.
    public static let python: String? = {
        guard let python = find("python3"), runPython(python, "import kubernetes") != nil else { return nil }
        return python
    }()

    /// The python3 interpreter itself (not a version manager's shim, which needs the test's own HOME), when it
    /// can import `module`; nil otherwise.
    public static func pythonInterpreter(importing module: String) -> String? {
        guard let python = find("python3"),
              let path = runPython(python, "import sys, \(module); print(sys.executable)")?.trimmingCharacters(in: .whitespacesAndNewlines),
              !path.isEmpty
        else { return nil }
        return path
    }

    /// What `python -c code` printed, or nil when it failed.
    private static func runPython(_ python: String, _ code: String) -> String? {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", code]
        let output = Pipe()
        check.standardOutput = output
        check.standardError = FileHandle.nullDevice
        guard (try? check.run()) != nil else { return nil }
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        check.waitUntilExit()
        return check.terminationStatus == 0 ? String(decoding: printed, as: UTF8.self) : nil
    }
}

/// A reference client a test needs is not installed.
public struct MissingClient: Error, CustomStringConvertible {
    /// Which client is missing.
    public let description: String
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when every `kubectl.VERSION` it uses is installed; otherwise it is reported as
    /// skipped with the reason (`.ci/run` provides them, so nothing skips in CI).
    public static func requiresKubectl(_ versions: String...) -> Self {
        let missing = versions.filter { ReferenceClients.kubectl($0) == nil }
        return .enabled(
            if: missing.isEmpty,
            "needs \(missing.map { "kubectl.\($0)" }.joined(separator: ", ")) beside the kubectl on PATH")
    }

    /// Runs the test only when some kubectl is on `PATH`.
    public static var requiresAnyKubectl: Self {
        .enabled(if: ReferenceClients.kubectl != nil, "needs kubectl on PATH")
    }

    /// Runs the test only when python3 can import the `kubernetes` package.
    public static var requiresPythonClient: Self {
        .enabled(if: ReferenceClients.python != nil, "needs python3 with the kubernetes package (pip install kubernetes)")
    }
}
