import Learning
import Sequences
import Testing

@Suite("UserEmbedder")
struct UserEmbedderTests {
    let data = TrainingFixtures.data

    @Test(arguments: [EncoderKind.transformer, .meanPool])
    func embedsInEvalModeWithOneRowPerUser(kind: EncoderKind) throws {
        var config = TrainingFixtures.encoder
        config.kind = kind
        let encoder = try EncoderFactory.make(config, seed: 9)
        let embedder = try UserEmbedder(config: config, checkpoint: EncoderFactory.checkpointBytes(of: encoder))
        let users = Array(data.testUsers.prefix(70))
        let rows = embedder.embed(data: data, users: users, batchSize: 32)
        #expect(rows.count == users.count)
        #expect(rows.allSatisfy { $0.count == config.dimension && $0.allSatisfy(\.isFinite) })
        // Batching does not change a user's row; eval mode has no randomness.
        let single = embedder.embed(data: data, users: [users[40]], batchSize: 1)
        #expect(zip(single[0], rows[40]).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        #expect(embedder.embed(data: data, users: users, batchSize: 32) == rows)
        // Distinct histories give distinct rows.
        #expect(rows[0] != rows[1])
    }

    @Test func restoringIntoAnotherArchitectureNamesTheEntry() throws {
        let encoder = try EncoderFactory.make(TrainingFixtures.encoder, seed: 1)
        var wider = TrainingFixtures.encoder
        wider.dimension = 48
        #expect {
            try UserEmbedder(config: wider, checkpoint: EncoderFactory.checkpointBytes(of: encoder))
        } throws: { error in
            (error as? EncoderError)?.message.contains("item_embedding.weight") == true
        }
        #expect(throws: EncoderError.self) {
            try UserEmbedder(config: TrainingFixtures.encoder, checkpoint: [1, 2, 3])
        }
    }
}
