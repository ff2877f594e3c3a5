import BerthRelay
import Testing

/// The relay's command line: what the daemon writes into the pod spec parses back to the same routes, and
/// every bad argument is named.
@Suite struct RelayConfigurationTests {
    @Test func theDaemonsArgumentsParseAndRenderBack() throws {
        let arguments = [
            "--listen", "127.0.0.1", "--tcp", "10000=orders.example.com:5432",
            "--udp", "10001=kube-dns.kube-system.svc.cluster.local:53", "--tcp", "10002=[fd00::7]:8125",
        ]
        let configuration = try RelayConfiguration(arguments: arguments)
        #expect(configuration.listenHost == "127.0.0.1")
        #expect(
            configuration.routes == [
                .init(kind: .tcp, listenPort: 10000, host: "orders.example.com", port: 5432),
                .init(kind: .udp, listenPort: 10001, host: "kube-dns.kube-system.svc.cluster.local", port: 53),
                .init(kind: .tcp, listenPort: 10002, host: "fd00::7", port: 8125),
            ])
        #expect(configuration.arguments == arguments)
        #expect(try RelayConfiguration(arguments: ["--udp", "53=10.20.0.7:53"]).listenHost == "127.0.0.1")
    }

    @Test(arguments: [
        (["--tcp", "10000=db:5432", "--verbose"], "unknown argument --verbose (expected --listen, --tcp or --udp)"),
        (["--tcp"], "--tcp needs a value"),
        ([], "nothing to relay: give at least one --tcp or --udp LPORT=HOST:PORT"),
        (["--listen", "localhost", "--tcp", "1=a:1"], "--listen localhost: expected an IP address such as 127.0.0.1"),
        (["--tcp", "10000"], "--tcp 10000: expected LPORT=HOST:PORT"),
        (["--udp", "0=dns:53"], "--udp 0=dns:53: listen port must be a number from 1 to 65535"),
        (["--tcp", "10000=db:70000"], "--tcp 10000=db:70000: target port must be a number from 1 to 65535"),
        (["--tcp", "10000=db:+5"], "--tcp 10000=db:+5: target port must be a number from 1 to 65535"),
        (["--tcp", "10000=:5432"], "--tcp 10000=:5432: the target host must be a DNS name or an IP address"),
        (["--tcp", "10000=a b:5432"], "--tcp 10000=a b:5432: the target host must be a DNS name or an IP address"),
        (["--tcp", "10000=fd00::7:53"], "--tcp 10000=fd00::7:53: an IPv6 target is written [ADDRESS]:PORT"),
        (["--tcp", "1=a:1", "--udp", "1=b:2"], "--udp 1=b:2: listen port 1 is given twice"),
    ])
    func badArgumentsAreNamed(arguments: [String], message: String) {
        #expect(throws: RelayArgumentError.self) { try RelayConfiguration(arguments: arguments) }
        do {
            _ = try RelayConfiguration(arguments: arguments)
        } catch {
            #expect(error.description == message)
        }
    }
}
