import Foundation

/// A token file (kubeconfig `tokenFile`, the in-cluster service-account token) re-read whenever it changes.
/// A `stat` per request is cheaper than a timer and notices a rotated projected token at once.
struct TokenFileSource: Sendable {
    /// What identifies one version of the file.
    struct Stamp: Equatable {
        var modified: Date?
        var size: Int?
        var inode: Int?
    }

    let path: String
    private var token: String?
    private var stamp: Stamp?

    init(path: String, initial: String?) {
        self.path = path
        self.token = initial
    }

    private func currentStamp() -> Stamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return Stamp(
            modified: attributes[.modificationDate] as? Date, size: (attributes[.size] as? NSNumber)?.intValue,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue)
    }

    /// The token, re-read if the file changed since the last read (or if `force`).
    /// When the file vanishes the last good token is kept: a rotation is a rename, briefly racing the read.
    mutating func current(force: Bool = false) -> String? {
        let now = currentStamp()
        if stamp == nil && token != nil && !force {
            stamp = now
            return token
        }
        if force || now != stamp, let data = FileManager.default.contents(atPath: path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { token = text }
            stamp = now
        }
        return token
    }
}
