extension ExperimentSpec {
    /// Checks the spec against the loaded dataset's tasks: every task in ``tasks`` must be in `supportedTasks`.
    /// - Parameters:
    ///   - supportedTasks: the tasks the dataset's metadata allows (PROTOCOL.md section 2).
    ///   - datasetName: how to name the dataset in the message; default the dataset kind.
    /// - Throws: ``ExperimentSpecError`` at `tasks[i]`, e.g.
    ///   `tasks[1]: task "gender" is not supported by dataset yelp; supported: future_categories, next_category, …`.
    public func validate(supportedTasks: Set<String>, datasetName: String? = nil) throws {
        let name = datasetName ?? dataset.displayName
        let supported = Self.taskNames.filter(supportedTasks.contains)
        for (index, task) in tasks.enumerated() where !supportedTasks.contains(task) {
            throw ExperimentSpecError(
                path: "tasks[\(index)]",
                message: "task \"\(task)\" is not supported by dataset \(name); supported: "
                    + (supported.isEmpty ? "none" : supported.joined(separator: ", ")))
        }
    }

    /// Checks that the dataset's files exist, asking `exists` (a file-system probe the caller passes in, so that
    /// this stays free of I/O). Synthetic datasets have no files.
    /// - Throws: ``ExperimentSpecError`` at `dataset.path` or `dataset.item_attributes`, e.g.
    ///   `dataset.path: no such file or folder "/data/ml-1m"`.
    public func validateDatasetFiles(exists: (String) -> Bool) throws {
        if let path = dataset.path, !exists(path) {
            throw ExperimentSpecError(path: "dataset.path", message: "no such file or folder \"\(path)\"")
        }
        if let path = dataset.itemAttributes, !exists(path) {
            throw ExperimentSpecError(path: "dataset.item_attributes", message: "no such file \"\(path)\"")
        }
    }

    /// The tasks scored as multi-label (macro ROC-AUC over one binary probe per category).
    public func isMultiLabel(task: String) -> Bool { Self.multiLabelTasks.contains(task) }
}
