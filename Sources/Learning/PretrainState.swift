import NeuralNet
import Tensors

/// The `trainer.state` checkpoint entry: `[epoch, step, method, seed low 32 bits, seed high 32 bits]`, each a
/// UInt32 stored as a Float bit pattern (checkpoints round-trip bit patterns exactly).
enum PretrainStateEntry {
    static let name = "trainer.state"

    /// The entry for a run of `method` with `seed` after `epoch` epochs and `step` steps.
    static func entry(epoch: Int, step: Int, method: PretrainMethod, seed: UInt64) -> Checkpoint.Entry {
        let code = UInt32(PretrainMethod.allCases.firstIndex(of: method)!)
        let words: [UInt32] = [UInt32(epoch), UInt32(step), code, UInt32(truncatingIfNeeded: seed),
                               UInt32(truncatingIfNeeded: seed >> 32)]
        return Checkpoint.Entry(name: name, kind: .optimizerState,
                                tensor: Tensor(shape: [words.count], storage: words.map { Float(bitPattern: $0) }))
    }

    /// Decodes `bytes` and reads the entry back.
    static func read(_ bytes: [UInt8]) throws(EncoderError)
        -> (checkpoint: Checkpoint, epoch: Int, step: Int, method: PretrainMethod, seed: UInt64) {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(decoding: bytes)
        } catch {
            throw EncoderError("training state: \(error.description)")
        }
        guard let entry = checkpoint.entries.first(where: { $0.name == name }), entry.tensor.count == 5 else {
            throw EncoderError("training state: checkpoint has no '\(name)' entry of 5 values (not a pretraining "
                               + "checkpoint)")
        }
        let words = entry.tensor.storage.map(\.bitPattern)
        guard Int(words[2]) < PretrainMethod.allCases.count else {
            throw EncoderError("training state: unknown method code \(words[2]) in '\(name)'")
        }
        return (checkpoint, Int(words[0]), Int(words[1]), PretrainMethod.allCases[Int(words[2])],
                UInt64(words[3]) | UInt64(words[4]) << 32)
    }
}
