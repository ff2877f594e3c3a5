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

    /// The kernel hands `/proc/net/tcp` out a page (a few dozen sockets) per read: a listener past the first page
    /// must still count.
    @Test func listenersPastTheFirstPageOfTheTableAreFound() throws {
        let addresses = (1...64).map { "127.66.0.\($0)" }
        let listeners = try addresses.map { try TCPListener(address: $0) }
        defer { for listener in listeners { listener.close() } }
        let found = ListeningAddresses.current()
        #expect(addresses.filter { !found.contains($0) } == [])
    }

    /// The socket tables change while they are read, so a pass can miss a listener: an address whose port the
    /// forward would bind is still skipped when binding it fails. Here the tables miss the listener entirely.
    @Test func anAddressTheTablesMissedIsSkippedWhenItsPortIsInUse() async throws {
        let allocator = LoopbackAllocator(range: range)
        let first = try #require(allocator.assign(["web"], kept: [:], remembered: [:]) { _ in false }["web"])
        let listener = try TCPListener(address: first)
        defer { listener.close() }
        let port = try Self.port(of: listener)
        #expect(ListeningAddresses.isInUse(address: first, port: port))
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("berth-no-proc-\(UUID().uuidString.prefix(8))").path
        var settings = LocalNameKeeper.Settings(hostsFile: nil, blockID: "t", addressBook: nil)
        settings.procNet = empty
        let keeper = LocalNameKeeper(settings: settings, logger: quietLogger)
        let manifest = Manifest(forwards: [
            ForwardSpec(name: "web", target: .service("web"), ports: [PortMapping(local: port, remote: .number(80))], names: true, ownAddress: true)
        ])
        let given = try #require(keeper.assignAddresses(manifest)["web"]?.address)
        #expect(given != first && range.contains(given))
    }

    @Test func aListenerOnIPv6AnyCountsForEveryIPv4Address() {
        let table = """
              sl  local_address                         remote_address                        st
               0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A
            """
        #expect(ListeningAddresses.listeners(in: table) == [.init(address: "0.0.0.0", port: 8080)])
    }

    static func port(of listener: TCPListener) throws -> Int {
        var sin = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener.fd, $0, &length) }
        }
        try #require(named == 0)
        return Int(UInt16(bigEndian: sin.sin_port))
    }
}

/// A listening TCP socket on `address`, on `port` (0: chosen by the system).
struct TCPListener {
    let fd: Int32

    init(address: String, port: Int = 0) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(port)).bigEndian
        sin.sin_addr.s_addr = inet_addr(address)
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(fd, 1) == 0, "listen on \(address): errno \(errno)")
    }

    func close() { _ = Glibc.close(fd) }
}
