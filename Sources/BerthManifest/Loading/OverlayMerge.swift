/// Merges parsed files in order: forwards by name (a later file overrides the fields it sets and
/// may add forwards), defaults field by field.
enum OverlayMerge {
    struct Result {
        var defaults: RawDefaults
        /// In order of first appearance across the files.
        var forwards: [RawForward]
        /// Where each forward was first declared.
        var origins: [String: SourceLocation]
    }

    static func merge(_ documents: [RawDocument]) -> Result {
        var defaults = RawDefaults()
        var forwards: [RawForward] = []
        var indexByName: [String: Int] = [:]
        for document in documents {
            defaults = defaults.overlaid(by: document.defaults)
            for forward in document.forwards {
                if let index = indexByName[forward.name.value] {
                    forwards[index] = forwards[index].overlaid(by: forward)
                } else {
                    indexByName[forward.name.value] = forwards.count
                    forwards.append(forward)
                }
            }
        }
        let origins = Dictionary(uniqueKeysWithValues: forwards.map { ($0.name.value, $0.name.location) })
        return Result(defaults: defaults, forwards: forwards, origins: origins)
    }
}
