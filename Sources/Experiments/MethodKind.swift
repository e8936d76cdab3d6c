import Learning

/// The methods a spec can compare (PROTOCOL.md section 4), as they appear in `methods[].name` and job payloads.
public enum MethodKind: String, Sendable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    /// Barlow Twins over two augmented views.
    case barlowTwins = "barlow_twins"
    /// The next-item dual encoder.
    case dualEncoder = "dual_encoder"
    /// CL4SRec-style contrastive learning.
    case contrastive
    /// A randomly initialised encoder, no training.
    case none
    /// The bag-of-items featuriser (no encoder).
    case bagOfItems = "bag_of_items"
    /// Another method's embedding concatenated with the bag-of-items features.
    case hybrid

    /// The methods that train an encoder (and so take epochs, batch size, learning rate…).
    public static let trained: [MethodKind] = [.barlowTwins, .dualEncoder, .contrastive]

    /// Whether the method trains an encoder.
    public var trains: Bool { Self.trained.contains(self) }

    /// Whether the method has an encoder of its own that `fine_tune` can train (not `bag_of_items`, not `hybrid`).
    public var hasEncoder: Bool { pretrainMethod != nil }

    /// The pretraining method that produces its encoder; `nil` for `bag_of_items` and `hybrid`.
    public var pretrainMethod: PretrainMethod? { PretrainMethod(rawValue: rawValue) }

    /// Whether its embed job computes bag-of-items features (alone, or after another method's embedding).
    public var usesItemBag: Bool { self == .bagOfItems || self == .hybrid }

    /// The name as a spec writes it, so messages and logs read `barlow_twins`.
    public var description: String { rawValue }

    /// Orders methods as declared.
    public static func < (lhs: MethodKind, rhs: MethodKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
