import ArgumentParser

/// `latentot`: generative models by optimal transport in an autoencoder's latent space.
@main
struct LatentOTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latentot",
        abstract: "Generative models by semi-discrete optimal transport in an autoencoder's latent space.",
        subcommands: [TrainCommand.self, SampleCommand.self, InterpolateCommand.self, EvaluateCommand.self, ToyCommand.self, TransportCommand.self, AutoencoderCommand.self]
    )
}
