import NIOHTTP1

/// `Status` objects, the body of every API error (docs/informers.md, "Errors: the Status object").
enum APIStatus {
    static func failure(
        _ code: HTTPResponseStatus, reason: String, message: String, details: JSON? = nil
    ) -> JSON {
        var status: JSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int(code.code)),
        ]
        if let details { status["details"] = details }
        return status
    }

    static func success() -> JSON {
        ["kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Success", "code": 200]
    }

    /// A success saying what was done.
    static func success(message: String) -> JSON {
        var status = success()
        status["message"] = .string(message)
        return status
    }

    static let unauthorized = failure(.unauthorized, reason: "Unauthorized", message: "Unauthorized")

    static func notFound(_ resource: ResourceKind, name: String) -> JSON {
        var details: JSON = ["name": .string(name), "kind": .string(resource.rawValue)]
        if !resource.group.isEmpty { details["group"] = .string(resource.group) }
        return failure(.notFound, reason: "NotFound", message: "\(resource.rawValue) \"\(name)\" not found", details: details)
    }

    static let unknownPath = failure(
        .notFound, reason: "NotFound", message: "the server could not find the requested resource", details: .emptyObject)

    static func forbidden(
        user: String, verb: String, resource: String, group: String, name: String?, namespace: String?
    ) -> JSON {
        let subject = name.map { "\(resource.split(separator: "/").first ?? "") \"\($0)\" is forbidden" }
            ?? "\(resource) is forbidden"
        let scope = namespace.map { "in the namespace \"\($0)\"" } ?? "at the cluster scope"
        let message =
            "\(subject): User \"\(user)\" cannot \(verb) resource \"\(resource)\" in API group \"\(group)\" \(scope)"
        var details: JSON = ["kind": .string(String(resource.split(separator: "/").first ?? ""))]
        if let name { details["name"] = .string(name) }
        if !group.isEmpty { details["group"] = .string(group) }
        return failure(.forbidden, reason: "Forbidden", message: message, details: details)
    }

    static func forbiddenPath(user: String, verb: String, path: String) -> JSON {
        failure(
            .forbidden, reason: "Forbidden",
            message: "forbidden: User \"\(user)\" cannot \(verb) path \"\(path)\"", details: .emptyObject)
    }

    static func badRequest(_ message: String) -> JSON {
        failure(.badRequest, reason: "BadRequest", message: message)
    }

    static func methodNotAllowed(_ method: String, resource: String) -> JSON {
        failure(
            .methodNotAllowed, reason: "MethodNotAllowed",
            message: "\(method) is not supported on resources of kind \"\(resource)\"")
    }

    static func expired(_ message: String) -> JSON {
        failure(.gone, reason: "Expired", message: message)
    }
}
