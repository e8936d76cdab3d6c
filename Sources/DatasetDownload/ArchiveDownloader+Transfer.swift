import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension ArchiveDownloader {
    /// Downloads `archive.url` into `part` until the file holds `archive.size` bytes, resuming what is there.
    ///
    /// A `.part` larger than the pinned size is discarded; one the server will not resume (HTTP 416, or a 206 that
    /// starts elsewhere) is discarded and the download restarted once. A server that ignores `Range` and answers
    /// 200 overwrites the file from its start.
    ///
    /// - Throws: ``DownloadError`` from the transfer (see ``fetch(_:)``).
    func download(_ archive: PublicArchive, to part: URL) throws {
        var restarted = false
        while true {
            var offset = Self.fileSize(part)
            if offset > archive.size {
                try? FileManager.default.removeItem(at: part)
                offset = 0
            }
            if offset == archive.size { return }
            switch try transfer(archive, to: part, from: offset) {
            case .complete:
                return
            case .restart(let reason):
                try? FileManager.default.removeItem(at: part)
                guard !restarted else {
                    throw DownloadError(.transport, "\(archive.url.absoluteString): \(reason), even after a restart")
                }
                restarted = true
            }
        }
    }

    /// One HTTP GET of `archive.url` from byte `offset`, written to `part`, watched for stalls.
    private func transfer(_ archive: PublicArchive, to part: URL, from offset: Int64) throws -> Transfer.Ending {
        let transfer = Transfer(archive: archive, part: part, offset: offset, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.urlCache = nil
        // A backstop only: the watchdog below reports a stall first, with a clearer message.
        configuration.timeoutIntervalForRequest = stallTimeout * 2 + 10
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: queue)
        defer { session.invalidateAndCancel() }

        var request = URLRequest(url: archive.url)
        // Ranges count bytes of the file as stored; a compressed transfer encoding would shift them.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        if offset > 0 {
            request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range")
        }
        let task = session.dataTask(with: request)
        progress?(offset, archive.size)
        task.resume()

        let tick = min(0.25, max(stallTimeout / 4, 0.01))
        while !transfer.waitForEnd(seconds: tick) {
            if transfer.secondsSinceLastActivity() >= stallTimeout {
                transfer.markStalled(after: stallTimeout)
                task.cancel()
                _ = transfer.waitForEnd(seconds: 10)
                break
            }
        }
        return try transfer.ending()
    }
}

/// The state of one HTTP transfer: the delegate of its `URLSession`, writing the body to the `.part` file.
///
/// Callbacks arrive on the session's serial queue; the watchdog reads the clock from the fetching thread. All
/// mutable state is guarded by `lock`.
final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// How a transfer that did not fail ended.
    enum Ending {
        /// The file holds the pinned size.
        case complete
        /// The server will not resume this `.part`: discard it and download anew (the reason says why).
        case restart(String)
    }

    private let archive: PublicArchive
    private let part: URL
    private let offset: Int64
    private let progress: (@Sendable (Int64, Int64) -> Void)?
    private let lock = NSLock()
    private let ended = DispatchSemaphore(value: 0)
    private var handle: FileHandle?
    private var received: Int64
    private var responded = false
    private var outcome: Result<Ending, DownloadError>?
    private var lastActivity = DispatchTime.now()

    /// A transfer of `archive` into `part`, asking for the bytes from `offset` on.
    init(archive: PublicArchive, part: URL, offset: Int64, progress: (@Sendable (Int64, Int64) -> Void)?) {
        self.archive = archive
        self.part = part
        self.offset = offset
        self.progress = progress
        self.received = offset
    }

    /// Waits up to `seconds` for the transfer to end; `true` when it has.
    func waitForEnd(seconds: TimeInterval) -> Bool {
        ended.wait(timeout: .now() + seconds) == .success
    }

    /// Seconds since the request started or the last byte arrived.
    func secondsSinceLastActivity() -> TimeInterval {
        lock.withLock {
            Double(DispatchTime.now().uptimeNanoseconds - lastActivity.uptimeNanoseconds) / 1e9
        }
    }

    /// Ends the transfer as stalled (unless it already ended); the `.part` is kept.
    func markStalled(after seconds: TimeInterval) {
        lock.withLock {
            guard outcome == nil else { return }
            let waited = seconds.formatted(.number.precision(.fractionLength(0...1)))
            let message = responded
                ? "download of \(url) stalled: no data for \(waited) s after \(received) of \(archive.size) bytes; "
                    + keptNote
                : "no answer from \(url) within \(waited) s"
            finish(.failure(DownloadError(.stalled, message)))
        }
    }

    /// How the transfer ended: complete, or to be restarted.
    ///
    /// - Throws: The ``DownloadError`` it failed with.
    func ending() throws -> Ending {
        let result: Result<Ending, DownloadError> = lock.withLock {
            closeFile()
            return outcome ?? .failure(DownloadError(.transport, "download of \(url) ended without a result"))
        }
        return try result.get()
    }

    // MARK: URLSessionDataDelegate

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        let accepted = lock.withLock { accept(response) }
        completionHandler(accepted ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let written: Int64? = lock.withLock {
            guard outcome == nil, let handle else { return nil }
            lastActivity = .now()
            guard received + Int64(data.count) <= archive.size else {
                try? FileManager.default.removeItem(at: part)
                finish(.failure(DownloadError(
                    .sizeMismatch,
                    "\(url) sent more than the expected \(archive.size) bytes; the partial file was deleted")))
                return nil
            }
            do {
                try handle.write(contentsOf: data)
            } catch {
                finish(.failure(DownloadError(.fileSystem, "could not write \(part.path): \(error)")))
                return nil
            }
            received += Int64(data.count)
            return received
        }
        if let written {
            progress?(written, archive.size)
        } else {
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        lock.withLock {
            guard outcome == nil else { return }
            let detail = error.map { ($0 as NSError).localizedDescription } ?? "the connection closed"
            if responded && received == archive.size {
                finish(.success(.complete))
            } else if responded {
                finish(.failure(DownloadError(
                    .truncated,
                    "download of \(url) ended early after \(received) of \(archive.size) bytes (\(detail)); "
                        + keptNote)))
            } else {
                finish(.failure(DownloadError(.transport, "could not download \(url): \(detail)")))
            }
        }
        ended.signal()
    }

    // MARK: Internals (called with `lock` held)

    private var url: String { archive.url.absoluteString }

    private var keptNote: String {
        "the partial file \(part.path) is kept and the next fetch resumes it"
    }

    /// Decides on the response's status and opens the `.part` for the body; `false` cancels the task.
    private func accept(_ response: URLResponse) -> Bool {
        lastActivity = .now()
        responded = true
        guard outcome == nil else { return false }
        let http = response as? HTTPURLResponse
        let status = http?.statusCode ?? 0
        switch status {
        case 200:
            let length = response.expectedContentLength
            if length >= 0 && length != archive.size {
                try? FileManager.default.removeItem(at: part)
                finish(.failure(DownloadError(
                    .sizeMismatch, "\(url) serves a file of \(length) bytes, expected \(archive.size)")))
                return false
            }
            return openFile(at: 0)
        case 206:
            guard let http, let range = Self.contentRange(of: http), range.start == offset else {
                finish(.success(.restart("the server did not resume at byte \(offset)")))
                return false
            }
            if let total = range.total, total != archive.size {
                try? FileManager.default.removeItem(at: part)
                finish(.failure(DownloadError(
                    .sizeMismatch, "\(url) serves a file of \(total) bytes, expected \(archive.size)")))
                return false
            }
            return openFile(at: offset)
        case 416 where offset > 0:
            finish(.success(.restart("the server refused to resume at byte \(offset) (HTTP 416)")))
            return false
        default:
            let reason = HTTPURLResponse.localizedString(forStatusCode: status)
            let expected = offset > 0 ? "206 (or 200)" : "200"
            finish(.failure(DownloadError(
                .httpStatus, "GET \(url) answered HTTP \(status) (\(reason)); expected \(expected)")))
            return false
        }
    }

    /// Opens the `.part` for writing from byte `start` (0 overwrites it); `false` after a file-system failure.
    private func openFile(at start: Int64) -> Bool {
        do {
            if !FileManager.default.fileExists(atPath: part.path) {
                guard FileManager.default.createFile(atPath: part.path, contents: nil) else {
                    throw CocoaError(.fileWriteUnknown)
                }
            }
            let file = try FileHandle(forWritingTo: part)
            try file.truncate(atOffset: UInt64(start))
            try file.seek(toOffset: UInt64(start))
            handle = file
            received = start
            return true
        } catch {
            finish(.failure(DownloadError(.fileSystem, "could not open \(part.path) for writing: \(error)")))
            return false
        }
    }

    /// Records the outcome (the first one wins) and closes the file.
    private func finish(_ result: Result<Ending, DownloadError>) {
        if outcome == nil { outcome = result }
        closeFile()
    }

    private func closeFile() {
        try? handle?.close()
        handle = nil
    }

    /// The first byte and the total length of a `Content-Range: bytes FIRST-LAST/TOTAL` header (`TOTAL` may be `*`).
    static func contentRange(of response: HTTPURLResponse) -> (start: Int64, total: Int64?)? {
        let value = response.allHeaderFields.first { key, _ in
            (key as? String)?.lowercased() == "content-range"
        }?.value as? String
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes ") else { return nil }
        let spec = trimmed.dropFirst("bytes ".count)
        let parts = spec.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let dash = parts[0].firstIndex(of: "-"),
              let start = Int64(parts[0][..<dash].trimmingCharacters(in: .whitespaces))
        else { return nil }
        return (start, Int64(parts[1].trimmingCharacters(in: .whitespaces)))
    }
}
