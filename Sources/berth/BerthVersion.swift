/// berth's release version, printed by `berth version` and `berth --version`.
enum BerthVersion {
    static let current = "0.1.0"
}
