/// SHA-256 of a byte sequence as lowercase hex (FIPS 180-4). Pure Swift: core has no crypto dependency.
package enum SHA256 {
    package static func hexDigest(of bytes: some Collection<UInt8>) -> String {
        // TODO(encoded words helper): real implementation.
        String(bytes.count)
    }
}
