import BerthManifest
import Foundation
import Testing

/// Every manifest of the corpus against `berth validate`'s loader; the JSON Schema side of the
/// same corpus is checked by `hack/check-schema.py`.
@Suite struct CorpusTests {
    @Test(arguments: Corpus.manifests(in: "good").map(\.lastPathComponent))
    func goodManifestLoads(name: String) throws {
        let result = ManifestLoader.load(files: [try Corpus.fixture("good", name)])
        if case .failure(let errors) = result {
            Issue.record("\(name) should be valid:\n\(errors)")
        }
    }

    @Test(arguments: Corpus.manifests(in: "bad").map(\.lastPathComponent))
    func badManifestReportsExactlyTheExpectedErrors(name: String) throws {
        let url = Corpus.fixtures.appendingPathComponent("bad").appendingPathComponent(name)
        let expectation = try Expectation(contentsOf: url.deletingPathExtension().appendingPathExtension("expect"))
        #expect(!expectation.errors.isEmpty, "\(name).expect lists no errors")
        let result = ManifestLoader.load(files: [try Corpus.file(url)])
        guard case .failure(let failure) = result else {
            Issue.record("\(name) should be invalid")
            return
        }
        #expect(failure.errors.allSatisfy { $0.file == name })
        #expect(failure.errors.map(Expectation.Expected.init) == expectation.errors,
                "actual:\n\(failure.errors.map { Expectation.Expected($0).description }.joined(separator: "\n"))")
    }

    @Test func corpusIsNotEmpty() {
        #expect(Corpus.manifests(in: "good").count >= 8)
        #expect(Corpus.manifests(in: "bad").count >= 20)
    }
}
