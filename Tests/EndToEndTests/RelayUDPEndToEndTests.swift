import BerthTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// UDP through berth's relay pod with a real `berth up` against `fake-kube serve` (docs/relay.md, "UDP"): each
/// local sender's datagrams go on a stream of their own, boundaries kept, every reply back to its sender.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RelayUDPEndToEndTests {
    /// `dns-0` answers every datagram on 53 with itself.
    static let scenario = """
        namespaces: [shop]
        pods:
          - name: dns-0
            namespace: shop
            labels: {app: dns}
            containers:
              - name: dns
                ports: [{name: dns, containerPort: 53, protocol: UDP, behaviour: echo}]
        """

    static let manifest = """
        apiVersion: berth/v1
        kind: Forwards
        defaults:
          namespace: shop
        forwards:
          - name: dns
            pod: dns-0
            ports: ["0:53/udp"]
        """

    @Test func twoSendersEachGetTheirOwnRepliesWithDatagramBoundariesKept() async throws {
        try await ProcessWorld.with(scenario: Self.scenario) { world in
            let manifest = try world.write("forwards.yaml", Self.manifest)
            let up = try world.startBerth(["up", "-f", manifest])
            defer { up.stop() }
            let ready = try await world.awaitStatus(manifest, "dns Ready") { $0.phase("dns") == "Ready" }
            let remote = (ready.forward("dns")?["ports"] as? [[String: Any]])?.first?["remote"] as? String
            #expect(remote == "53/udp")
            let port = try #require(ready.localPort("dns"))
            // 1,000 datagrams from 1 byte to 60 KiB; each sender's payloads carry its own mark, so a reply sent to
            // the wrong sender shows. A round trip takes milliseconds even in a debug build on a loaded machine:
            // the bound catches a stream that waits on a timer (Nagle, a delayed flush) at each datagram.
            let started = ContinuousClock.now
            async let first = UDPSender.exchange(port: port, mark: 1, count: 500)
            async let second = UDPSender.exchange(port: port, mark: 2, count: 500)
            let results = try await [first, second]
            let elapsed = ContinuousClock.now - started
            for result in results {
                #expect(result.sent == 500 && result.mismatches == 0 && result.lost == 0, "\(result)")
            }
            #expect(elapsed < .seconds(60), "1,000 round trips took \(elapsed)")
            #expect(try await world.berth(["down", "-f", manifest]).status == 0)
            #expect(try await world.relayPods().isEmpty)
        }
    }

    /// kube-dns as a cluster has it: port 53 twice, UDP first, each to a named container port of its own.
    static let serviceScenario = """
        namespaces: [kube-system]
        pods:
          - name: coredns-0
            namespace: kube-system
            labels: {k8s-app: kube-dns}
            containers:
              - name: coredns
                ports:
                  - {name: dns, containerPort: 5353, protocol: UDP, behaviour: echo}
                  - {name: dns-tcp, containerPort: 53, behaviour: echo}
        services:
          - name: kube-dns
            namespace: kube-system
            selector: {k8s-app: kube-dns}
            ports:
              - {name: dns, port: 53, targetPort: dns, protocol: UDP}
              - {name: dns-tcp, port: 53, targetPort: dns-tcp}
        """

    /// `service: kube-dns` with `53/udp`: the relay sends to the service's UDP port (not the TCP one of the same
    /// number), and on to a pod behind it.
    @Test func aServiceTargetReachesItsUDPPort() async throws {
        try await ProcessWorld.with(scenario: Self.serviceScenario) { world in
            let manifest = try world.write("forwards.yaml", """
                apiVersion: berth/v1
                kind: Forwards
                forwards:
                  - name: dns
                    service: kube-dns
                    namespace: kube-system
                    ports: ["0:53/udp"]
                """)
            let up = try world.startBerth(["up", "-f", manifest])
            defer { up.stop() }
            let ready = try await world.awaitStatus(manifest, "dns Ready") { $0.phase("dns") == "Ready" }
            let port = try #require(ready.localPort("dns"))
            let result = try await UDPSender.exchange(port: port, mark: 7, count: 100)
            #expect(result.sent == 100 && result.mismatches == 0 && result.lost == 0, "\(result)")
            #expect(try await world.berth(["down", "-f", manifest]).status == 0)
            #expect(try await world.relayPods(namespace: "kube-system").isEmpty)
        }
    }
}

/// One local UDP sender on its own socket and thread: sends a datagram, waits for the reply, compares.
enum UDPSender {
    struct Tally: Sendable, CustomStringConvertible {
        var mark: UInt8
        var sent = 0
        var mismatches = 0
        var lost = 0
        var description: String { "sender \(mark): \(sent) sent, \(mismatches) wrong replies, \(lost) lost" }
    }

    static func exchange(port: Int, mark: UInt8, count: Int) async throws -> Tally {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Swift.Result { try blockingExchange(port: port, mark: mark, count: count) })
            }.start()
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private static func blockingExchange(port: Int, mark: UInt8, count: Int) throws -> Tally {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect failed: errno \(errno)") }
        var result = Tally(mark: mark)
        var reply = [UInt8](repeating: 0, count: 65536)
        for (index, size) in mixedDatagramSizes(count: count).enumerated() {
            // A slice of the pattern that starts where the index says, the sender's mark first. Payloads are cut
            // from a pattern made once: filling each with random bytes in a debug build cost more than the
            // round trip it measured.
            let start = index % 1024
            var payload = Array(pattern[start..<(start + size)])
            payload[0] = mark
            guard send(fd, payload, payload.count, 0) == payload.count else { throw Failure(description: "send failed: errno \(errno)") }
            result.sent += 1
            let received = recv(fd, &reply, reply.count, 0)
            if received < 0 {
                result.lost += 1
                continue
            }
            let same = payload.withUnsafeBytes { sent in
                reply.withUnsafeBytes { got in
                    guard received == sent.count, let sent = sent.baseAddress, let got = got.baseAddress else { return false }
                    return memcmp(sent, got, received) == 0
                }
            }
            if !same { result.mismatches += 1 }
        }
        return result
    }

    /// 60 KiB and 1 KiB of pseudo-random bytes, from which every payload is a slice.
    static let pattern: [UInt8] = {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        return (0..<(60 * 1024 + 1024)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }()
}
