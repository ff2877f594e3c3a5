import Foundation
import Yams

extension Scenario {
    /// Reads and validates a scenario file.
    public static func load(path: String) throws(FakeKubeError) -> Scenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .scenarioUnreadable(path: path, reason: error.localizedDescription)
        }
        return try parse(yaml: text, path: path)
    }

    /// Parses and validates scenario YAML; `path` names the source in errors.
    public static func parse(yaml: String, path: String = "<scenario>") throws(FakeKubeError) -> Scenario {
        let scenario: Scenario
        do {
            scenario = try YAMLDecoder().decode(Scenario.self, from: yaml)
        } catch let error as DecodingError {
            throw describe(error, path: path)
        } catch let error as YamlError {
            throw .scenarioInvalid(path: path, location: yamlLocation(error), reason: "not valid YAML: \(error)")
        } catch {
            throw .scenarioInvalid(path: path, location: "document", reason: "\(error)")
        }
        try scenario.validate(path: path)
        return scenario
    }

    func validate(path: String) throws(FakeKubeError) {
        func fail(_ location: String, _ reason: String) -> FakeKubeError {
            .scenarioInvalid(path: path, location: location, reason: reason)
        }
        for (kind, workloads) in [("deployments", deployments), ("statefulsets", statefulsets)] {
            for (index, workload) in workloads.enumerated() {
                let location = "\(kind)[\(index)] (\(workload.name))"
                guard Self.isDNSLabel(workload.name) else { throw fail("\(location).name", "not a DNS label") }
                guard workload.replicas >= 0 else { throw fail("\(location).replicas", "must be 0 or more") }
                guard workload.readinessDelay >= 0, workload.replacementDelay >= 0 else {
                    throw fail(location, "delays must be 0 or more seconds")
                }
                try validate(containers: workload.containers, location: location, fail: fail)
            }
        }
        for (index, pod) in pods.enumerated() {
            let location = "pods[\(index)] (\(pod.name))"
            guard Self.isDNSLabel(pod.name) else { throw fail("\(location).name", "not a DNS label") }
            try validate(containers: pod.containers, location: location, fail: fail)
        }
        for (index, service) in services.enumerated() {
            let location = "services[\(index)] (\(service.name))"
            guard Self.isDNSLabel(service.name) else { throw fail("\(location).name", "not a DNS label") }
            guard !service.ports.isEmpty else { throw fail("\(location).ports", "a service needs a port") }
            for (portIndex, port) in service.ports.enumerated() {
                guard (1...65535).contains(port.port) else {
                    throw fail("\(location).ports[\(portIndex)].port", "\(port.port) is not a port number")
                }
                if service.ports.count > 1, port.name == nil {
                    throw fail("\(location).ports[\(portIndex)].name", "required when a service has several ports")
                }
            }
        }
        for (index, namespace) in namespaces.enumerated() where !Self.isDNSLabel(namespace) {
            throw fail("namespaces[\(index)]", "\"\(namespace)\" is not a DNS label")
        }
    }

    private func validate(
        containers: [Container], location: String, fail: (String, String) -> FakeKubeError
    ) throws(FakeKubeError) {
        guard !containers.isEmpty else { throw fail("\(location).containers", "a pod needs a container") }
        for (index, container) in containers.enumerated() {
            for (portIndex, port) in container.ports.enumerated() {
                guard (1...65535).contains(port.containerPort) else {
                    throw fail(
                        "\(location).containers[\(index)].ports[\(portIndex)].containerPort",
                        "\(port.containerPort) is not a port number")
                }
            }
        }
    }

    static func isDNSLabel(_ name: String) -> Bool {
        guard let first = name.first, let last = name.last, name.count <= 63 else { return false }
        func allowed(_ c: Character) -> Bool { c.isASCII && (c.isLowercase || c.isNumber) }
        return allowed(first) && allowed(last) && name.allSatisfy { allowed($0) || $0 == "-" }
    }

    private static func describe(_ error: DecodingError, path: String) -> FakeKubeError {
        func location(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text.isEmpty ? "document" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .scenarioInvalid(
                path: path, location: location(context.codingPath + [key]), reason: "required field is missing")
        case .dataCorrupted(let context) where context.underlyingError is YamlError:
            let yamlError = context.underlyingError as! YamlError
            return .scenarioInvalid(path: path, location: yamlLocation(yamlError), reason: "not valid YAML: \(yamlError)")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return .scenarioInvalid(path: path, location: location(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return .scenarioInvalid(path: path, location: "document", reason: "\(error)")
        }
    }

    private static func yamlLocation(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return "line \(mark.line), column \(mark.column)"
        default:
            return "document"
        }
    }
}
