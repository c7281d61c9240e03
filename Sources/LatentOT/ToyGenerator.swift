/// Which generator a toy experiment fits to its M targets: the method, or one of the baselines it
/// is compared with (issue 5). The baselines are trained on the same targets and scored by the same
/// protocol, so the table of `latentot toy --generator …` compares like with like.
public enum ToyGenerator: String, Codable, Sendable, CaseIterable {
    /// The semi-discrete OT map (the method), sampled by the pure or the extended sampler.
    case ot
    /// `ToyGAN`: an MLP generator against an MLP discriminator. Expected to drop modes (mode collapse).
    case gan
    /// `NeuralPotentialGenerator` ("reading B"): a network regressed onto mini-batch OT potentials,
    /// generation by x − ∇D(x)/K. Continuous, so expected to put samples between modes (mode mixture).
    case neuralPotential = "neural-potential"
}
