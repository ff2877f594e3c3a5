/// The Kubernetes naming rules (apimachinery `validation`), checked without regular expressions
/// so the rules read the same as their descriptions.
enum NameRule {
    /// DNS-1123 label: forward names, namespaces.
    case dnsLabel
    /// DNS-1035 label: Service names (must start with a letter).
    case dns1035Label
    /// DNS-1123 subdomain: pod, deployment and statefulset names.
    case dnsSubdomain
    /// IANA_SVC_NAME: named ports.
    case portName
    /// Label key: optional DNS-subdomain prefix and `/`, then a qualified name.
    case labelKey
    /// Label value: empty or a qualified name.
    case labelValue

    /// What a valid value looks like, for error messages.
    var explanation: String {
        switch self {
        case .dnsLabel:
            "a DNS-1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit"
        case .dns1035Label:
            "a DNS-1035 label: at most 63 lowercase letters, digits or '-', starting with a letter and ending with a letter or digit"
        case .dnsSubdomain:
            "a DNS-1123 subdomain: at most 253 characters, dot-separated lowercase labels of letters, digits or '-'"
        case .portName:
            "a port name (IANA_SVC_NAME): at most 15 lowercase letters, digits or '-', with at least one letter, no '--', not starting or ending with '-'"
        case .labelKey:
            "an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        case .labelValue:
            "empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        }
    }

    /// Whether `value` satisfies the rule.
    func accepts(_ value: String) -> Bool {
        switch self {
        case .dnsLabel: Self.isDNSLabel(value)
        case .dns1035Label: Self.isDNSLabel(value) && value.first!.isLowercaseASCIILetter
        case .dnsSubdomain:
            value.utf8.count <= 253 && !value.isEmpty
                && value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { Self.isDNSLabel(String($0)) }
        case .portName: Self.isPortName(value)
        case .labelKey: Self.isLabelKey(value)
        case .labelValue: value.isEmpty || Self.isQualifiedNamePart(value)
        }
    }

    private static func isDNSLabel(_ value: String) -> Bool {
        guard let first = value.first, let last = value.last, value.utf8.count <= 63 else { return false }
        return first.isLowercaseAlphanumeric && last.isLowercaseAlphanumeric
            && value.allSatisfy { $0.isLowercaseAlphanumeric || $0 == "-" }
    }

    private static func isPortName(_ value: String) -> Bool {
        guard let first = value.first, let last = value.last, value.utf8.count <= 15 else { return false }
        return first != "-" && last != "-" && !value.contains("--")
            && value.allSatisfy { $0.isLowercaseAlphanumeric || $0 == "-" }
            && value.contains { $0.isLowercaseASCIILetter }
    }

    private static func isLabelKey(_ value: String) -> Bool {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return isQualifiedNamePart(value)
        case 2: return NameRule.dnsSubdomain.accepts(String(parts[0])) && isQualifiedNamePart(String(parts[1]))
        default: return false
        }
    }

    private static func isQualifiedNamePart(_ value: String) -> Bool {
        guard let first = value.first, let last = value.last, value.utf8.count <= 63 else { return false }
        return first.isASCIIAlphanumeric && last.isASCIIAlphanumeric
            && value.allSatisfy { $0.isASCIIAlphanumeric || $0 == "-" || $0 == "_" || $0 == "." }
    }
}

extension Character {
    var isLowercaseASCIILetter: Bool { ("a"..."z").contains(self) }
    var isLowercaseAlphanumeric: Bool { isLowercaseASCIILetter || ("0"..."9").contains(self) }
    var isASCIIAlphanumeric: Bool { isLowercaseAlphanumeric || ("A"..."Z").contains(self) }
}
