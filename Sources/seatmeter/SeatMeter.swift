import ArgumentParser

@main
struct SeatMeter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seatmeter",
        abstract: "Counts help desk licence seats (Team and Support models) from mail headers.",
        subcommands: []
    )
}
