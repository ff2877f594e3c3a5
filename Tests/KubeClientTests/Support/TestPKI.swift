import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// A throwaway CA with a server certificate for 127.0.0.1 / `kube.test` and client certificates
/// (EC and RSA), generated per test run so no key material lives in the repository.
struct TestPKI {
    struct Identity {
        var certificatePEM: String
        var keyPEM: String
        var certificateDER: [UInt8]
    }

    let caPEM: String
    let server: Identity
    /// A server certificate naming only `kube.test` (no IP SAN): reachable on 127.0.0.1 only through `tls-server-name`.
    let namedServer: Identity
    let ecClient: Identity
    let rsaClient: Identity
    /// A second, unrelated CA: the server is not signed by it.
    let otherCAPEM: String

    init() throws {
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("berth test CA") }
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86400, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(caKey))
        caPEM = try ca.serializeAsPEM().pemString

        func issue(_ name: String, publicKey: Certificate.PublicKey, server: Bool, ipSAN: Bool = true) throws -> Certificate {
            let subject = try DistinguishedName { CommonName(name) }
            return try Certificate(
                version: .v3, serialNumber: .init(), publicKey: publicKey,
                notValidBefore: now - 3600, notValidAfter: now + 86400, issuer: caName, subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    if server {
                        SubjectAlternativeNames(
                            ipSAN ? [.dnsName("kube.test"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))] : [.dnsName("kube.test")])
                        try ExtendedKeyUsage([.serverAuth])
                    } else {
                        try ExtendedKeyUsage([.clientAuth])
                    }
                },
                issuerPrivateKey: .init(caKey))
        }
        func identity(_ certificate: Certificate, keyPEM: String) throws -> Identity {
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return Identity(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: keyPEM, certificateDER: serializer.serializedBytes)
        }

        let serverKey = P256.Signing.PrivateKey()
        server = try identity(try issue("kube-apiserver", publicKey: .init(serverKey.publicKey), server: true), keyPEM: serverKey.pemRepresentation)
        let namedKey = P256.Signing.PrivateKey()
        namedServer = try identity(
            try issue("kube-apiserver", publicKey: .init(namedKey.publicKey), server: true, ipSAN: false), keyPEM: namedKey.pemRepresentation)
        let ecKey = P256.Signing.PrivateKey()
        ecClient = try identity(try issue("ec-user", publicKey: .init(ecKey.publicKey), server: false), keyPEM: ecKey.pemRepresentation)
        let rsaKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        rsaClient = try identity(try issue("rsa-user", publicKey: .init(rsaKey.publicKey), server: false), keyPEM: rsaKey.pemRepresentation)

        let otherKey = P256.Signing.PrivateKey()
        let otherName = try DistinguishedName { CommonName("unrelated CA") }
        let other = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(otherKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86400, issuer: otherName, subject: otherName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) },
            issuerPrivateKey: .init(otherKey))
        otherCAPEM = try other.serializeAsPEM().pemString
    }

    /// Generating RSA keys is slow; every suite shares one PKI.
    static let shared: TestPKI = try! TestPKI()
}
