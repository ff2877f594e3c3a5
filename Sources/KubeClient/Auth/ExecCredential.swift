import Foundation
import KubeAPI

/// What an exec plugin returned: a token and/or a client certificate, valid until `expiration`.
struct ExecCredential: Sendable {
    var token: String?
    var clientCertificate: ClientCertificatePEM?
    /// `nil`: valid for the life of the process.
    var expiration: Date?

    /// The plugin's stdout document (docs/kubeconfig.md, "Exec credential plugins"). Only the fields berth uses.
    struct Document: Decodable {
        struct Status: Decodable {
            var token: String?
            var clientCertificateData: String?
            var clientKeyData: String?
            var expirationTimestamp: String?
        }
        var apiVersion: String?
        var kind: String?
        var status: Status?
    }

    /// Checks a plugin's answer against the contract; errors never quote the output (it holds the secret).
    static func decode(_ output: [UInt8], config: ExecConfig, fail: (String) -> KubeClientError) throws -> ExecCredential {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(output))
        } catch {
            throw fail("exec: the output of \(config.command) is not an ExecCredential JSON document")
        }
        guard document.apiVersion == config.apiVersion else {
            throw fail("exec plugin is configured to use API version \(config.apiVersion), plugin returned version \(document.apiVersion ?? "(none)")")
        }
        guard document.kind == nil || document.kind == "ExecCredential" else {
            throw fail("exec: the plugin returned kind \(document.kind ?? ""), expected ExecCredential")
        }
        guard let status = document.status else {
            throw fail("exec plugin didn't return a status field")
        }
        var credential = ExecCredential()
        credential.token = status.token.flatMap { $0.isEmpty ? nil : $0 }
        let certificateData = status.clientCertificateData.flatMap { $0.isEmpty ? nil : $0 }
        let keyData = status.clientKeyData.flatMap { $0.isEmpty ? nil : $0 }
        switch (certificateData, keyData) {
        case (.some(let certificate), .some(let key)):
            credential.clientCertificate = ClientCertificatePEM(certificate: Array(certificate.utf8), key: Array(key.utf8))
        case (nil, nil):
            break
        default:
            throw fail("exec plugin returned only one of clientCertificateData and clientKeyData; both or neither are required")
        }
        guard credential.token != nil || credential.clientCertificate != nil else {
            throw fail("exec plugin didn't return a token or cert/key pair")
        }
        if let text = status.expirationTimestamp, !text.isEmpty {
            guard let date = parseRFC3339(text) else {
                throw fail("exec plugin returned an expirationTimestamp that is not RFC 3339")
            }
            credential.expiration = date
        }
        return credential
    }

    static func parseRFC3339(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
