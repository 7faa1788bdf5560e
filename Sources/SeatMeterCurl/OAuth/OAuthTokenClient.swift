internal import CCurl
internal import Foundation

/// Fetches OAuth 2.0 access tokens: one form-encoded `POST` to the token endpoint over HTTPS with libcurl
/// (certificate and host name always verified, no redirects followed), then the JSON answer parsed and failures
/// classified (``OAuthError/Kind``). Blocking: call it off the cooperative pool.
package enum OAuthTokenClient {
    /// Largest answer accepted.
    static let maximumResponseBytes = 256 * 1024

    /// OAuth error codes that no retry will fix (RFC 6749 §5.2, plus the consent errors of Microsoft's and
    /// Google's endpoints).
    static let permanentErrors: Set<String> = [
        "invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope", "unsupported_grant_type",
        "invalid_request", "access_denied", "consent_required", "interaction_required",
    ]

    /// - Throws: ``OAuthError``.
    package static func fetch(_ request: OAuthTokenRequest) throws(OAuthError) -> OAuthToken {
        let host = try validate(request)
        let exchange: HTTPExchange
        do {
            exchange = try HTTPExchange(request: request)
            try exchange.perform()
        } catch {
            throw classify(error, host: host)
        }
        return try interpret(
            status: exchange.status, body: exchange.body, retryAfter: exchange.retryAfter, host: host)
    }

    /// Checks the URL; returns its host.
    static func validate(_ request: OAuthTokenRequest) throws(OAuthError) -> String {
        guard let components = URLComponents(string: request.tokenURL), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw OAuthError(.configuration, "token_url \"\(request.tokenURL)\" is not an https:// URL")
        }
        if components.user != nil || components.password != nil {
            throw OAuthError(.configuration, "token_url must not contain credentials")
        }
        switch scheme {
        case "https": break
        case "http" where request.allowInsecure && ServerURL.isLoopback(host: host): break
        default:
            throw OAuthError(
                .configuration, "token_url must be https:// (http:// only to a loopback host with allow_insecure)")
        }
        for value in [request.clientID, request.clientSecret ?? "", request.scope ?? ""]
        where EndpointField.hasNULOrLineBreak(value) {
            throw OAuthError(.configuration, "the client ID, secret or scope contains a NUL or line break")
        }
        return host
    }

    static func classify(_ error: CurlError, host: String) -> OAuthError {
        switch error.code {
        case .peerFailedVerification, .sslPinnedPubKeyNotMatch, .sslCACertBadFile:
            OAuthError(
                .transient,
                "the TLS certificate of the token endpoint \(host) is not trusted (set token_ca_file for a private CA)"
                    + " (\(error))")
        case .operationTimedout:
            OAuthError(.transient, "the token endpoint \(host) did not answer in time (\(error))")
        default:
            OAuthError(.transient, "the token request to \(host) failed (\(error))")
        }
    }

    /// Turns the endpoint's answer into a token or an ``OAuthError``.
    static func interpret(status: Int, body: [UInt8], retryAfter: Duration?, host: String) throws(OAuthError)
        -> OAuthToken
    {
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        if status == 200 {
            guard let json, let access = json["access_token"] as? String, !access.isEmpty,
                !EndpointField.hasNULOrLineBreak(access)
            else {
                throw OAuthError(.transient, "the token endpoint \(host) answered 200 without a usable access_token")
            }
            if let type = json["token_type"] as? String, type.lowercased() != "bearer" {
                throw OAuthError(.permanent, "the token endpoint \(host) issued a \(safe(type)) token, not a bearer token")
            }
            let seconds = (json["expires_in"] as? NSNumber)?.doubleValue
                ?? (json["expires_in"] as? String).flatMap(Double.init)
            let refresh = (json["refresh_token"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            return OAuthToken(
                accessToken: access, expiresIn: seconds.map { .seconds(max(0, $0)) }, refreshToken: refresh)
        }
        let code = (json?["error"] as? String).map(safe)
        let detail = (json?["error_description"] as? String).map(safe)
        var message = "the token endpoint \(host) answered HTTP \(status)"
        if let code { message += ": \(code)" }
        if let detail { message += " (\(detail))" }
        switch status {
        case 408, 429, 500...599:
            let permanent = code.map(permanentErrors.contains) ?? false
            throw OAuthError(permanent ? .permanent : .transient, message, code: code,
                             retryAfter: permanent ? nil : retryAfter)
        default:
            throw OAuthError(.permanent, message, code: code)
        }
    }

    /// Server text for a message: printable, at most 200 characters.
    static func safe(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(200).map(Character.init))
    }

    /// `Retry-After` in seconds (the HTTP-date form is not used by token endpoints).
    static func retryAfter(header value: String) -> Duration? {
        Int(value.trimmingCharacters(in: .whitespacesAndNewlines)).map { .seconds(max(0, $0)) }
    }
}

/// One HTTP POST on its own ``CurlEasyHandle``: collects the status, the body and `Retry-After`.
///
/// Callback context: `WRITEDATA`/`HEADERDATA` are `Unmanaged.passUnretained(self)`, safe because this object owns
/// the handle and libcurl calls them only inside `perform`.
final class HTTPExchange {
    private let handle: CurlEasyHandle
    private(set) var body: [UInt8] = []
    private(set) var retryAfter: Duration?
    private(set) var status = 0

    init(request: OAuthTokenRequest) throws(CurlError) {
        handle = try CurlEasyHandle()
        let milliseconds = EndpointField.milliseconds(request.timeout, below: .seconds(3600)) ?? 30_000
        try handle.setOption(CURLOPT_URL, request.tokenURL)
        try handle.setOption(CURLOPT_PROTOCOLS_STR, request.allowInsecure ? "http,https" : "https")
        try handle.setOption(CURLOPT_FOLLOWLOCATION, 0)
        try handle.setOption(CURLOPT_TIMEOUT_MS, milliseconds)
        try handle.setOption(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        try handle.setTLS(.implicitTLS, caFile: request.caFile)
        try handle.setOption(CURLOPT_HTTPHEADER, [
            "Accept: application/json", "Content-Type: application/x-www-form-urlencoded", "Expect:",
        ])
        try handle.setOption(CURLOPT_COPYPOSTFIELDS, request.formBody)
        try handle.setOption(CURLOPT_USERAGENT, "SeatMeter")
        let context = Unmanaged.passUnretained(self).toOpaque()
        try handle.setCallback(CURLOPT_WRITEFUNCTION, Self.writeCallback)
        try handle.setOption(CURLOPT_WRITEDATA, context)
        try handle.setCallback(CURLOPT_HEADERFUNCTION, Self.headerCallback)
        try handle.setOption(CURLOPT_HEADERDATA, context)
    }

    func perform() throws(CurlError) {
        try handle.perform()
        status = try handle.info(CURLINFO_RESPONSE_CODE)
    }

    private static func from(_ userData: UnsafeMutableRawPointer) -> HTTPExchange {
        Unmanaged<HTTPExchange>.fromOpaque(userData).takeUnretainedValue()
    }

    private static let writeCallback: seatmeter_curl_data_callback = { buffer, size, count, userData in
        guard let buffer, let userData else { return 0 }
        let exchange = HTTPExchange.from(userData)
        let length = size * count
        guard exchange.body.count + length <= OAuthTokenClient.maximumResponseBytes else { return 0 }
        exchange.body.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
        return length
    }

    private static let headerCallback: seatmeter_curl_data_callback = { buffer, size, count, userData in
        guard let buffer, let userData else { return 0 }
        let length = size * count
        let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: length), as: UTF8.self)
        if line.lowercased().hasPrefix("retry-after:") {
            HTTPExchange.from(userData).retryAfter = OAuthTokenClient.retryAfter(
                header: String(line.dropFirst("retry-after:".count)))
        }
        return length
    }
}

@available(*, unavailable)
extension HTTPExchange: Sendable {}
