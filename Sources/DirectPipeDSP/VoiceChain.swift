/// The ready voice chain (`--chain voice`, the one-click voice): a rumble filter, the best noise removal this
/// machine has, a gentle gate, a little warmth out and presence in, compression, de-essing, the loudness auto-gain
/// and a limiter.
///
/// The noise removal is DeepFilterNet 3 when its runtime is here, else RNNoise, else speexdsp's suppression, each
/// step down with a warning that says what is missing, so the chain always starts.
public enum VoiceChain {
    /// The chain with the best noise removal the libraries allow, and the warning to show when it is not the best.
    public static func best(
        deepfilter: Result<DeepFilterLibrary, DeepFilterUnavailable> = DeepFilterLibrary.shared,
        rnnoise: Result<RNNoiseLibrary, RNNoiseUnavailable> = RNNoiseLibrary.shared
    ) -> (chain: ChainDescription, warning: String?) {
        switch (deepfilter, rnnoise) {
        case (.success, _): (chain(noiseRemoval: .init(id: DeepFilterEffect.info.id)), nil)
        case (.failure(let missing), .success):
            (chain(noiseRemoval: .init(id: RNNoiseEffect.info.id)), "the voice chain uses RNNoise, not DeepFilterNet: \(missing)")
        case (.failure, .failure(let missing)):
            (
                chain(noiseRemoval: .init(id: NoiseSuppressorEffect.info.id, parameters: ["suppression": -30])),
                "the voice chain uses speexdsp's noise suppression, weaker than RNNoise: \(missing)"
            )
        }
    }

    /// The voice chain around `noiseRemoval`.
    public static func chain(noiseRemoval: ChainDescription.Effect) -> ChainDescription {
        ChainDescription(effects: [
            .init(id: "highpass", parameters: ["frequency": 80, "slope": 24]),
            noiseRemoval,
            .init(id: "gate", parameters: ["threshold": -50, "range": -25, "hold": 120, "release": 200]),
            .init(
                id: "eq",
                parameters: [
                    "b1_freq": 120, "b1_gain": -1.5, "b2_freq": 350, "b2_gain": -2, "b2_q": 1.2, "b4_freq": 4000, "b4_gain": 2.5, "b5_gain": 1.5,
                ]),
            .init(id: "compressor", parameters: ["threshold": -22, "ratio": 3, "knee": 6, "attack": 8, "release": 150, "makeup": 5]),
            .init(id: "deesser", parameters: ["frequency": 6500, "threshold": -28, "reduction": 6]),
            .init(id: "autogain", parameters: ["target": -16]),
            .init(id: "limiter", parameters: ["ceiling": -1]),
        ])
    }
}
