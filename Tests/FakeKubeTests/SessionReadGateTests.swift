import Testing

@testable import FakeKube

/// The read gate both server session handlers share: a blocking pod link holds the session's reads, and the
/// held read happens once, when the last blocking link frees or ends.
@Suite struct SessionReadGateTests {
    @Test func aHeldReadIsDueWhenTheLastBlockingLinkFrees() {
        var gate = SessionReadGate<Int>()
        // Each step's answer, in order: read at once, two links block, a read is held, link 1 frees (2 still
        // blocks), link 2 frees (the held read is due), link 2 again (due once only), read at once.
        let answers = [
            gate.mayRead(), gate.set(1, blocking: true), gate.set(2, blocking: true), gate.mayRead(),
            gate.set(1, blocking: false), gate.set(2, blocking: false), gate.set(2, blocking: false), gate.mayRead(),
        ]
        #expect(answers == [true, false, false, false, false, true, false, true])
    }

    @Test func withoutAHeldReadNothingIsDue() {
        var gate = SessionReadGate<String>()
        // A link blocks and frees with no read asked for meanwhile: nothing is due. Blocking again holds the
        // next read; the session ending every link lets reads through.
        let answers = [gate.set("a", blocking: true), gate.set("a", blocking: false), gate.set("a", blocking: true), gate.mayRead()]
        gate.removeAll()
        let afterTheEnd = gate.mayRead()
        #expect(answers == [false, false, false, false])
        #expect(afterTheEnd)
    }
}
