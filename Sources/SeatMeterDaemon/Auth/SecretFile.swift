import Foundation
import Glibc

/// Atomic replacement of a small secret file: a temporary file in the same directory (mode 0600), written and
/// `fsync`ed, renamed over the target, then the directory `fsync`ed, so a crash at any instant leaves either the
/// old or the new content, never neither.
enum SecretFile {
    struct WriteError: Error, CustomStringConvertible {
        var description: String
    }

    static func replace(_ path: String, with text: String) throws(WriteError) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = "\(directory)/.\(name).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WriteError(description: "cannot create \(temporary): \(errorText())") }
        var failure: String?
        let bytes = Array((text + "\n").utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count, let base = buffer.baseAddress {
                let written = write(fd, base + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    failure = "cannot write \(temporary): \(errorText())"
                    return
                }
                offset += written
            }
        }
        if failure == nil && fchmod(fd, 0o600) != 0 { failure = "cannot chmod \(temporary): \(errorText())" }
        if failure == nil && fsync(fd) != 0 { failure = "cannot fsync \(temporary): \(errorText())" }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 { failure = "cannot rename onto \(path): \(errorText())" }
        if let failure {
            unlink(temporary)
            throw WriteError(description: failure)
        }
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            defer { close(directoryFD) }
            guard fsync(directoryFD) == 0 else {
                throw WriteError(description: "cannot fsync the directory \(directory): \(errorText())")
            }
        }
    }

    /// The file's contents without surrounding white space; nil when unreadable or empty.
    static func readToken(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}
