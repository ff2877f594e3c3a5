/// A field the API lets be a number or a name, such as a Service's `targetPort`.
public enum IntOrString: Codable, Sendable, Hashable, CustomStringConvertible {
    /// A numeric value, e.g. a port number.
    case int(Int)
    /// A named value, e.g. a container port name.
    case string(String)

    /// Decodes either JSON form; the API writes whichever the user wrote.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .int(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// Encodes in the form it holds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let number): try container.encode(number)
        case .string(let name): try container.encode(name)
        }
    }

    /// The number, or `nil` for a name.
    public var intValue: Int? {
        if case .int(let number) = self { return number }
        return nil
    }

    /// The name, or `nil` for a number.
    public var stringValue: String? {
        if case .string(let name) = self { return name }
        return nil
    }

    /// The value as the API would print it.
    public var description: String {
        switch self {
        case .int(let number): String(number)
        case .string(let name): name
        }
    }
}
