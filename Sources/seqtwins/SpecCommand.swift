import ArgumentParser
import Experiments

/// `seqtwins spec fields`: the experiment spec's fields, generated from the decoder's own tables.
struct SpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spec",
        abstract: "Describe the experiment spec.",
        subcommands: [Fields.self]
    )

    /// `seqtwins spec fields`.
    struct Fields: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every spec field with its default, range and meaning, as a Markdown table (the README's).")

        func run() throws {
            print(ExperimentSpec.fieldTableMarkdown, terminator: "")
        }
    }
}
