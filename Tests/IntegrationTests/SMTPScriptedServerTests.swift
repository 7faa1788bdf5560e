import Foundation
@testable import SeatMeterCurl
import Testing
import TestSupport

/// Transient refusals and failures after the message was handed over, against ``ScriptedSMTPServer``.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct SMTPScriptedServerTests {
    static let message = Array("Subject: scripted\r\n\r\nbody\r\n".utf8)

    private func send(
        _ server: ScriptedSMTPServer,
        timeout: Duration = .seconds(10),
        recipients: [String] = [
            "a@example.com", "b@example.com",
        ]
    ) throws -> SMTPError {
        try #require(throws: SMTPError.self) {
            try SMTPSender(endpoint: server.endpoint(timeout: timeout)).send(
                from: SMTPTestMail.from,
                recipients: recipients,
                message: Self.message
            )
        }
    }

    @Test("a 421 greeting: transient, nothing delivered")
    func greeting421() throws {
        let error = try send(ScriptedSMTPServer(.greeting421))
        #expect(error.reply?.code == 421)
        #expect(error.isTransient)
        #expect(!error.possiblyDelivered)
    }

    @Test("every recipient refused with 452: allRecipientsRejected, transient")
    func recipients452() throws {
        let error = try send(ScriptedSMTPServer(.recipients452))
        #expect(error.kind == .allRecipientsRejected)
        #expect(error.rejected.map(\.reply.code) == [452, 452])
        #expect(error.isTransient)
    }

    @Test("451 after the message: protocolError, transient, not delivered")
    func message451() throws {
        let error = try send(ScriptedSMTPServer(.message451))
        #expect(error.kind == .protocolError)
        #expect(error.reply == SMTPReply(code: 451, text: "4.3.0 try again later"))
        #expect(error.isTransient)
        #expect(!error.possiblyDelivered)
    }

    @Test("the connection drops after the whole message: connectionFailed, possibly delivered")
    func dropAfterMessage() throws {
        let error = try send(ScriptedSMTPServer(.dropAfterMessage))
        #expect(error.kind == .connectionFailed)
        #expect(error.isTransient)
        #expect(error.possiblyDelivered)
    }

    @Test("the server stalls after the whole message: timeout, possibly delivered")
    func stallAfterMessage() throws {
        let error = try send(ScriptedSMTPServer(.stallAfterMessage), timeout: .seconds(2))
        #expect(error.kind == .timeout)
        #expect(error.possiblyDelivered)
    }
}
