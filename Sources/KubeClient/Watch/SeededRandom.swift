/// A small, seedable, value-type random number generator (SplitMix64).
///
/// The reflector draws watch timeouts and backoff jitter from it. Being a value with a seed makes those draws
/// reproducible in tests, and being `Sendable` lets it live inside the value-type state machines.
public struct SeededRandom: RandomNumberGenerator, Sendable, Hashable {
    private var state: UInt64

    /// A generator whose sequence is fully determined by `seed`.
    public init(seed: UInt64) {
        self.state = seed
    }

    /// A generator seeded from the system's entropy source, for production use.
    public init() {
        var system = SystemRandomNumberGenerator()
        self.state = system.next()
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        // SplitMix64 (Steele, Lea, Flood 2014): passes BigCrush, one add and three xor-shift-multiplies.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
