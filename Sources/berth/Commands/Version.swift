import ArgumentParser

/// `berth version`: prints the version.
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print berth's version.",
        discussion: """
            Examples:
              berth version
              berth --version
            """
    )

    func run() {
        print("berth \(BerthVersion.current)")
    }
}
