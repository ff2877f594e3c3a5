// berth-relay: what runs in the relay pod berth creates (docs/relay.md). It listens on the pod's loopback and
// relays to the targets of its arguments only.
import BerthRelay

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: berth-relay [--listen ADDRESS] (--tcp LPORT=HOST:PORT | --udp LPORT=HOST:PORT)...
      --listen ADDRESS         the IP address to listen on (default 127.0.0.1)
      --tcp LPORT=HOST:PORT    each connection to LPORT is piped to a new TCP connection to HOST:PORT
      --udp LPORT=HOST:PORT    each connection to LPORT carries one sender's datagrams to HOST:PORT, each
                               framed as a 2-byte big-endian length and the bytes, both ways
    IPv6 targets are written [ADDRESS]:PORT. Exit status: 2 for bad arguments, 1 when a port cannot be bound.

    """

/// Writes `text` to standard error (file descriptor 2: the C `stderr` global is not concurrency-safe).
func printError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments == ["--help"] || arguments == ["-h"] {
    print(usage, terminator: "")
    exit(0)
}
let configuration: RelayConfiguration
do {
    configuration = try RelayConfiguration(arguments: arguments)
} catch {
    printError("berth-relay: error: \(error)\n\(usage)")
    exit(2)
}

// The relay holds no state worth an orderly shutdown, and as PID 1 of its container it would otherwise ignore
// SIGTERM (the kernel gives PID 1 no default handlers) and wait out the pod's grace period.
signal(SIGTERM) { _ in _exit(0) }
signal(SIGINT) { _ in _exit(0) }

let server = RelayServer(configuration: configuration)
do {
    try await server.start()
} catch {
    printError("berth-relay: error: cannot listen on \(configuration.listenHost): \(error)\n")
    exit(1)
}
for route in configuration.routes {
    printError("berth-relay: \(route.kind.rawValue) \(configuration.listenHost):\(route.argument)\n")
}
while true {
    try? await Task.sleep(for: .seconds(3600))
}
