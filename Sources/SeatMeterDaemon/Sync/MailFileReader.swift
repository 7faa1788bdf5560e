import Foundation

/// Reads messages from a local export for backfill: a Maildir (with `.Sub` folders) or an mbox file.
/// Only header blocks matter; each message's bytes are handed out one at a time, so memory stays flat.
package enum MailFileReader {
    package enum Layout: Sendable, Equatable {
        case maildir
        case mbox
    }

    package struct ReadError: Error, CustomStringConvertible {
        package var description: String
    }

    /// Detects the layout of `path`: a directory with `cur`/`new` is a Maildir, a regular file is an mbox.
    package static func layout(of path: String) throws -> Layout {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReadError(description: "no such file or directory: \(path)")
        }
        if !isDirectory.boolValue { return .mbox }
        let fm = FileManager.default
        if fm.fileExists(atPath: path + "/cur") || fm.fileExists(atPath: path + "/new") { return .maildir }
        throw ReadError(description: "\(path) is a directory but not a Maildir (it has no cur/ or new/)")
    }

    /// Calls `body` with (folder, message bytes) for every message. Maildir folders are `INBOX` and the
    /// names of `.Sub` folders (`Sent` for `.Sent`); an mbox is one folder named after the file.
    package static func forEachMessage(
        at path: String, _ body: (_ folder: String, _ bytes: [UInt8]) throws -> Void
    ) throws {
        switch try layout(of: path) {
        case .maildir:
            for (folder, directory) in try maildirFolders(path) {
                for sub in ["cur", "new"] {
                    let dir = directory + "/" + sub
                    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
                    var buffer: [UInt8] = []
                    for name in names.sorted() where !name.hasPrefix(".") {
                        try readFile(dir + "/" + name, into: &buffer)
                        try body(folder, buffer)
                    }
                }
            }
        case .mbox:
            let folder = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            } catch {
                throw ReadError(description: "cannot read \(path): \(error.localizedDescription)")
            }
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                try splitMbox(raw.bindMemory(to: UInt8.self)) { try body(folder, $0) }
            }
        }
    }

    /// Reads a whole file into `buffer` with plain POSIX calls (one `fstat`, reads straight into the array).
    package static func readFile(_ path: String, into buffer: inout [UInt8]) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        let size = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        // Read into the caller's buffer, keeping its capacity from file to file. Room for one byte more than the
        // size: once the size is read and room is left, that is the end of the file (one read() in the common
        // case); no room left means the file grew, so read on.
        buffer.removeAll(keepingCapacity: true)
        var length = 0
        var room = size + 1
        while true {
            if buffer.count < length + room { buffer += repeatElement(0, count: length + room - buffer.count) }
            let got = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress.map { $0 + length }, room) }
            if got < 0 && errno == EINTR { continue }
            if got < 0 {
                throw ReadError(description: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            length += got
            room -= got
            if room > 0 && length >= size { break }
            if room == 0 { room = 65_536 }
        }
        buffer.removeLast(buffer.count - length)
    }

    /// Folder names and directories of a Maildir++ tree.
    static func maildirFolders(_ path: String) throws -> [(String, String)] {
        var folders = [("INBOX", path)]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for entry in entries.sorted() where entry.hasPrefix(".") && entry != "." && entry != ".." {
            let directory = path + "/" + entry
            if FileManager.default.fileExists(atPath: directory + "/cur") {
                folders.append((String(entry.dropFirst()), directory))
            }
        }
        return folders
    }

    /// Splits an mbox at `From ` lines that start a line (mboxrd/mboxo); the separator line is dropped.
    static func splitMbox(_ bytes: UnsafeBufferPointer<UInt8>, _ body: ([UInt8]) throws -> Void) throws {
        let from: [UInt8] = Array("From ".utf8)
        func isSeparator(at index: Int) -> Bool {
            guard index + from.count <= bytes.count else { return false }
            for offset in 0..<from.count where bytes[index + offset] != from[offset] { return false }
            return true
        }
        var messageStart: Int?
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            if isSeparator(at: lineStart) {
                if let start = messageStart, start < lineStart { try body(Array(bytes[start..<lineStart])) }
                messageStart = min(lineEnd + 1, bytes.count)
            } else if messageStart == nil {
                messageStart = lineStart
            }
            lineStart = lineEnd + 1
        }
        if let start = messageStart, start < bytes.count { try body(Array(bytes[start..<bytes.count])) }
    }
}
