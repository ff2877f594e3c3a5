/// An IPv4 range inside the loopback network 127.0.0.0/8, written `127.64.0.0/16`, from which forwards
/// with local names get their own address (docs/manifest.md, "Local names").
public struct LoopbackRange: Hashable, Sendable, CustomStringConvertible {
    /// Why a text is not a loopback range.
    public struct Problem: Error, Hashable, Sendable {
        /// What is wrong, for an error message.
        public var message: String
    }

    /// The first address, host bits zero, as a 32-bit number (127.64.0.0 is 0x7F40_0000).
    public let base: UInt32
    /// The prefix length, 8 to 30.
    public let prefixLength: Int

    /// The built-in range: 65,534 addresses that no common tool uses.
    public static let standard = LoopbackRange(base: 0x7F40_0000, prefixLength: 16)

    private init(base: UInt32, prefixLength: Int) {
        self.base = base
        self.prefixLength = prefixLength
    }

    /// Parses `A.B.C.D/N`; the range must lie inside 127.0.0.0/8 and have no host bits set.
    public static func parse(_ text: String) -> Result<LoopbackRange, Problem> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, case .ipv4(let bytes)? = ListenAddress(String(parts[0])),
              parts[1].allSatisfy(\.isASCIIDigit), let prefix = Int(parts[1]) else {
            return .failure(Problem(message: "'\(text)' is not an address range: write an IPv4 network and prefix length, e.g. 127.64.0.0/16"))
        }
        guard (8...30).contains(prefix) else {
            return .failure(Problem(message: "address range '\(text)' must have a prefix length between 8 and 30"))
        }
        let base = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard bytes[0] == 127 else {
            return .failure(Problem(message: "address range '\(text)' is outside the loopback network 127.0.0.0/8"))
        }
        let range = LoopbackRange(base: base, prefixLength: prefix)
        guard base & range.hostMask == 0 else {
            let network = LoopbackRange.format(base & ~range.hostMask)
            return .failure(Problem(message: "address range '\(text)' has host bits set; write \(network)/\(prefix)"))
        }
        return .success(range)
    }

    private var hostMask: UInt32 { UInt32.max >> UInt32(prefixLength) }

    /// How many addresses can be handed out: the range without its network and broadcast addresses.
    public var usableCount: Int { Int(hostMask) - 1 }

    /// The `index`-th usable address (0-based, wrapping), dotted.
    public func address(at index: Int) -> String {
        let offset = UInt32(index % usableCount) + 1
        return Self.format(base + offset)
    }

    /// Whether `address` (dotted IPv4) lies in the range.
    public func contains(_ address: String) -> Bool {
        guard case .ipv4(let bytes)? = ListenAddress(address) else { return false }
        let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return value & ~hostMask == base
    }

    /// `127.64.0.0/16`.
    public var description: String { "\(Self.format(base))/\(prefixLength)" }

    private static func format(_ value: UInt32) -> String {
        [24, 16, 8, 0].map { String(value >> UInt32($0) & 0xFF) }.joined(separator: ".")
    }
}
