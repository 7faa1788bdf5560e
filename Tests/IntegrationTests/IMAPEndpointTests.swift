@testable import SeatMeterCurl
import Testing

/// Endpoint validation (no network) and the mapping of libcurl failures to ``IMAPError``.
@Suite
struct IMAPEndpointTests {
    private func endpoint(_ url: String, insecure: Bool = false) -> IMAPEndpoint {
        IMAPEndpoint(url: url, username: "agent", password: "s3cret!", allowInsecure: insecure)
    }

    @Test("accepted URLs and the security each gets", arguments: [
        ("imaps://mail.example.com", false, "imaps://mail.example.com:993/", IMAPEndpoint.Security.implicitTLS),
        ("IMAPS://Mail.Example.com:1993/", false, "imaps://Mail.Example.com:1993/", .implicitTLS),
        ("imap://mail.example.com", false, "imap://mail.example.com:143/", .startTLS),
        ("imap://127.0.0.1:1143", false, "imap://127.0.0.1:1143/", .startTLS),
        ("imap://127.0.0.1:1143", true, "imap://127.0.0.1:1143/", .plain),
        ("imap://127.8.9.10", true, "imap://127.8.9.10:143/", .plain),
        ("imap://localhost:1143", true, "imap://localhost:1143/", .plain),
        ("imap://LOCALHOST", true, "imap://LOCALHOST:143/", .plain),
        ("imap://[::1]:1143", true, "imap://[::1]:1143/", .plain),
        ("imap://[0:0:0:0:0:0:0:1]", true, "imap://[0:0:0:0:0:0:0:1]:143/", .plain),
        ("imaps://[::1]:993", true, "imaps://[::1]:993/", .implicitTLS),
        ("imaps://[2001:db8::1]", false, "imaps://[2001:db8::1]:993/", .implicitTLS),
    ])
    func accepted(url: String, insecure: Bool, libcurlURL: String, security: IMAPEndpoint.Security) throws {
        let resolved = try endpoint(url, insecure: insecure).resolved()
        #expect(resolved.url == libcurlURL)
        #expect(resolved.security == security)
    }

    @Test("rejected endpoints", arguments: [
        ("http://mail.example.com", false),
        ("mail.example.com", false),
        ("imap://agent:pw@mail.example.com", false),
        ("imap://mail.example.com/INBOX", false),
        ("imap://mail.example.com/?x", false),
        ("imap://mail.example.com:0", false),
        ("imap://mail.example.com:99999", false),
        ("imap://mail.example.com:14x", false),
        ("imap://", false),
        ("imap://:143", false),
        ("imaps://[::1", false),
        ("imaps://[nonsense]:993", false),
        ("imap://mail example.com", false),
        ("imap://mail.example.invalid", true),
        ("imaps://mail.example.invalid", true),
        ("imap://10.0.0.1", true),
        ("imap://128.0.0.1", true),
        ("imap://[::2]", true),
        ("imap://localhost.example.com", true),
        ("imap://127.0.0.1.example.com", true),
    ])
    func rejected(url: String, insecure: Bool) {
        let error = #expect(throws: IMAPError.self) { try endpoint(url, insecure: insecure).validate() }
        #expect(error?.kind == .insecureConfiguration)
        #expect(error?.isTransient == false)
    }

    @Test("bad credentials and timeouts are rejected")
    func badFields() {
        var value = endpoint("imaps://mail.example.com")
        value.credential = .password("line\r\nA1 LOGOUT")
        #expect(throws: IMAPError.self) { try value.validate() }
        value = endpoint("imaps://mail.example.com")
        value.username = ""
        #expect(throws: IMAPError.self) { try value.validate() }
        value = endpoint("imaps://mail.example.com")
        value.idleTimeout = .zero
        #expect(throws: IMAPError.self) { try value.validate() }
        value = endpoint("imaps://mail.example.com")
        value.connectTimeout = .seconds(-1)
        #expect(throws: IMAPError.self) { try value.validate() }
        value = endpoint("imaps://mail.example.com")
        value.connectTimeout = .milliseconds(1500)
        #expect((try? value.resolved().connectTimeoutMilliseconds) == 1500)
    }

    @Test("the password never shows in descriptions")
    func redaction() {
        let value = endpoint("imaps://mail.example.com")
        #expect(!"\(value)".contains("s3cret!"))
        #expect(!String(reflecting: value).contains("s3cret!"))
        var dumped = ""
        dump(value, to: &dumped)
        #expect(!dumped.contains("s3cret!"))
    }

    @Test("libcurl codes map to kinds", arguments: [
        (CurlError.Code.loginDenied, IMAPError.Kind.authenticationFailed, false),
        (.couldntConnect, .connectionFailed, true),
        (.couldntResolveHost, .connectionFailed, true),
        (.operationTimedout, .timeout, true),
        (.sslConnectError, .tlsFailed, false),
        (.peerFailedVerification, .tlsFailed, false),
        (.sslCertProblem, .tlsFailed, false),
        (.sslPinnedPubKeyNotMatch, .tlsFailed, false),
        (.sslInvalidCertStatus, .tlsFailed, false),
        (.useSSLFailed, .insecureConfiguration, false),
        (.recvError, .connectionLost, true),
        (.sendError, .connectionLost, true),
        (.weirdServerReply, .protocolError, false),
    ])
    func curlCodes(code: CurlError.Code, kind: IMAPError.Kind, transient: Bool) {
        let error = IMAPError(connecting: CurlError(code: code, detail: "detail text"), to: "mail.example.com")
        #expect(error.kind == kind)
        #expect(error.isTransient == transient)
        #expect(error.description.contains("mail.example.com"))
        #expect(error.description.contains("detail text"))
        #expect(error.description.contains("libcurl error \(code.rawValue)"))
    }

    @Test("CurlError carries libcurl's message and the call site")
    func curlError() {
        let error = CurlError(code: .loginDenied, detail: "")
        #expect(error.message == "Login denied")
        #expect(error.detail == nil)
        #expect(error.file.hasSuffix("IMAPEndpointTests.swift"))
        #expect(error.line > 0)
        switch error {
        case .loginDenied: break
        default: Issue.record("~= did not match")
        }
        #expect(CurlError(code: CurlError.Code(rawValue: 9999)).message.isEmpty == false)
    }

    @Test("curl_global_init runs once and handles can be made from many threads")
    func globalInit() throws {
        try CurlGlobal.ensureInitialized()
        #expect(CurlGlobal.version.contains("libcurl"))
        _ = try CurlEasyHandle()
    }
}
