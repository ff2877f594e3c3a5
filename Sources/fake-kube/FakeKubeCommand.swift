import ArgumentParser

/// `fake-kube`: runs FakeKube standalone for demos, benchmarks and manual testing.
@main
struct FakeKubeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-kube",
        abstract: "A fake Kubernetes cluster on 127.0.0.1 that speaks the real API and port-forward protocols.",
        subcommands: [Serve.self])
}
