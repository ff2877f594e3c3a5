import Testing

@Suite struct BerthDaemonTestsPlaceholder {
    @Test func compiles() {
        #expect(Bool(true))
    }
}
