package import Foundation

/// Decides who is what from message observations and ``ClassificationRules``. Pure: the same observations with
/// other rules give another answer, with no refetch.
///
/// ## Per message (only messages in the window)
/// - **Senders** are `From`, `Sender`, `Resent-From`, `Resent-Sender`; **recipients** are `To`, `Cc`, `Bcc`,
///   `Resent-To`, `Resent-Cc`. `Reply-To` is not counted at all: a Reply-To-only address neither sent nor received
///   help desk mail (it appears among the excluded, reason ``ExclusionKind/replyToOnly``).
/// - A message is **incoming** when any location is an incoming folder (or it has no location), **outgoing** when
///   any location is an outgoing folder; it can be both.
/// - **Automated mail** (``AutomationFacts/isAutomated``): its senders do not count *for that message* (an
///   employee's out-of-office reply; the person still counts from their other mail). Its recipients count only
///   when the help desk sent it (outgoing, or `From`/`Sender` is a help desk address: acknowledgements);
///   recipients of other automated mail (a mailing list's own address, people copied on a bounce) do not count
///   from it. No agent is inferred from automated mail, except by ownership rules.
/// - **Not counted from any message**: the help desk's addresses and their aliases; system local parts;
///   ``ClassificationRules/ignore`` matches (of the identity, or of the address as written for that appearance);
///   external addresses when `countExternal` is false — unless on the roster (a listed agent counts wherever its
///   domain is).
///
/// ## Roles
/// - **Agent, confirmed**: the identity is a roster address or at a roster domain (subdomains included).
/// - **Agent, inferred** (non-automated mail):
///   - ``AgentReasonKind/onBehalf``: a countable `Sender` whose identity differs from every `From` identity — the
///     comparison ignores local-part case even when `foldLocalPartCase` is off, and never looks at display names;
///     not when the Sender is the help desk or a system address (they are never countable);
///   - ``AgentReasonKind/sentAsHelpdesk``: the same, but the `From` is a help desk address;
///   - ``AgentReasonKind/resent``: a `Resent-From`/`Resent-Sender` differing from every `From` (re-sending one's
///     own message is plain submission);
///   - ``AgentReasonKind/outgoingAuthor``: in `From` of a message in an outgoing folder (the help desk's own
///     address there is not a person);
///   - ``AgentReasonKind/ownershipRule``: named by an ownership rule (any message, automated included).
/// - **Free submitter**: not an agent; in `From` (or a `Sender` equal to it) of a non-automated incoming message.
///   A message with no `From` takes its `Sender` as author.
/// - **Free recipient**: not an agent, never submitted; received.
///
/// ## Window
/// `window` selects messages whose date is in `[start, end)` (half-open, so consecutive periods never share a
/// message). With a window, undated messages are left out (counted in
/// ``Classification/undatedMessagesSkipped``); with `nil`, every message counts, dated or not.
package struct Classifier: Sendable {
    /// Evidence messages kept per reason (most recent first); ``Reason/evidenceCount`` has the full count.
    package static let evidenceLimit = 5

    package let rules: ClassificationRules
    let compiled: CompiledRules

    /// Compiles the rules once: identities, alias chains, patterns, regular expressions.
    package init(rules: ClassificationRules) throws(ClassificationRulesError) {
        self.rules = rules
        self.compiled = try CompiledRules(rules)
    }

    /// The identity function these rules count people under.
    package var resolver: IdentityResolver { compiled.resolver }

    /// The identity `address` is counted under (case folding, plus-tags, aliases as configured).
    package func identity(of address: String) -> String { compiled.resolver.identity(address) }

    /// Classifies the observations that fall in `window` (all of them when nil). Only the window's messages are
    /// processed; for several windows over the same messages use ``classify(_:windows:)`` or
    /// ``history(_:parallelChunkMinimum:)``.
    package func classify(_ observations: [MessageObservation], window: DateInterval?) -> Classification {
        classify(ObservationBatch(observations), window: window)
    }

    /// ``classify(_:window:)`` for messages in compact form.
    package func classify(_ batch: ObservationBatch, window: DateInterval?) -> Classification {
        history(batch, within: window).classification(in: window)
    }
}
