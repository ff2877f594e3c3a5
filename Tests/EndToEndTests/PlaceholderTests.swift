import Testing

@Suite struct EndToEndTestsPlaceholder {
    @Test func compiles() {
        #expect(Bool(true))
    }
}
