import Testing

@Suite struct FakeKubeTestsPlaceholder {
    @Test func compiles() {
        #expect(Bool(true))
    }
}
