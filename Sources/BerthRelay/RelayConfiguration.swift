import HostPortSyntax

/// What a relay serves, from its command line (docs/relay.md, "Arguments"):
///
///     --listen 127.0.0.1 --tcp 10000=orders.example.com:5432 --udp 10001=kube-dns.kube-system.svc.cluster.local:53
///
/// The daemon writes these arguments into the relay pod's spec; `arguments` renders a configuration back.
public struct RelayConfiguration: Sendable, Hashable {
    /// How a listen port carries its target's traffic.
    public enum Kind: String, Sendable, Hashable {
        /// Each accepted connection is piped to a new TCP connection to the target.
        case tcp
        /// Each accepted connection carries the datagrams of one UDP sender, framed (docs/relay.md, "UDP framing").
        case udp
    }

    /// One listen port and the target it reaches.
    public struct Route: Sendable, Hashable {
        /// TCP or UDP to the target (the listen port itself is always TCP).
        public var kind: Kind
        /// The TCP port the relay listens on.
        public var listenPort: Int
        /// The target's DNS name or IP address (IPv6 without brackets).
        public var host: String
        /// The target's port.
        public var port: Int

        /// A route.
        public init(kind: Kind, listenPort: Int, host: String, port: Int) {
            self.kind = kind
            self.listenPort = listenPort
            self.host = host
            self.port = port
        }

        /// `LPORT=HOST:PORT`, IPv6 hosts in brackets.
        public var argument: String {
            "\(listenPort)=\(HostPort.format(host: host, port: port))"
        }
    }

    /// The address the relay listens on (`127.0.0.1` unless `--listen` says otherwise).
    public var listenHost: String
    /// The listen ports and their targets, in argument order.
    public var routes: [Route]

    /// A configuration; `routes` must not be empty nor repeat a listen port (`init(arguments:)` checks that).
    public init(listenHost: String = "127.0.0.1", routes: [Route]) {
        self.listenHost = listenHost
        self.routes = routes
    }

    /// The command line that gives this configuration back.
    public var arguments: [String] {
        ["--listen", listenHost] + routes.flatMap { ["--\($0.kind.rawValue)", $0.argument] }
    }

    /// Parses the relay's command line (without the program name).
    /// - Throws: ``RelayArgumentError`` naming the argument at fault.
    public init(arguments: [String]) throws(RelayArgumentError) {
        var listenHost = "127.0.0.1"
        var routes: [Route] = []
        var remaining = arguments[...]
        while let option = remaining.popFirst() {
            guard ["--listen", "--tcp", "--udp"].contains(option) else { throw .unknownOption(option) }
            guard let value = remaining.popFirst() else { throw .missingValue(option: option) }
            if option == "--listen" {
                guard IPAddress(value) != nil else { throw .badListenAddress(value) }
                listenHost = value
                continue
            }
            let kind: Kind = option == "--tcp" ? .tcp : .udp
            let route = try Self.route(kind: kind, option: option, value)
            if routes.contains(where: { $0.listenPort == route.listenPort }) {
                throw .badRoute(option: option, value: value, reason: "listen port \(route.listenPort) is given twice")
            }
            routes.append(route)
        }
        guard !routes.isEmpty else { throw .noRoutes }
        self.init(listenHost: listenHost, routes: routes)
    }

    /// `LPORT=HOST:PORT`, read by the one host-and-port parser (docs/architecture.md, "Hosts and ports").
    private static func route(kind: Kind, option: String, _ value: String) throws(RelayArgumentError) -> Route {
        func bad(_ reason: String) -> RelayArgumentError { .badRoute(option: option, value: value, reason: reason) }
        guard let equals = value.firstIndex(of: "=") else { throw bad("expected LPORT=HOST:PORT") }
        guard let listenPort = HostPort.port(value[..<equals]) else { throw bad("listen port must be a number from 1 to 65535") }
        let target: HostPort
        do throws(HostPortError) {
            target = try HostPort(parsing: value[value.index(after: equals)...])
        } catch {
            switch error {
            case .empty, .missingPort: throw bad("expected LPORT=HOST:PORT")
            case .invalidPort: throw bad("target port must be a number from 1 to 65535")
            case .unbracketedIPv6, .invalidBrackets: throw bad("an IPv6 target is written [ADDRESS]:PORT")
            case .missingHost, .invalidHost, .unexpectedPort: throw bad("the target host must be a DNS name or an IP address")
            }
        }
        return Route(kind: kind, listenPort: listenPort, host: target.host.description, port: target.port ?? 0)
    }
}

/// A relay command line that cannot be run; the message names the argument (the program exits 2).
public enum RelayArgumentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An argument that is no option of the relay.
    case unknownOption(String)
    /// An option given last, without its value.
    case missingValue(option: String)
    /// `--listen` with something that is no IP address.
    case badListenAddress(String)
    /// A `--tcp`/`--udp` value that is no `LPORT=HOST:PORT`.
    case badRoute(option: String, value: String, reason: String)
    /// Neither `--tcp` nor `--udp`: nothing to relay.
    case noRoutes

    /// What is wrong, naming the argument.
    public var description: String {
        switch self {
        case .unknownOption(let option): "unknown argument \(option) (expected --listen, --tcp or --udp)"
        case .missingValue(let option): "\(option) needs a value"
        case .badListenAddress(let value): "--listen \(value): expected an IP address such as 127.0.0.1"
        case .badRoute(let option, let value, let reason): "\(option) \(value): \(reason)"
        case .noRoutes: "nothing to relay: give at least one --tcp or --udp LPORT=HOST:PORT"
        }
    }
}
