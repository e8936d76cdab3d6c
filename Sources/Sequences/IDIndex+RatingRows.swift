extension IDIndex {
    /// The index of `id` as named by a ratings row (pure).
    ///
    /// When `listing` names the metadata file the ids must come from (e.g. `"u.user"`), the id must already be in
    /// this index; otherwise it is inserted if new.
    /// - Throws: `DatasetError` at `file:line:column`, field `field`: "unknown `noun` id N (not in `listing`)".
    mutating func ratingRowIndex(
        of id: Int64, listedIn listing: String?, noun: String, file: String, line: Int, column: Int, field: String
    ) throws -> Int32 {
        guard let listing else { return insert(id) }
        guard let known = lookup(id) else {
            throw DatasetError(
                file: file, line: line, column: column, field: field,
                message: "unknown \(noun) id \(id) (not in \(listing))")
        }
        return known
    }
}
