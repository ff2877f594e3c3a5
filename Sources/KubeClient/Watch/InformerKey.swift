/// What makes two informers the same watch (docs/architecture.md, invariant 3). The resource type is the factory's.
public struct InformerKey: Hashable, Sendable, CustomStringConvertible {
    /// The cluster: a kubeconfig context name or any id the caller uses to pick its client.
    public var cluster: String
    /// nil watches all namespaces.
    public var namespace: String?
    /// A label selector in API syntax, e.g. `app=shop,tier!=db`.
    public var labelSelector: String?
    /// A field selector in API syntax, e.g. `metadata.name=web-0`.
    public var fieldSelector: String?

    /// A key from its parts.
    public init(cluster: String, namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil) {
        self.cluster = cluster
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
    }

    /// `cluster/namespace?labels;fields` for logs and status.
    public var description: String {
        var text = "\(cluster)/\(namespace ?? "*")"
        if let labelSelector { text += "?\(labelSelector)" }
        if let fieldSelector { text += ";\(fieldSelector)" }
        return text
    }
}
