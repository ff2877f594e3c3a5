import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The fake cluster's PKI, generated at start: a CA, the API server's certificate (SAN 127.0.0.1 and
/// localhost) and a client certificate for the `admin` user (CN admin, O system:masters).
struct ClusterCertificates: Sendable {
    /// A certificate with its key, both PEM.
    struct Pair: Sendable {
        var certificatePEM: String
        var privateKeyPEM: String
    }

    let ca: Pair
    let server: Pair
    let adminClient: Pair

    static func generate() throws(FakeKubeError) -> ClusterCertificates {
        do {
            let now = Date()
            let caKey = P256.Signing.PrivateKey()
            let caName = try DistinguishedName { CommonName("berth-fake-kube-ca") }
            let caCertificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PrivateKey(caKey).publicKey,
                notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86400 * 365),
                issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                },
                issuerPrivateKey: Certificate.PrivateKey(caKey))

            func issue(subject: DistinguishedName, usage: ExtendedKeyUsage.Usage, names: [GeneralName]) throws -> Pair {
                let key = P256.Signing.PrivateKey()
                let certificate = try Certificate(
                    version: .v3, serialNumber: Certificate.SerialNumber(),
                    publicKey: Certificate.PrivateKey(key).publicKey,
                    notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86400 * 365),
                    issuer: caName, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                    extensions: try Certificate.Extensions {
                        Critical(BasicConstraints.notCertificateAuthority)
                        Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                        try ExtendedKeyUsage([usage])
                        if !names.isEmpty { SubjectAlternativeNames(names) }
                    },
                    issuerPrivateKey: Certificate.PrivateKey(caKey))
                return Pair(certificatePEM: try certificate.serializeAsPEM().pemString, privateKeyPEM: key.pemRepresentation)
            }

            let server = try issue(
                subject: try DistinguishedName { CommonName("fake-kube-apiserver") }, usage: .serverAuth,
                names: [.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            let admin = try issue(
                subject: try DistinguishedName {
                    OrganizationName("system:masters")
                    CommonName("admin")
                }, usage: .clientAuth, names: [])
            return ClusterCertificates(
                ca: Pair(certificatePEM: try caCertificate.serializeAsPEM().pemString, privateKeyPEM: caKey.pemRepresentation),
                server: server, adminClient: admin)
        } catch {
            throw .certificateGenerationFailed(reason: "\(error)")
        }
    }

    /// The TLS configuration of the API server: its certificate, client certificates optional but verified
    /// against the CA when presented, ALPN `http/1.1` only (the streaming upgrades need HTTP/1.1).
    func serverTLSConfiguration() throws(FakeKubeError) -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(server.certificatePEM.utf8)).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(bytes: Array(server.privateKeyPEM.utf8), format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.certificateVerification = .optionalVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.certificatePEM.utf8)))
            configuration.applicationProtocols = ["http/1.1"]
            configuration.minimumTLSVersion = .tlsv12
            return configuration
        } catch {
            throw .certificateGenerationFailed(reason: "\(error)")
        }
    }

    /// The common name of a verified client certificate.
    static func commonName(of certificate: NIOSSLCertificate) -> String? {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else { return nil }
        for rdn in parsed.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value)
            }
        }
        return nil
    }
}
