import BerthManifest

/// Hands out one loopback address per forward with local names (docs/local-names.md): the address a
/// forward had before when it is still free, else the first free one from a start derived from the
/// forward's name, so the same forward lands on the same address run after run.
struct LoopbackAllocator {
    let range: LoopbackRange

    /// Addresses for `forwards`.
    /// - Parameters:
    ///   - kept: addresses this daemon serves now; they stay, checked against nothing.
    ///   - remembered: addresses from an earlier run, kept when `taken` does not claim them.
    ///   - taken: whether another program (or daemon) holds an address.
    /// - Returns: an address for every forward, except when the range is full.
    func assign(
        _ forwards: [String], kept: [String: String], remembered: [String: String], taken: (String) -> Bool
    ) -> [String: String] {
        var result: [String: String] = [:]
        var used = Set<String>()
        // First the addresses that must not move, then the remembered ones, then new ones.
        for name in forwards {
            if let address = kept[name], range.contains(address), used.insert(address).inserted { result[name] = address }
        }
        for name in forwards where result[name] == nil {
            if let address = remembered[name], range.contains(address), !used.contains(address), !taken(address) {
                result[name] = address
                used.insert(address)
            }
        }
        for name in forwards where result[name] == nil {
            let start = Int(Self.fnv1a(name) % UInt64(range.usableCount))
            for step in 0..<range.usableCount {
                let address = range.address(at: start + step)
                if !used.contains(address), !taken(address) {
                    result[name] = address
                    used.insert(address)
                    break
                }
            }
        }
        return result
    }

    /// FNV-1a: the same on every run and machine (Swift's `Hasher` is seeded per process).
    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }
}
