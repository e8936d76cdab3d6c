/// Item metadata read from an items file (movies, businesses, attribute lists), before it joins the interactions.
public struct ItemTable: Sendable {
    /// Item ids in file order.
    public var ids = IDIndex()
    /// Titles (or names) by item index; empty strings when unknown.
    public var titles: [String] = []
    /// Category names by item index, in the file's order within each item.
    public var categories: [[String]] = []

    /// An empty table.
    public init() {}

    /// Adds an item and returns its index, or nil when the id is already present.
    public mutating func add(integerID: Int64, title: String, categories itemCategories: [String]) -> Int32? {
        guard ids.lookup(integerID) == nil else { return nil }
        let index = ids.insert(integerID)
        titles.append(title)
        categories.append(itemCategories)
        return index
    }

    /// Adds an item read from line `line` of `file` and returns its index.
    /// - Throws: `DatasetError` at column 1, field `field`: "duplicate movie id N" when the id is already present.
    mutating func addMovie(
        integerID: Int64, title: String, categories itemCategories: [String], file: String, line: Int, field: String
    ) throws -> Int32 {
        guard let index = add(integerID: integerID, title: title, categories: itemCategories) else {
            throw DatasetError(
                file: file, line: line, column: 1, field: field, message: "duplicate movie id \(integerID)")
        }
        return index
    }

    /// Adds an item with a string id and returns its index, or nil when the id is already present.
    public mutating func add(stringID: String, title: String, categories itemCategories: [String]) -> Int32? {
        guard ids.lookup(stringID) == nil else { return nil }
        let index = ids.insert(stringID)
        titles.append(title)
        categories.append(itemCategories)
        return index
    }

    /// Attaches titles and categories to a dataset whose item indices start with this table's items.
    ///
    /// Category order: `categoryOrder` when given (names missing from it are appended sorted), else the sorted
    /// names (MovieLens genres sort to the README's order).
    public func attach(to dataset: inout InteractionDataset, categoryOrder: [String]? = nil) {
        var names = categoryOrder ?? []
        var known = Set(names)
        var extra = Set<String>()
        for list in categories { for name in list where !known.contains(name) { extra.insert(name) } }
        names += extra.sorted()
        known.formUnion(extra)
        var indexOf: [String: Int32] = [:]
        for (index, name) in names.enumerated() { indexOf[name] = Int32(index) }
        var itemCategories = [[Int32]](repeating: [], count: dataset.itemCount)
        var itemTitles = [String](repeating: "", count: dataset.itemCount)
        for item in 0..<min(categories.count, dataset.itemCount) {
            var seen = Set<Int32>()
            itemCategories[item] = categories[item].compactMap { name in
                guard let index = indexOf[name], seen.insert(index).inserted else { return nil }
                return index
            }
            itemTitles[item] = titles[item]
        }
        dataset.categoryNames = names
        dataset.itemCategories = itemCategories
        dataset.itemTitles = itemTitles
    }
}

/// User metadata read from a users file (MovieLens): ids and categorical attributes by user index.
public struct UserTable: Sendable {
    /// User ids in file order.
    public var ids = IDIndex()
    /// Gender by user index (`F`, `M`).
    public var gender = UserAttribute(names: ["F", "M"], values: [])
    /// Age group by user index (MovieLens-1M's seven groups).
    public var ageGroup = UserAttribute(names: InteractionDataset.ageGroupNames, values: [])
    /// Occupation by user index.
    public var occupation: UserAttribute

    /// An empty table with the dataset's occupation names.
    public init(occupationNames: [String]) {
        occupation = UserAttribute(names: occupationNames, values: [])
    }

    /// Copies the attributes onto a dataset whose user indices start with this table's users.
    public func attach(to dataset: inout InteractionDataset) {
        func extend(_ attribute: UserAttribute) -> UserAttribute {
            var values = Array(attribute.values.prefix(dataset.userCount))
            values += repeatElement(-1, count: dataset.userCount - values.count)
            return UserAttribute(names: attribute.names, values: values)
        }
        dataset.gender = extend(gender)
        dataset.ageGroup = extend(ageGroup)
        dataset.occupation = extend(occupation)
    }
}
