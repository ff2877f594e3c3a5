import Testing

@Suite struct ReconcileTestsPlaceholder {
    @Test func compiles() {
        #expect(Bool(true))
    }
}
