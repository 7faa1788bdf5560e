import Foundation
import Testing

@testable import SeatMeterCurl

/// The token client's pure parts: the form it posts and how it reads answers (no network).
@Suite struct OAuthTokenClientTests {
    static func answer(_ status: Int, _ json: String, retryAfter: Duration? = nil) -> Result<OAuthToken, OAuthError> {
        Result { () throws(OAuthError) in
            try OAuthTokenClient.interpret(status: status, body: Array(json.utf8), retryAfter: retryAfter, host: "h")
        }
    }

    @Test func formBodyIsURLEncodedAndCarriesTheGrant() {
        let request = OAuthTokenRequest(
            tokenURL: "https://h/t", clientID: "id 1", clientSecret: "s&e=c+r/t~", scope: "https://mail.google.com/",
            grant: .refreshToken("1//0g-é"))
        #expect(
            request.formBody
                == "grant_type=refresh_token&refresh_token=1%2F%2F0g-%C3%A9&client_id=id+1"
                + "&client_secret=s%26e%3Dc%2Br%2Ft%7E&scope=https%3A%2F%2Fmail.google.com%2F")
        let app = OAuthTokenRequest(
            tokenURL: "https://h/t", clientID: "c", clientSecret: "s", scope: nil, grant: .clientCredentials)
        #expect(app.formBody == "grant_type=client_credentials&client_id=c&client_secret=s")
    }

    @Test func successfulAnswers() throws {
        let full = try Self.answer(
            200, #"{"access_token":"at","token_type":"Bearer","expires_in":3599,"refresh_token":"rt2"}"#).get()
        #expect(full == OAuthToken(accessToken: "at", expiresIn: .seconds(3599), refreshToken: "rt2"))
        let bare = try Self.answer(200, #"{"access_token":"at","expires_in":"60"}"#).get()
        #expect(bare == OAuthToken(accessToken: "at", expiresIn: .seconds(60), refreshToken: nil))
    }

    @Test(arguments: [
        (200, #"{"token_type":"Bearer"}"#, OAuthError.Kind.transient, nil as String?),
        (200, "<html>proxy login</html>", .transient, nil),
        (200, #"{"access_token":"at","token_type":"mac"}"#, .permanent, nil),
        (400, #"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#, .permanent, "invalid_grant"),
        (401, #"{"error":"invalid_client"}"#, .permanent, "invalid_client"),
        (400, #"{"error":"unauthorized_client"}"#, .permanent, "unauthorized_client"),
        (400, #"{"error":"invalid_scope"}"#, .permanent, "invalid_scope"),
        (400, #"{"error":"consent_required"}"#, .permanent, "consent_required"),
        (404, "not found", .permanent, nil),
        (429, "", .transient, nil),
        (503, #"{"error":"temporarily_unavailable"}"#, .transient, "temporarily_unavailable"),
        (500, #"{"error":"invalid_grant"}"#, .permanent, "invalid_grant"),
    ])
    func failuresAreClassified(status: Int, body: String, kind: OAuthError.Kind, code: String?) {
        guard case .failure(let error) = Self.answer(status, body, retryAfter: .seconds(5)) else {
            Issue.record("accepted: \(status) \(body)")
            return
        }
        #expect(error.kind == kind, "\(error)")
        #expect(error.code == code)
        #expect(error.retryAfter == (kind == .transient && status != 200 ? .seconds(5) : nil))
    }

    @Test func serverTextIsTrimmedToPrintable() throws {
        let long = String(repeating: "x", count: 500)
        guard case .failure(let error) = Self.answer(400, #"{"error":"invalid_grant","error_description":"a\u0000\n\#(long)"}"#)
        else {
            Issue.record("accepted")
            return
        }
        #expect(!error.description.contains("\n") && !error.description.contains("\u{0}"))
        #expect(error.description.count < 320)
    }

    @Test func retryAfterHeader() {
        #expect(OAuthTokenClient.retryAfter(header: " 120\r\n") == .seconds(120))
        #expect(OAuthTokenClient.retryAfter(header: " Wed, 21 Oct 2015 07:28:00 GMT\r\n") == nil)
    }
}
