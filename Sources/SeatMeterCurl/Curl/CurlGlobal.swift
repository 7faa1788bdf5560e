internal import CCurl

/// `curl_global_init`, run once per process before the first easy handle is made.
///
/// A Swift global `let` is initialised lazily and exactly once, under `swift_once`, so concurrent first uses are safe
/// (the corelibs-foundation `libcurlHelpers.swift` pattern). libcurl's global state is never torn down: the process
/// keeps it until exit, which is what `curl_global_cleanup`'s documentation recommends for long-lived programs.
package enum CurlGlobal {
    private static let initResult: Int32 = {
        // CURL_GLOBAL_DEFAULT = SSL | WIN32: OpenSSL is initialised here, not lazily in some handle.
        Int32(bitPattern: curl_global_init(Int(CURL_GLOBAL_DEFAULT)).rawValue)
    }()

    /// Initialises libcurl if nothing has yet; throws if that (one) initialisation failed.
    package static func ensureInitialized(file: String = #fileID, line: Int = #line) throws(CurlError) {
        let code = CurlError.Code(rawValue: initResult)
        guard code == .ok else { throw CurlError(code: code, file: file, line: line) }
    }

    /// The libcurl version string, e.g. `libcurl/7.88.1 OpenSSL/3.0.11 ...`.
    package static var version: String {
        guard let text = curl_version() else { return "libcurl (unknown version)" }
        return String(cString: text)
    }
}
