extension AddressField {
    /// 0...9, for a bit set of seen fields.
    var ordinal: Int {
        switch self {
        case .from: 0
        case .sender: 1
        case .replyTo: 2
        case .to: 3
        case .cc: 4
        case .bcc: 5
        case .resentFrom: 6
        case .resentSender: 7
        case .resentTo: 8
        case .resentCc: 9
        }
    }

    /// `Resent-*` fields, which may legitimately repeat (RFC 5322 §3.6.6).
    var isResent: Bool {
        switch self {
        case .resentFrom, .resentSender, .resentTo, .resentCc: true
        default: false
        }
    }
}
