import Testing

@Suite struct BerthManifestTestsPlaceholder {
    @Test func compiles() {
        #expect(Bool(true))
    }
}
