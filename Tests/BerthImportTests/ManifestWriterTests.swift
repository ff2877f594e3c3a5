import BerthImport
import BerthManifest
import Testing

/// The manifest text `berth import` prints reads back as exactly what was imported.
@Suite struct ManifestWriterTests {
    @Test func awkwardValuesSurviveTheRoundTrip() throws {
        let forward = ImportedForward(
            suggestedName: "Web (Staging) — EU", context: "te$t: \"ctx\" #1", namespace: "shop",
            target: .selector(["app.kubernetes.io/name": "web", "tier": "true"]), ports: [PortMapping(local: 8080, remote: .number(80))],
            origin: "two\nlines")
        let rendered = try Rendered(ImportResult(forwards: [forward]))
        let spec = try #require(rendered.manifest.forwards.first)
        #expect(spec.name == "web-staging-eu")
        #expect(spec.context == "te$t: \"ctx\" #1")
        #expect(spec.target == .selector(["app.kubernetes.io/name": "web", "tier": "true"]))
        #expect(rendered.text.contains("  # two lines\n"))
    }

    @Test func nothingImportedIsStillAValidManifest() throws {
        let rendered = try Rendered(ImportResult())
        #expect(rendered.manifest.forwards.isEmpty)
    }
}
