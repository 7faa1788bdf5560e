@testable import SeatMeterCurl
import Testing

@Suite("SMTP endpoint validation (no network)")
struct SMTPEndpointTests {
    @Test(arguments: [
        (
            "smtps://mail.example.com", "smtps://mail.example.com:465/relay.example.test",
            SMTPEndpoint.Security.implicitTLS
        ),
        ("smtp://mail.example.com:587", "smtp://mail.example.com:587/relay.example.test", .startTLS),
        ("SMTP://Mail.Example.com/", "smtp://Mail.Example.com:25/relay.example.test", .startTLS),
        ("smtp://[2001:db8::1]:2525", "smtp://[2001:db8::1]:2525/relay.example.test", .startTLS),
    ])
    func resolvesSecureURLs(url: String, expected: String, security: SMTPEndpoint.Security) throws {
        let resolved = try SMTPEndpoint(url: url, ehloName: "relay.example.test").resolved()
        #expect(resolved.url == expected)
        #expect(resolved.security == security)
    }

    @Test(arguments: ["smtp://127.0.0.1:2525", "smtp://localhost:25", "smtp://[::1]:25", "smtp://127.8.9.10"])
    func insecureOnlyOnLoopback(url: String) throws {
        let resolved = try SMTPEndpoint(url: url, allowInsecure: true).resolved()
        #expect(resolved.security == .plain)
    }

    @Test(arguments: [
        "smtp://mail.example.com", "smtps://mail.example.com", "smtp://10.0.0.1", "smtp://[2001:db8::1]",
        "smtp://localhost.example.com", "smtp://128.0.0.1",
    ])
    func insecureElsewhereIsRejected(url: String) {
        #expect(throws: SMTPError.self) { try SMTPEndpoint(url: url, allowInsecure: true).validate() }
        do {
            try SMTPEndpoint(url: url, allowInsecure: true).validate()
        } catch {
            #expect(error.kind == .insecureConfiguration)
            #expect(!error.isTransient)
        }
    }

    @Test(arguments: [
        "http://mail.example.com", "mail.example.com:587", "smtp://", "smtp://user:pw@mail.example.com",
        "smtp://mail.example.com/ehlo.name", "smtp://mail.example.com:0", "smtp://mail.example.com:70000",
        "smtp://mail.example.com:x", "smtp://mail.example.com?x", "smtp://ma il.example.com", "smtp://[::1",
        "smtp://[nonsense]:25", "smtp://mail.example.com#frag",
    ])
    func malformedURLsAreRejected(url: String) {
        #expect(throws: SMTPError.self) { try SMTPEndpoint(url: url).validate() }
    }

    @Test func credentialsComeInPairsWithoutLineBreaks() {
        let url = "smtps://mail.example.com"
        #expect(throws: SMTPError.self) { try SMTPEndpoint(url: url, username: "u").validate() }
        #expect(throws: SMTPError.self) { try SMTPEndpoint(url: url, password: "p").validate() }
        #expect(throws: SMTPError.self) { try SMTPEndpoint(url: url, username: "", password: "p").validate() }
        #expect(throws: SMTPError.self) { try SMTPEndpoint(url: url, username: "u", password: "p\r\nx").validate() }
        #expect(throws: SMTPError.self) { try SMTPEndpoint(url: url, username: "u\0", password: "p").validate() }
        #expect(throws: SMTPError.self) { try SMTPEndpoint(url: url, caFile: "").validate() }
        #expect(throws: SMTPError.self) { try SMTPEndpoint(url: url, timeout: .zero).validate() }
        #expect(throws: SMTPError.self) { try SMTPEndpoint(url: url, ehloName: "bad name").validate() }
        #expect(throws: SMTPError.self) { try SMTPEndpoint(url: url, ehloName: "a..b").validate() }
        #expect(throws: Never.self) { try SMTPEndpoint(url: url, username: "u", password: "p").validate() }
    }

    @Test func descriptionsNeverShowThePassword() {
        let endpoint = SMTPEndpoint(url: "smtps://mail.example.com", username: "reporter", password: "hunter2-Ω")
        for text in [
            endpoint.description, String(reflecting: endpoint), String(describing: endpoint),
            "\(endpoint)", String(describing: Mirror(reflecting: endpoint).children.map(\.value)),
        ] {
            #expect(!text.contains("hunter2"))
        }
        #expect(endpoint.description.contains("<redacted>"))
        #expect(endpoint.description.contains("reporter"))
    }

    @Test func defaultEHLONameIsAQualifiedHostName() {
        let name = SMTPEndpoint.defaultEHLOName()
        #expect(SMTPEndpoint.isValidEHLOName(name))
        #expect(name.contains("."))
    }
}
