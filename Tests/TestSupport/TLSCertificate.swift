import Foundation

/// A self-signed certificate for `localhost` and 127.0.0.1, made with openssl in a directory of the caller's.
package struct TLSCertificate: Sendable {
    /// PEM certificate; also the CA file clients trust (`CURLOPT_CAINFO`).
    package let certificatePath: String
    package let keyPath: String
    /// The libcurl `CURLOPT_PINNEDPUBLICKEY` form of the key: `sha256//<base64 of SHA-256 of the DER SPKI>`.
    package let publicKeyPin: String

    /// Generates a fresh P-256 key and certificate (subjectAltName `DNS:localhost, IP:127.0.0.1`).
    package static func generate(in directory: String) throws -> TLSCertificate {
        let openssl = try TestTools.locate("openssl", package: "openssl")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let cert = directory + "/cert.pem"
        let key = directory + "/key.pem"
        try TestTools.run(openssl, [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "365",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", key, "-out", cert,
        ])
        let publicKey = directory + "/pubkey.der"
        try TestTools.run(openssl, ["x509", "-in", cert, "-pubkey", "-noout", "-out", directory + "/pubkey.pem"])
        try TestTools.run(openssl, ["pkey", "-pubin", "-in", directory + "/pubkey.pem", "-outform", "der",
                                    "-out", publicKey])
        let digestPath = directory + "/pubkey.sha256"
        try TestTools.run(openssl, ["dgst", "-sha256", "-binary", "-out", digestPath, publicKey])
        guard let digest = FileManager.default.contents(atPath: digestPath), digest.count == 32 else {
            throw TestServerError("openssl wrote no SHA-256 digest of the public key")
        }
        return TLSCertificate(certificatePath: cert, keyPath: key,
                              publicKeyPin: "sha256//" + digest.base64EncodedString())
    }
}
