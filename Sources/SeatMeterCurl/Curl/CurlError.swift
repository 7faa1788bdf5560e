internal import CCurl

/// A libcurl failure: the `CURLcode`, libcurl's generic message for it, the error-buffer detail and the call site.
///
/// `CURLcode` never appears in a signature outside this module; callers see ``CurlError/Code``.
package struct CurlError: Error, Sendable, CustomStringConvertible {
    /// A `CURLcode` value, as a `RawRepresentable` over `Int32` so that new codes never break a `switch`.
    package struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        package let rawValue: Int32
        package init(rawValue: Int32) { self.rawValue = rawValue }

        package static let ok = Code(rawValue: 0)
        package static let unsupportedProtocol = Code(rawValue: 1)
        package static let failedInit = Code(rawValue: 2)
        package static let urlMalformat = Code(rawValue: 3)
        package static let couldntResolveProxy = Code(rawValue: 5)
        package static let couldntResolveHost = Code(rawValue: 6)
        package static let couldntConnect = Code(rawValue: 7)
        package static let weirdServerReply = Code(rawValue: 8)
        package static let outOfMemory = Code(rawValue: 27)
        package static let operationTimedout = Code(rawValue: 28)
        package static let sslConnectError = Code(rawValue: 35)
        package static let gotNothing = Code(rawValue: 52)
        package static let sendError = Code(rawValue: 55)
        package static let recvError = Code(rawValue: 56)
        package static let sslCertProblem = Code(rawValue: 58)
        package static let sslCipher = Code(rawValue: 59)
        package static let peerFailedVerification = Code(rawValue: 60)
        package static let useSSLFailed = Code(rawValue: 64)
        package static let loginDenied = Code(rawValue: 67)
        package static let sslCACertBadFile = Code(rawValue: 77)
        package static let again = Code(rawValue: 81)
        package static let sslIssuerError = Code(rawValue: 83)
        package static let sslPinnedPubKeyNotMatch = Code(rawValue: 90)
        package static let sslInvalidCertStatus = Code(rawValue: 91)

        /// Lets a `switch` over a ``CurlError`` match codes directly: `case .loginDenied:`.
        package static func ~= (pattern: Code, value: CurlError) -> Bool { pattern == value.code }

        package var description: String { "CURLcode \(rawValue)" }
    }

    package let code: Code
    /// `curl_easy_strerror` for the code.
    package let message: String
    /// The text libcurl left in `CURLOPT_ERRORBUFFER`, if any.
    package let detail: String?
    /// The `errno` of the last socket operation (`CURLINFO_OS_ERRNO`), when libcurl reported one.
    package let osErrno: Int32?
    package let file: String
    package let line: Int

    package init(
        code: Code, detail: String? = nil, osErrno: Int32? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = CurlError.strerror(code)
        self.detail = detail.flatMap { $0.isEmpty ? nil : $0 }
        self.osErrno = osErrno.flatMap { $0 == 0 ? nil : $0 }
        self.file = file
        self.line = line
    }

    package var description: String {
        var text = "libcurl error \(code.rawValue) (\(message))"
        if let detail, detail != message { text += ": \(detail)" }
        if let osErrno { text += " [errno \(osErrno)]" }
        return text
    }

    /// `curl_easy_strerror`, which returns a static string for every code (unknown ones included).
    static func strerror(_ code: Code) -> String {
        String(cString: curl_easy_strerror(CURLcode(UInt32(bitPattern: code.rawValue))))
    }
}

extension CurlError.Code {
    init(_ code: CURLcode) { self.init(rawValue: Int32(bitPattern: code.rawValue)) }
}
