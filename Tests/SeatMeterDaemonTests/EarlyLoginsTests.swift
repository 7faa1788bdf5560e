import Logging
import SeatMeterDaemon
import Testing

@Suite struct EarlyLoginsTests {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test func onlyPasswordAccountsLogInAhead() throws {
        // An OAuth2 login reports token incidents to the ledger, which is not open yet: no early login for it. (Were
        // one started, `take` would hand out its failure: nothing listens on port 9 of 127.0.0.1.)
        let configuration = try SeatMeterConfiguration.parse(
            yaml: """
                accounts:
                  - name: oauth
                    url: "imap://127.0.0.1:9"
                    username: u
                    allow_insecure: true
                    auth: oauth2
                    token_url: "http://127.0.0.1:9/token"
                    client_id: c
                    client_secret_env: SEATMETER_TEST_UNSET_SECRET
                """,
            file: "/etc/seatmeter/seatmeter.yaml", environment: [:])
        let early = EarlyLogins(accounts: configuration.accounts, logger: Self.quiet)
        #expect(early.take("oauth") == nil)
        #expect(early.take("no-such-account") == nil)
    }
}
