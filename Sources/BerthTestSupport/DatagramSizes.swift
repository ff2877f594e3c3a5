/// Datagram sizes from 1 B to 60 KiB, both ends included, spread by a fixed pseudo-random walk: the first is
/// 1 byte, the second 60 KiB, then mostly small ones (DNS, StatsD) and one in ten up to 60 KiB. Tests of UDP
/// through the relay send these (docs/relay.md, "UDP").
public func mixedDatagramSizes(count: Int) -> [Int] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { index in
        if index == 0 { return 1 }
        if index == 1 { return 60 * 1024 }
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let bound = index % 10 == 0 ? 60 * 1024 : 1500
        return Int(state >> 33) % bound + 1
    }
}
