/// Loads manifests: YAML text and variables in, merged and validated `Manifest` or every error out.
///
/// The loader is pure (it neither reads files nor the process environment), so the daemon can
/// re-run it on every file change and keep the last good manifest when a new one is invalid.
public enum ManifestLoader {
    /// Parses, substitutes, merges and validates.
    ///
    /// - Parameters:
    ///   - files: the manifest and its overlays, in order; a later file overrides an earlier one
    ///     forward by forward (by name) and may add forwards.
    ///   - envFiles: dotenv files for `${VAR}`; a later file wins over an earlier one.
    ///   - environment: variables that win over every env file, usually the process environment.
    ///   - context: a kubeconfig context the user typed (`berth up --context`): it wins over `defaults.context`
    ///     for every forward that names no context of its own; `Manifest.defaults.context` keeps the files' value.
    /// - Returns: the manifest, or all errors sorted by file order, line and column.
    public static func load(
        files: [ManifestFile],
        envFiles: [EnvFile] = [],
        environment: [String: String] = [:],
        context: String? = nil
    ) -> Result<Manifest, ManifestErrors> {
        var errors: [ManifestError] = []
        var variables: [String: String] = [:]
        for envFile in envFiles {
            switch DotEnv.parse(envFile) {
            case .success(let values): variables.merge(values) { _, later in later }
            case .failure(let problems): errors += problems.errors
            }
        }
        variables.merge(environment) { _, process in process }

        var documents: [RawDocument] = []
        for file in files {
            let (document, problems) = DocumentParser.parse(file, variables: variables)
            errors += problems
            if let document { documents.append(document) }
        }
        // A file that is not a manifest at all (broken YAML, empty) leaves the others partial: resolving them
        // alone would blame an overlay for what the broken base would have given it ("no target").
        let manifest: Manifest?
        if documents.count == files.count {
            let (resolved, problems) = SpecResolver.resolve(OverlayMerge.merge(documents), context: context)
            errors += problems
            manifest = resolved
        } else {
            manifest = nil
        }
        guard errors.isEmpty, let manifest else {
            return .failure(ManifestErrors(sorted(errors, fileOrder: envFiles.map(\.path) + files.map(\.path))))
        }
        return .success(manifest)
    }

    private static func sorted(_ errors: [ManifestError], fileOrder: [String]) -> [ManifestError] {
        let rank = Dictionary(fileOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return errors.enumerated().sorted { a, b in
            let left = (rank[a.element.file] ?? .max, a.element.line, a.element.column, a.offset)
            let right = (rank[b.element.file] ?? .max, b.element.line, b.element.column, b.offset)
            return left < right
        }.map(\.element)
    }
}
