import Foundation
import Testing
import TestSupport

@testable import SeatMeterDaemon

@Suite struct MailFileReaderTests {
    @Test("readFile returns each file's exact bytes into one reused buffer, large before small and back")
    func readsExactBytesIntoAReusedBuffer() throws {
        let sizes = [0, 1, 4096, 200_000, 17, 0, 65_537]
        let directory = try TemporaryDirectory(prefix: "seatmeter-read")
        var buffer: [UInt8] = []
        for (index, size) in sizes.enumerated() {
            let path = directory.path + "/file-\(index)"
            let contents = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            try Data(contents).write(to: URL(fileURLWithPath: path))
            try MailFileReader.readFile(path, into: &buffer)
            #expect(buffer == contents, "file of \(size) bytes")
        }
    }

    @Test func aMissingFileIsAReadErrorNamingIt() throws {
        var buffer: [UInt8] = [1, 2, 3]
        let error = try #require(throws: MailFileReader.ReadError.self) {
            try MailFileReader.readFile("/nonexistent/seatmeter-file", into: &buffer)
        }
        #expect(error.description.contains("/nonexistent/seatmeter-file"))
    }
}
