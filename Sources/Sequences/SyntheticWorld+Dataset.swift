extension SyntheticWorld {
    /// The world's data in memory, exactly what `SyntheticWriter` writes and `MovieLens1MReader` reads back
    /// (user ids `u + 1`, movie ids `item + 1`, sorted by (timestamp, file order)), without touching files.
    public func dataset(name: String = "synthetic") -> InteractionDataset {
        var builder = InteractionDatasetBuilder(hasRatings: true)
        for item in 0..<config.items { _ = builder.items.insert(Int64(item + 1)) }
        var gender: [Int32] = []
        var age: [Int32] = []
        var occupation: [Int32] = []
        for u in 0..<config.users {
            let user = self.user(u)
            let index = builder.users.insert(Int64(u + 1))
            for position in SyntheticWorld.fileOrder(of: user) {
                builder.append(
                    user: index, item: user.items[position], timestamp: user.timestamps[position],
                    rating: Float(user.ratings[position]))
            }
            gender.append(Int32(user.gender))
            age.append(Int32(user.ageGroup))
            occupation.append(Int32(user.occupation))
        }
        var dataset = builder.build(name: name)
        var table = ItemTable()
        for item in 0..<config.items {
            _ = table.add(
                integerID: Int64(item + 1), title: "Synthetic Movie \(item + 1) (\(1920 + item % 80))",
                categories: itemCategories[item].map { categoryNames[Int($0)] })
        }
        table.attach(to: &dataset)
        dataset.gender = UserAttribute(names: ["F", "M"], values: gender)
        dataset.ageGroup = UserAttribute(names: InteractionDataset.ageGroupNames, values: age)
        dataset.occupation = UserAttribute(names: MovieLens1MReader.occupationNames, values: occupation)
        return dataset
    }
}
