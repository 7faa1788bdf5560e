@testable import SeatMeterCurl
import Testing

@Suite("SMTP transcript: replies by command, from libcurl's trace")
struct SMTPTranscriptTests {
    private func out(_ transcript: inout SMTPTranscript, _ text: String) {
        Array(text.utf8).withUnsafeBytes { transcript.commandSent($0) }
    }

    private func reply(_ transcript: inout SMTPTranscript, _ text: String) {
        Array(text.utf8).withUnsafeBytes { transcript.replyReceived($0) }
    }

    @Test func followsAWholeDialogue() {
        var transcript = SMTPTranscript(recipientCount: 3)
        reply(&transcript, "220 mx ESMTP\r\n")
        out(&transcript, "EHLO client.test\r\n")
        for line in ["250-mx\r\n", "250-AUTH PLAIN LOGIN\r\n", "250 SIZE 100\r\n"] { reply(&transcript, line) }
        out(&transcript, "AUTH LOGIN\r\n")
        reply(&transcript, "334 VXNlcm5hbWU6\r\n")
        out(&transcript, "cmVwb3J0ZXI=\r\n")
        reply(&transcript, "334 UGFzc3dvcmQ6\r\n")
        out(&transcript, "c2VjcmV0\r\n")
        reply(&transcript, "235 2.7.0 ok\r\n")
        #expect(transcript.lastReply?.command == .auth)
        out(&transcript, "MAIL FROM:<a@example.com> SIZE=5\r\n")
        reply(&transcript, "250 ok\r\n")
        out(&transcript, "RCPT TO:<b@example.com>\r\n")
        reply(&transcript, "250 ok\r\n")
        out(&transcript, "RCPT TO:<reject@example.com>\r\n")
        reply(&transcript, "550-5.1.1 no such\r\n")
        reply(&transcript, "550 5.1.1 mailbox\r\n")
        out(&transcript, "RCPT TO:<c@example.com>\r\n")
        reply(&transcript, "251 forwarded\r\n")
        out(&transcript, "DATA\r\n")
        reply(&transcript, "354 go\r\n")
        #expect(transcript.outstanding == .message)
        #expect(transcript.messageMayHaveBeenQueued(fullyUploaded: true))
        reply(&transcript, "250 queued as 1\r\n")
        out(&transcript, "QUIT\r\n")
        reply(&transcript, "221 bye\r\n")

        #expect(
            transcript.recipientReplies == [
                SMTPReply(code: 250, text: "ok"), SMTPReply(code: 550, text: "5.1.1 no such 5.1.1 mailbox"),
                SMTPReply(code: 251, text: "forwarded"),
            ]
        )
        #expect(transcript.mailReply == SMTPReply(code: 250, text: "ok"))
        #expect(transcript.messageReply == SMTPReply(code: 250, text: "queued as 1"))
        #expect(transcript.lastReply?.command == .message)  // QUIT's 221 does not count
        #expect(!transcript.allRecipientsRefused)
        #expect(!transcript.messageMayHaveBeenQueued(fullyUploaded: true))
    }

    @Test func storesNothingOfTheAuthExchange() {
        var transcript = SMTPTranscript(recipientCount: 1)
        reply(&transcript, "220 mx\r\n")
        out(&transcript, "AUTH PLAIN AHJlcG9ydGVyAGh1bnRlcjI=\r\n")
        reply(&transcript, "535 5.7.8 nope\r\n")
        let dump =
            String(reflecting: transcript) + String(describing: Mirror(reflecting: transcript).children.map(\.value))
        #expect(!dump.contains("AHJlcG9ydGVyAGh1bnRlcjI"))
        #expect(transcript.lastReply?.command == .auth)
        #expect(transcript.lastReply?.reply.code == 535)
    }

    @Test func linesSplitAcrossCallsAndCommandsSentInPieces() {
        var transcript = SMTPTranscript(recipientCount: 2)
        out(&transcript, "RCPT TO:<a@exa")
        out(&transcript, "mple.com>\r\n")
        reply(&transcript, "45")
        reply(&transcript, "0 4.2.0 greylisted\r")
        reply(&transcript, "\n")
        out(&transcript, "RCPT TO:<b@example.com>\r\n")
        reply(&transcript, "550 no\r\n250 stray second line\r\n")
        #expect(
            transcript.recipientReplies == [
                SMTPReply(code: 450, text: "4.2.0 greylisted"),
                SMTPReply(code: 550, text: "no"),
            ]
        )
        #expect(transcript.allRecipientsRefused)
    }

    @Test func repliesAreBoundedAndCleaned() {
        var transcript = SMTPTranscript(recipientCount: 1)
        out(&transcript, "MAIL FROM:<a@example.com>\r\n")
        reply(&transcript, "550 \u{1B}[31m" + String(repeating: "x", count: 5000) + "\r\n")
        let text = transcript.mailReply?.text ?? ""
        #expect(text.count <= SMTPTranscript.maximumReplyText + 1)
        #expect(!text.contains("\u{1B}"))
        #expect(transcript.recipientReplies == [nil])
        #expect(!transcript.allRecipientsRefused)
    }

    @Test func nonReplyLinesAreIgnored() {
        var transcript = SMTPTranscript(recipientCount: 1)
        out(&transcript, "RCPT TO:<a@example.com>\r\n")
        reply(&transcript, "garbage\r\n\r\n25\r\n")
        #expect(transcript.recipientReplies == [nil])
        reply(&transcript, "250\r\n")
        #expect(transcript.recipientReplies == [SMTPReply(code: 250, text: "")])
    }
}
