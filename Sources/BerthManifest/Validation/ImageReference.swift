/// A container image reference as `defaults.relay.image` takes it (`registry/path:tag`, `…@sha256:…`).
///
/// Only what would break the pod spec or read as something else is refused; the registry decides the rest
/// when the relay pod is created, and its refusal reaches the forward's status.
enum ImageReference {
    /// Whether `text` can be a reference: 1–512 characters without spaces or controls, starting with a
    /// lowercase letter or digit (as a registry host or repository does).
    static func accepts(_ text: String) -> Bool {
        guard let first = text.first, text.utf8.count <= 512, first.isLowercaseAlphanumeric else { return false }
        return text.allSatisfy { $0.isASCII && !$0.isWhitespace && !$0.isNewline && $0.asciiValue.map { $0 > 0x20 && $0 < 0x7F } == true }
    }
}
