import NeuralNet
import Randomness
import Sequences
import Tensors

/// Next-item Recall@k with full-catalogue ranking (the dual encoder's evidence that it trained).
///
/// For each user: the prefix is the history without its last item (its last `maxLength` items), the target
/// is the history's last item. `u` = user tower (eval mode), every item `1...N` scored by `cos(u, v_item)`; a hit
/// when fewer than `k` items score strictly higher than the target. Items already in the prefix stay in the
/// ranking. Users whose history has a single item are skipped.
public enum NextItemRecall {
    /// Recall@k of `encoder` + `catalogue` (`[N, d]` item vectors of items `1...N`, rows L2-normalised) on
    /// `users`' histories; nil when no user has a history of 2 or more items.
    public static func evaluate(encoder: any SequenceEncoder, catalogue: Tensor, data: PreparedDataset,
                                users: [Int32], k: Int = 10, batchSize: Int = 256) -> Double? {
        var prefixes: [ArraySlice<Int32>] = []
        var targets: [Int32] = []
        for user in users {
            let history = data.history(of: Int(user))
            guard history.count >= 2 else { continue }
            prefixes.append(history.dropLast().suffix(data.config.maxLength))
            targets.append(history.last!)
        }
        guard !targets.isEmpty else { return nil }
        var hits = 0
        var dropout = Xoshiro256StarStar(seed: 0)
        var start = 0
        while start < prefixes.count {
            let end = min(start + batchSize, prefixes.count)
            let batch = PaddedBatch(Array(prefixes[start..<end]), length: data.config.maxLength)
            let u = normalisedRows(encoder.forward(batch.tokenBatch, training: false, generator: &dropout))
            let scores = Tensor.matmul(u, .none, catalogue, .transposed)
            hits += hitCount(scores: scores, targets: Array(targets[start..<end]), k: k)
            start = end
        }
        return Double(hits) / Double(targets.count)
    }

    /// Rows of `scores` `[b, N]` (column `j` is item `j + 1`) whose target ranks in the top `k`: fewer than `k`
    /// items score strictly higher.
    public static func hitCount(scores: Tensor, targets: [Int32], k: Int) -> Int {
        let n = scores.columns
        var hits = 0
        scores.withUnsafeBufferPointer { p in
            for (row, target) in targets.enumerated() {
                let base = row * n
                let targetScore = p[base + Int(target) - 1]
                var higher = 0
                for j in 0..<n where p[base + j] > targetScore { higher += 1 }
                if higher < k { hits += 1 }
            }
        }
        return hits
    }

    /// Rows scaled to unit L2 norm (a zero row stays zero): `[n, d]` → `[n, d]`.
    public static func normalisedRows(_ x: Tensor) -> Tensor {
        var out = x.matrixView
        let d = out.columns
        out.withUnsafeMutableBufferPointer { p in
            for r in 0..<(p.count / max(d, 1)) {
                var sum: Float = 0
                for c in 0..<d { sum += p[r * d + c] * p[r * d + c] }
                let scale = sum > 0 ? 1 / sum.squareRoot() : 0
                for c in 0..<d { p[r * d + c] *= scale }
            }
        }
        return out
    }
}
