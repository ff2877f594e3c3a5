// swift-tools-version: 6.2
import PackageDescription

// Module boundaries follow docs/architecture.md ("Modules and what each may import"): imports point downward only.
// BerthManifest and Reconcile know nothing of NIO; FakeKube never imports KubeClient.
let package = Package(
    name: "berth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "fake-kube", targets: ["fake-kube"]),
        .executable(name: "berth-relay", targets: ["berth-relay"]),
        .library(name: "BerthManifest", targets: ["BerthManifest"]),
        .library(name: "KubeAPI", targets: ["KubeAPI"]),
        .library(name: "KubeClient", targets: ["KubeClient"]),
        .library(name: "FakeKube", targets: ["FakeKube"]),
        .library(name: "BerthRelay", targets: ["BerthRelay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "BerthManifest",
            dependencies: ["HostPortSyntax", .product(name: "Yams", package: "Yams")]
        ),
        .target(name: "Reconcile"),
        // Hosts and ports as text: the one parser of `[HOST]:PORT` and IP literals, and its inverse. No dependencies,
        // so the relay image may carry it.
        .target(name: "HostPortSyntax"),
        // `berth import`: other tools' port-forward configurations as manifests.
        .target(
            name: "BerthImport",
            dependencies: ["BerthManifest", "KubeAPI", "KubeClient", .product(name: "Logging", package: "swift-log")]
        ),
        // What tests of every module share: a manual clock, `eventually`, reading a child process's pipe, and
        // loopback TCP streams for byte-exact echo round trips, a logger that records its lines.
        .target(
            name: "BerthTestSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The API's object types (Pod, Service, EndpointSlice, metadata, Status) as plain Codable values, and the
        // server's address and proxy, which KubeClient and KubePortForward share.
        .target(name: "KubeAPI", dependencies: ["HostPortSyntax"]),
        // berth's metrics (docs/metrics.md): their names, one registry per daemon, the Prometheus text.
        .target(
            name: "BerthMetrics",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "KubeClient",
            dependencies: [
                "KubeAPI", "Reconcile", "BerthMetrics", "HostPortSyntax",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Fakes for code that consumes KubeClient's watch side: a scripted ListerWatcher and a progress signal.
        .target(name: "KubeClientTesting", dependencies: ["KubeAPI", "KubeClient", "BerthMetrics"]),
        .target(
            name: "KubePortForward",
            dependencies: [
                "KubeAPI", "SPDY", "HostPortSyntax",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // HTTP CONNECT through the kubeconfig's proxy.
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // SPDY/3 frames and header compression, shared by FakeKube's server and KubePortForward's client.
        .target(
            name: "SPDY",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), "CZlib"]
        ),
        // The relay that runs in the cluster for targets port-forward cannot reach (hosts, UDP); docs/relay.md.
        // NIO and HostPortSyntax only: it never imports berth's daemon or KubeClient, and its image carries nothing else.
        .target(
            name: "BerthRelay",
            dependencies: [
                "HostPortSyntax",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "berth-relay", dependencies: ["BerthRelay"]),
        .target(
            name: "FakeKube",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                "SPDY",
                // Relay pods run the real relay in process (docs/fake-kube.md, "Relay pods").
                "BerthRelay",
                // The fake HTTP proxy's CONNECT target.
                "HostPortSyntax",
            ]
        ),
        .target(
            name: "BerthDaemon",
            dependencies: [
                "BerthManifest", "Reconcile", "KubeAPI", "KubeClient", "KubePortForward", "BerthMetrics", "HostPortSyntax",
                .product(name: "Metrics", package: "swift-metrics"),
                // The UDP frame codec the relay pod speaks (docs/relay.md).
                "BerthRelay",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
                // Network events and sleep/wake merged into one stream of changes for the settler.
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                // The daemon and its host parts as Services in one ServiceGroup (docs/architecture.md, "Lifecycle").
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // `berth up --ui` and `--metrics`: the web dashboard and /metrics, served by Hummingbird on a loopback address.
        .target(
            name: "BerthWeb",
            dependencies: [
                "BerthDaemon", "BerthMetrics", "HostPortSyntax",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "berth",
            dependencies: [
                "BerthManifest", "BerthDaemon", "BerthImport", "BerthMetrics", "BerthWeb", "FakeKube", "HostPortSyntax",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                // `berth demo`'s request loop.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // What runs beside the daemon (the live table, `berth forward`'s console, the demo) as Services.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "fake-kube",
            dependencies: [
                "FakeKube",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                // `serve` runs until SIGINT or SIGTERM, as a ServiceGroup.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "BerthManifestTests", dependencies: ["BerthManifest"], exclude: ["Fixtures"]),
        .testTarget(name: "BerthImportTests", dependencies: ["BerthImport", "BerthManifest", "KubeAPI"], exclude: ["Fixtures"]),
        .testTarget(name: "HostPortSyntaxTests", dependencies: ["HostPortSyntax"]),
        .testTarget(name: "ReconcileTests", dependencies: ["Reconcile", "BerthTestSupport"]),
        .testTarget(
            name: "KubeClientTests",
            dependencies: [
                "KubeAPI", "KubeClient", "KubeClientTesting", "FakeKube", "BerthTestSupport", "BerthMetrics",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "KubePortForwardTests",
            dependencies: [
                "KubeAPI", "KubePortForward", "FakeKube", "SPDY", "BerthTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SPDYTests",
            dependencies: [
                "SPDY", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "FakeKubeTests",
            dependencies: [
                "FakeKube", "SPDY", "BerthTestSupport", "BerthRelay",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "BerthRelayTests",
            dependencies: [
                "BerthRelay", "berth-relay", "BerthTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "BerthDaemonTests",
            dependencies: [
                "BerthDaemon", "BerthManifest", "KubeAPI", "KubeClient", "KubePortForward", "Reconcile", "BerthTestSupport", "BerthMetrics",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "BerthDaemon", "BerthManifest", "FakeKube", "KubePortForward", "berth", "BerthTestSupport", "BerthWeb",
                "BerthMetrics",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "BerthWebTests",
            dependencies: [
                "BerthWeb", "BerthDaemon", "BerthMetrics",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ConformanceTests",
            dependencies: [
                "FakeKube", "BerthTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
