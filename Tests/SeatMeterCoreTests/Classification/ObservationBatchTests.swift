import Foundation
import SeatMeterCore
import TestSupport
import Testing

@Suite("Observation batch: the compact form classification consumes")
struct ObservationBatchTests {
    /// Synthetic messages plus the awkward cases: undated, no Message-ID, an empty Message-ID and subject, no
    /// subject, no location, several locations, an automated message.
    static let observations: [MessageObservation] = {
        var observations = SyntheticLedger.observations(messages: 2_000, people: 120, agents: 6)
        observations[3].date = nil
        observations[4].messageID = nil
        observations[5].messageID = ""
        observations[5].subject = ""
        observations[6].subject = nil
        observations[7].locations = []
        observations[8].locations = [
            FolderLocation(account: "a", folder: "INBOX", role: .incoming),
            FolderLocation(account: "a", folder: "Sent", role: .outgoing),
        ]
        observations[9].automation = AutomationFacts(reasons: ["list-id", "precedence: bulk"])
        observations[10].appearances = []
        return observations
    }()

    @Test func everyMessageComesBackAsItWentIn() {
        let batch = ObservationBatch(Self.observations)
        #expect(batch.count == Self.observations.count)
        for (index, expected) in Self.observations.enumerated() {
            var back = batch.observation(index)
            #expect(back.key == (expected.messageID.map { $0.isEmpty ? nil : "mid:" + $0 } ?? nil) ?? "batch:\(index)")
            back.key = expected.key
            #expect(back == expected)
        }
    }

    @Test func convertingInPartsEqualsConvertingAtOnce() {
        let whole = ObservationBatch(Self.observations)
        let parts = ObservationBatch(Self.observations, parallelMinimum: 300)
        #expect(parts.observations == whole.observations)
        #expect(Set(parts.addresses) == Set(whole.addresses))
        #expect(parts.addresses.count == whole.addresses.count)
        #expect(parts.names.count == whole.names.count)
    }

    @Test func addressesAndNamesAreNumberedOnce() {
        let batch = ObservationBatch(Self.observations)
        let addresses = Set(Self.observations.flatMap { $0.appearances.map(\.mailbox.address) })
        let names = Set(Self.observations.flatMap { $0.appearances.map(\.mailbox.name) }).union([""])
        #expect(batch.addresses.count == addresses.count)
        #expect(Set(batch.addresses) == addresses)
        #expect(batch.names.count == names.count)
        #expect(batch.names.first == "")
    }

    @Test func appendingBatchesEqualsOneBatch() {
        let whole = ObservationBatch(Self.observations)
        // Two parts over the same address and name tables, each with its own folder and reason lists.
        var first = ObservationBatch(addresses: whole.addresses, names: whole.names)
        var second = ObservationBatch(addresses: whole.addresses, names: whole.names)
        func add(_ index: Int, to part: inout ObservationBatch) {
            let observation = Self.observations[index]
            for slot in whole.appearances(of: index) {
                part.appendAppearance(
                    address: whole.appearanceAddresses[slot], field: whole.appearanceFields[slot],
                    name: whole.appearanceNames[slot])
            }
            let folders = part.intern(folders: observation.locations)
            let reasons = part.intern(reasons: observation.automation.reasons)
            let messageID = Array((observation.messageID ?? "").utf8)
            let subject = Array((observation.subject ?? "").utf8)
            messageID.withUnsafeBytes { id in
                subject.withUnsafeBytes { text in
                    part.appendMessage(
                        date: whole.dates[index], folderList: folders, reasonList: reasons,
                        messageID: observation.messageID == nil ? nil : id,
                        subject: observation.subject == nil ? nil : text)
                }
            }
        }
        // Each part numbers its folder and reason lists on its own: appending renumbers the later parts'. Appended
        // parts keep their Message-ID and subject text (segments): an empty part, messages added after appending.
        var third = ObservationBatch(addresses: whole.addresses, names: whole.names)
        for index in 0..<700 { add(index, to: &first) }
        for index in 700..<1_300 { add(index, to: &second) }
        for index in 1_300..<1_700 { add(index, to: &third) }
        first.append(ObservationBatch(addresses: whole.addresses, names: whole.names))
        first.append(second)
        first.append(third)
        for index in 1_700..<whole.count { add(index, to: &first) }
        #expect(first.observations == whole.observations)
        #expect((0..<whole.count).allSatisfy { first.subject(of: $0) == Self.observations[$0].subject })
    }

    @Test func classifyingTheBatchEqualsClassifyingTheObservations() throws {
        let classifier = try Classifier(rules: SyntheticLedger.rules)
        let batch = ObservationBatch(Self.observations)
        #expect(
            classifier.history(batch, parallelChunkMinimum: 300).classification(in: nil)
                == classifier.classify(Self.observations, window: nil))
    }
}
