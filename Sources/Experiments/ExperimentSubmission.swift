import Foundation
import Postgres
import Sequences

/// A spec checked against its dataset and planned: what `seqtwins enqueue FILE` prints and stores, and what the
/// `plan` job expands.
public struct ExperimentSubmission: Sendable {
    /// The spec.
    public var spec: ExperimentSpec
    /// Its jobs.
    public var plan: ExperimentPlan
    /// The tasks the dataset's metadata supports.
    public var supportedTasks: Set<String>
    /// What preprocessing does to the dataset (for the first seed's split).
    public var datasetSummary: DatasetSummary

    /// Checks the dataset's files (for a spec naming a path), loads and prepares the dataset through `loader` and
    /// `cache` to check the tasks, and plans the spec.
    /// - Throws: ``ExperimentSpecError`` naming the field (missing file, unsupported task, ...), the reader's
    ///   `DatasetError` naming the file, line and field of the first bad line, or what `loader` throws.
    public init(
        spec: ExperimentSpec, cache: DatasetCache = .shared, loader: any DatasetSourceLoader = LocalDatasetSource()
    ) throws {
        if spec.dataset.path != nil { try spec.validateDatasetFilesOnDisk() }
        let dataset: PreparedDataset
        let request = try DatasetRequest(spec: spec, seed: spec.seeds.first ?? 0)
        do {
            dataset = try cache.prepared(request, from: loader)
        } catch let error as DatasetRequestError {
            // A preprocessing setting the data cannot satisfy: name it.
            guard let setting = error.setting else { throw error }
            throw ExperimentSpecError(path: "preprocessing.\(setting)", message: error.message)
        }
        try spec.validate(against: dataset)
        try spec.checkResources(itemCount: dataset.itemCount, interactions: dataset.items.count)
        self.spec = spec
        self.supportedTasks = dataset.supportedTaskNames
        self.datasetSummary = DatasetSummary(source: try cache.source(request, from: loader), prepared: dataset)
        self.plan = try ExperimentPlan(spec: spec, supportedTasks: supportedTasks)
    }

    /// Reads a spec file, replacing `dataset.path` when `datasetPath` is given (a relative path in the file is
    /// taken relative to the working directory, as the workers will see it).
    /// - Throws: ``SpecFileError`` naming the file and, for a bad spec, the field.
    public static func read(file: URL, datasetPath: String? = nil, itemAttributes: String? = nil) throws -> ExperimentSpec {
        let data = try readSpecFile(file.path)
        do {
            var spec = try ExperimentSpec(json: data)
            if let datasetPath { spec.dataset.path = Self.absolute(datasetPath) }
            else if let path = spec.dataset.path { spec.dataset.path = Self.absolute(path) }
            if let itemAttributes { spec.dataset.itemAttributes = Self.absolute(itemAttributes) }
            else if let path = spec.dataset.itemAttributes { spec.dataset.itemAttributes = Self.absolute(path) }
            return spec
        } catch let error as ExperimentSpecError {
            let errors = error.all
            throw SpecFileError(
                file: file.path,
                message: errors.count == 1
                    ? error.description
                    : "\(errors.count) errors:\n" + errors.map { "  " + $0.description }.joined(separator: "\n"))
        }
    }

    /// The largest spec file the CLI reads (a spec is a few kilobytes).
    public static let maxSpecFileBytes = 1 << 20

    /// Reads a regular file of at most ``maxSpecFileBytes``. A directory, a FIFO, a device (`/dev/zero`) or a
    /// socket is refused before anything is read, so the CLI never waits on a pipe or reads without end.
    /// - Throws: ``SpecFileError`` saying what the path is and what was expected.
    static func readSpecFile(_ path: String) throws -> Data {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            throw SpecFileError(file: path, message: "cannot read the file (\(reason)); expected a JSON spec file")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SpecFileError(file: path, message: "cannot read the file (\(String(cString: strerror(errno))))")
        }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG else {
            let what = switch type {
            case S_IFDIR: "a directory"
            case S_IFIFO: "a FIFO (named pipe)"
            case S_IFCHR: "a character device"
            case S_IFBLK: "a block device"
            case S_IFSOCK: "a socket"
            default: "not a regular file"
            }
            throw SpecFileError(file: path, message: "is \(what); expected a JSON spec file")
        }
        guard info.st_size <= maxSpecFileBytes else {
            throw SpecFileError(file: path, message: "is \(info.st_size) bytes; a spec file is at most "
                                + "\(maxSpecFileBytes) bytes (1 MiB)")
        }
        let data: Data
        do {
            data = try FileHandle(fileDescriptor: fd, closeOnDealloc: false).read(upToCount: maxSpecFileBytes + 1)
                ?? Data()
        } catch {
            throw SpecFileError(file: path, message: "cannot read the file (\(error.localizedDescription))")
        }
        guard data.count <= maxSpecFileBytes else {
            throw SpecFileError(file: path, message: "is larger than \(maxSpecFileBytes) bytes (1 MiB), the most a "
                                + "spec file may be")
        }
        return data
    }

    /// Stores the spec (with defaults filled in) and its `plan` job, at `priority`. Returns the experiment id.
    public func enqueue(_ db: PostgresConnection, priority: Int = 0) throws -> Int64 {
        let json = String(decoding: try spec.canonicalJSON(), as: UTF8.self)
        return try ResultsStore(db).enqueueExperiment(specJSON: json, priority: priority)
    }

    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent(path).standardizedFileURL.path
    }
}

/// A spec file could not be read or is not a valid spec.
public struct SpecFileError: Error, CustomStringConvertible, Sendable {
    /// The file.
    public var file: String
    /// What is wrong (for a bad spec: the field's path, what was found and what is allowed).
    public var message: String

    /// An error about `file`.
    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    /// `FILE: message`.
    public var description: String { "\(file): \(message)" }
}
