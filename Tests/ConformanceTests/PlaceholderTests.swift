import Testing

@Suite struct ConformanceTestsPlaceholder {
    @Test func compiles() {
        #expect(Bool(true))
    }
}
