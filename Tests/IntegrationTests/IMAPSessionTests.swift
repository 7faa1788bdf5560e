import Foundation
import Glibc
@testable import SeatMeterCurl
import Testing
import TestSupport

@Suite(.serialized, .timeLimit(.minutes(5)))
struct IMAPSessionTests {
    @Test("EXAMINE and a header fetch return the delivered fields byte for byte", arguments: Transport.allCases)
    func fetchesExactFields(transport: Transport) throws {
        let server = try DovecotServer()
        let messages = (1...5).map { IMAPTestMail.message($0) }
        try server.deliver(messages.map { ($0, "S") })
        let session = try IMAPSession(endpoint: server.endpoint(transport))
        let status = try session.examine("INBOX")
        #expect(status.exists == 5)
        #expect(status.uidNext == 6)
        #expect(status.uidValidity > 0)
        let headers = try session.collect(1...UInt32(status.uidNext - 1))
        #expect(headers.map(\.uid) == [1, 2, 3, 4, 5])
        for (header, raw) in zip(headers, messages) {
            #expect(String(decoding: header.bytes, as: UTF8.self)
                == String(decoding: IMAPTestMail.expectedFields(of: raw), as: UTF8.self))
        }
        session.logout()
    }
}
