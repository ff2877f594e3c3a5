#if os(Linux)
/// Which inotify watch descriptor stands for what, and which watched files an event concerns.
struct WatchTable: Sendable {
    enum Target: Sendable, Equatable {
        case directory(String)
        case file(String)
    }

    /// Every watched file, as an absolute path.
    let files: Set<String>
    /// For each watched directory, the names of the watched files in it.
    let namesByDirectory: [String: Set<String>]
    private(set) var targets: [Int32: Target] = [:]

    init(files: Set<String>) {
        self.files = files
        var names: [String: Set<String>] = [:]
        for file in files {
            let (directory, name) = Self.split(file)
            names[directory, default: []].insert(name)
        }
        namesByDirectory = names
    }

    mutating func record(_ watch: Int32, _ target: Target) {
        targets[watch] = target
    }

    /// The watched files an event touches; also forgets watches the kernel dropped.
    mutating func files(touchedBy event: InotifyEvent) -> Set<String> {
        if event.watch == -1 || event.mask & InotifyMask.overflow != 0 {
            // The kernel dropped events: anything may have changed.
            return files
        }
        guard let target = targets[event.watch] else { return [] }
        if event.mask & InotifyMask.ignored != 0 {
            targets.removeValue(forKey: event.watch)
        }
        switch target {
        case .directory(let directory):
            guard namesByDirectory[directory]?.contains(event.name) == true else { return [] }
            return [directory == "/" ? "/" + event.name : directory + "/" + event.name]
        case .file(let file):
            return event.mask == InotifyMask.ignored ? [] : [file]
        }
    }

    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
#endif
