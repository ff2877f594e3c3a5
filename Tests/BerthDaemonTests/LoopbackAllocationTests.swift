@testable import BerthDaemon
import BerthManifest
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Own loopback addresses: stable for a forward, never one another program listens on.
@Suite struct LoopbackAllocationTests {
    private let range = LoopbackRange.standard

    @Test func theSameForwardGetsTheSameAddressOnAFreshStart() {
        let allocator = LoopbackAllocator(range: range)
        let first = allocator.assign(["web", "db"], kept: [:], remembered: [:]) { _ in false }
        let second = allocator.assign(["db", "web"], kept: [:], remembered: [:]) { _ in false }
        #expect(first == second && first.count == 2 && Set(first.values).count == 2)
        #expect(first.values.allSatisfy(range.contains))
    }

    @Test func aRememberedAddressWinsUnlessTakenAndAKeptOneNeverMoves() {
        let allocator = LoopbackAllocator(range: range)
        let fresh = allocator.assign(["web"], kept: [:], remembered: [:]) { _ in false }["web"]
        #expect(allocator.assign(["web"], kept: [:], remembered: ["web": "127.64.9.9"]) { _ in false }["web"] == "127.64.9.9")
        #expect(allocator.assign(["web"], kept: [:], remembered: ["web": "127.64.9.9"]) { $0 == "127.64.9.9" }["web"] == fresh)
        // A forward serving now keeps its address even though its own listener makes it look taken.
        #expect(allocator.assign(["web"], kept: ["web": "127.64.9.9"], remembered: [:]) { _ in true }["web"] == "127.64.9.9")
        // Outside the range (the range was edited) it is given a new one.
        #expect(allocator.assign(["web"], kept: ["web": "127.99.0.1"], remembered: [:]) { _ in false }["web"] == fresh)
    }

    @Test func takenAddressesAreSkippedAndAFullRangeGivesNone() throws {
        let small = try LoopbackRange.parse("127.1.0.0/30").get()
        let allocator = LoopbackAllocator(range: small)
        let both = allocator.assign(["a", "b"], kept: [:], remembered: [:]) { _ in false }
        #expect(Set(both.values) == ["127.1.0.1", "127.1.0.2"])
        let one = allocator.assign(["a", "b"], kept: [:], remembered: [:]) { $0 == "127.1.0.1" }
        #expect(one.count == 1 && one.values.first == "127.1.0.2")
    }

    @Test func listeningSocketsAreReadFromProcNet() {
        let table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0700407F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1
               1: 0900407F:C350 0700407F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2
               2: 0900407F:1F90 0700407F:C350 06 00000000:00000000 00:00000000 00000000     0        0 3
            """
        // Little-endian words; only the LISTEN (0A) socket counts, not a client at 127.64.0.9 nor its TIME_WAIT.
        if 1.littleEndian == 1 {
            #expect(ListeningAddresses.parse(table) == ["127.64.0.7"])
        }
        let six = """
              sl  local_address                         remote_address                        st
               0: 0000000000000000FFFF00000500407F:0050 00000000000000000000000000000000:0000 0A
               1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A
            """
        if 1.littleEndian == 1 {
            #expect(ListeningAddresses.parse(six) == ["127.64.0.5"])
        }
    }

    @Test func anAddressAnotherProgramListensOnIsNeverGiven() async throws {
        let allocator = LoopbackAllocator(range: range)
        let first = try #require(allocator.assign(["web"], kept: [:], remembered: [:]) { _ in false }["web"])
        let listener = try TCPListener(address: first)
        defer { listener.close() }
        #expect(ListeningAddresses.current().contains(first))
        let keeper = LocalNameKeeper(settings: .init(hostsFile: nil, blockID: "t", addressBook: nil), logger: quietLogger)
        let manifest = Manifest(forwards: [
            ForwardSpec(name: "web", target: .service("web"), ports: [PortMapping(local: 80, remote: .number(80))], names: true, ownAddress: true)
        ])
        let given = try #require(keeper.assignAddresses(manifest)["web"]?.address)
        #expect(given != first && range.contains(given))
    }
}

/// A listening TCP socket on `address`, port chosen by the system.
struct TCPListener {
    let fd: Int32

    init(address: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = inet_addr(address)
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(fd, 1) == 0, "listen on \(address): errno \(errno)")
    }

    func close() { _ = Glibc.close(fd) }
}
