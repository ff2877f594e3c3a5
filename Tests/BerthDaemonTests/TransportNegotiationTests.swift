import BerthManifest
import Testing

@testable import BerthDaemon

/// `transport: auto`'s fallback order and refusals, as a value, without I/O.
@Suite struct TransportNegotiationTests {
    @Test func autoTriesTheTunnelThenTheSPDYUpgradeThenV4() {
        var negotiation = TransportNegotiation(choice: .auto)
        #expect(negotiation.start == .attempt(.websocketSPDY))
        #expect(negotiation.next(after: .rejected(code: 400)) == .attempt(.spdy))
        #expect(negotiation.next(after: .wrongProtocol) == .attempt(.websocket))
        #expect(negotiation.next(after: .connected) == .chosen(.websocket))
    }

    @Test func theFirstTransportThatConnectsIsChosen() {
        var negotiation = TransportNegotiation(choice: .auto)
        #expect(negotiation.next(after: .connected) == .chosen(.websocketSPDY))
        var second = TransportNegotiation(choice: .auto)
        #expect(second.next(after: .rejected(code: 500)) == .attempt(.spdy))
        #expect(second.next(after: .connected) == .chosen(.spdy))
    }

    @Test(arguments: [401, 403, 404])
    func refusalsAreNeverRetriedDownTheList(code: Int) {
        var negotiation = TransportNegotiation(choice: .auto)
        #expect(negotiation.next(after: .rejected(code: code)) == .fail)
        #expect(negotiation.current == nil)
        var later = TransportNegotiation(choice: .auto)
        #expect(later.next(after: .rejected(code: 400)) == .attempt(.spdy))
        #expect(later.next(after: .rejected(code: code)) == .fail)
    }

    @Test func connectAndTLSFailuresDoNotFallBack() {
        var negotiation = TransportNegotiation(choice: .auto)
        #expect(negotiation.next(after: .unreachable) == .fail)
    }

    @Test func everyTransportRefusedFailsWithTheLast() {
        var negotiation = TransportNegotiation(choice: .auto)
        #expect(negotiation.next(after: .rejected(code: 400)) == .attempt(.spdy))
        #expect(negotiation.next(after: .rejected(code: 400)) == .attempt(.websocket))
        #expect(negotiation.next(after: .rejected(code: 400)) == .fail)
    }

    @Test(arguments: [TransportChoice.websocketSPDY, .spdy, .websocket])
    func aPinnedTransportIsTriedAloneAndNeverFallsBack(choice: TransportChoice) {
        var negotiation = TransportNegotiation(choice: choice, remembered: .websocket)
        #expect(negotiation.start == .attempt(choice))
        #expect(negotiation.next(after: .rejected(code: 400)) == .fail)
        var working = TransportNegotiation(choice: choice)
        #expect(working.next(after: .connected) == .chosen(choice))
    }

    @Test func theRememberedTransportIsTriedFirstAndTheRestFollowInOrder() {
        var negotiation = TransportNegotiation(choice: .auto, remembered: .spdy)
        #expect(negotiation.start == .attempt(.spdy))
        #expect(negotiation.next(after: .rejected(code: 400)) == .attempt(.websocketSPDY))
        #expect(negotiation.next(after: .rejected(code: 400)) == .attempt(.websocket))
        #expect(TransportNegotiation(choice: .auto, remembered: .auto).start == .attempt(.websocketSPDY))
    }

    @Test func memoryIsPerClusterAndReportsChanges() {
        let memory = TransportMemory()
        #expect(memory.transport(for: "prod") == nil)
        #expect(memory.remember(.spdy, for: "prod"))
        #expect(!memory.remember(.spdy, for: "prod"), "the same answer again is not news")
        #expect(memory.transport(for: "prod") == .spdy)
        #expect(memory.transport(for: "staging") == nil)
        #expect(memory.remember(.websocket, for: "prod"))
        #expect(memory.transport(for: "prod") == .websocket)
    }
}
