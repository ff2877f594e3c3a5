import Dispatch
import NIOCore
import NIOPosix
import Testing

@testable import FakeKube

/// A pod's server queues connections as a real one does: 200 clients connecting at once through a forward must
/// not find its listen queue full (a dropped SYN costs its client a 1 s retry).
@Suite struct PodServerBacklogTests {
    @Test func connectionsWaitInTheListenQueueWhileThePodIsBusy() async throws {
        let podLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let servers = PodServers(group: podLoop)
        let bound = try await servers.start(
            podUID: "uid-busy", namespace: "default", podName: "busy", ports: [Scenario.ContainerPort(containerPort: 7000)]
        ).get()
        let address = try #require(bound[7000])
        // The pod's only loop is busy: nothing is accepted, so every connection waits in the listen queue.
        let release = DispatchSemaphore(value: 0)
        podLoop.next().execute { release.wait() }
        // Shorter than the first SYN retry (1 s): a connection whose SYN was dropped cannot make it in time.
        let attempts = (0..<300).map { _ in
            ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(700))
                .connect(to: address)
        }
        var connected: [any Channel] = []
        for attempt in attempts {
            if let channel = try? await attempt.get() { connected.append(channel) }
        }
        release.signal()
        #expect(connected.count == 300, "connections past the listen queue were dropped")
        for channel in connected { try? await channel.close() }
        servers.stopAll()
        try await podLoop.shutdownGracefully()
    }
}
