#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Streams a text file line by line through a fixed-size buffer (the only file input in `Sequences`).
///
/// Memory stays at the buffer size however large the file is; a line longer than the buffer grows it. Lines end
/// at `\n`; a trailing `\r` is removed. The reader refuses binary files: a NUL byte, a gzip or zip header, or a
/// UTF-16 byte-order mark is reported as "not a text file".
public struct TextFileReader {
    /// The path as given.
    public let path: String
    /// Buffer size in bytes (default 4 MiB).
    public var bufferSize: Int

    /// A reader for `path`.
    public init(path: String, bufferSize: Int = 4 << 20) {
        self.path = path
        self.bufferSize = bufferSize
    }

    /// Whether a regular file exists at `path`.
    public static func fileExists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The file's size in bytes, or nil when it cannot be read.
    public static func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    /// Calls `body` with every line in order. Stops early when `body` returns false.
    /// - Throws: `DatasetError` when the file cannot be opened or is binary, and whatever `body` throws.
    public func forEachLine(_ body: (TextLine) throws -> Bool) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw DatasetError(file: path, message: "cannot open file (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: max(bufferSize, 64))
        var filled = 0
        var lineNumber = 0
        var atStart = true
        var endOfFile = false
        var hasNUL = false
        // Bytes before this offset hold no newline (a partial line kept from the last pass); they are not searched
        // again, so a line much longer than the buffer costs linear time however small the reads are.
        var searched = 0
        while !endOfFile {
            if filled == buffer.count {
                buffer.append(contentsOf: repeatElement(0, count: buffer.count))
            }
            let readCount = buffer.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + filled, raw.count - filled)
            }
            if readCount < 0 {
                if errno == EINTR { continue }
                throw DatasetError(file: path, message: "read failed (\(String(cString: strerror(errno))))")
            }
            if readCount == 0 { endOfFile = true }
            // One NUL scan per chunk; the line that holds it is found when it is emitted.
            let chunkHasNUL =
                readCount > 0
                && buffer.withUnsafeBytes { raw in
                    memchr(raw.baseAddress! + filled, 0, readCount) != nil
                }
            hasNUL = hasNUL || chunkHasNUL
            filled += readCount
            if atStart && (filled >= 4 || endOfFile) {
                atStart = false
                try checkTextHeader(buffer, count: filled)
            }
            var consumed = 0
            var keepGoing = true
            try buffer.withUnsafeBufferPointer { all in
                let base = all.baseAddress!
                while keepGoing {
                    let from = max(consumed, searched)
                    guard let newline = memchr(base + from, 10, filled - from) else { break }
                    let end = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                    lineNumber += 1
                    keepGoing = try emit(base, consumed, end, lineNumber, hasNUL, body)
                    consumed = end + 1
                }
                if keepGoing && endOfFile && consumed < filled {
                    lineNumber += 1
                    keepGoing = try emit(base, consumed, filled, lineNumber, hasNUL, body)
                    consumed = filled
                }
            }
            if !keepGoing { return }
            searched = filled
            if consumed > 0 {
                let remaining = filled - consumed
                if remaining > 0 {
                    buffer.withUnsafeMutableBytes { raw in
                        _ = memmove(raw.baseAddress!, raw.baseAddress! + consumed, remaining)
                    }
                }
                filled = remaining
                searched = remaining
            }
        }
    }

    /// Calls `body` with blocks of whole lines (each block ends just after a `\n`, except possibly the file's
    /// last) and the 1-based number of the block's first line; `body` returns false to stop. See
    /// `TextBlockReader`.
    /// - Throws: `DatasetError` when the file cannot be opened or is binary, and whatever `body` throws.
    public func forEachBlock(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Bool) throws {
        var reader = try TextBlockReader(path: path, bufferSize: bufferSize)
        while let (block, firstLine) = try reader.next() {
            if try !body(block, firstLine) { return }
        }
    }

    private func emit(
        _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ number: Int, _ checkNUL: Bool,
        _ body: (TextLine) throws -> Bool
    ) throws -> Bool {
        var stop = end
        if stop > start && base[stop - 1] == 13 { stop -= 1 }
        let bytes = UnsafeBufferPointer(start: base + start, count: stop - start)
        if checkNUL && memchr(base + start, 0, stop - start) != nil {
            throw DatasetError(file: path, line: number, message: "NUL byte: this is not a text file")
        }
        return try body(TextLine(bytes: bytes, number: number))
    }

    /// Throws when the first bytes show a UTF-16, gzip or zip file.
    static func checkTextHeader(path: String, _ buffer: UnsafePointer<UInt8>, count: Int) throws {
        if count >= 2 && ((buffer[0] == 0xFF && buffer[1] == 0xFE) || (buffer[0] == 0xFE && buffer[1] == 0xFF)) {
            throw DatasetError(file: path, line: 1, column: 1, message: "UTF-16 byte-order mark: expected 8-bit text")
        }
        if count >= 2 && buffer[0] == 0x1F && buffer[1] == 0x8B {
            throw DatasetError(file: path, line: 1, column: 1, message: "gzip data: decompress the file first")
        }
        if count >= 4 && buffer[0] == 0x50 && buffer[1] == 0x4B && buffer[2] == 3 && buffer[3] == 4 {
            throw DatasetError(file: path, line: 1, column: 1, message: "zip archive: extract the file first")
        }
    }

    private func checkTextHeader(_ buffer: [UInt8], count: Int) throws {
        try buffer.withUnsafeBufferPointer { bytes in
            try TextFileReader.checkTextHeader(path: path, bytes.baseAddress!, count: count)
        }
    }
}

/// Reads a text file in blocks of whole lines through one buffer, without closures (the fast readers' loop).
///
/// `next()` returns a block that ends just after a `\n` (or at the end of the file) and the 1-based number of
/// its first line; the block stays valid until the next call. The binary checks of `TextFileReader` apply: a
/// NUL byte, a gzip or zip header, or a UTF-16 byte-order mark is an error naming the line.
public struct TextBlockReader: ~Copyable {
    private let path: String
    private let descriptor: Int32
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var filled = 0
    private var consumed = 0
    private var nextLine = 1
    private var atStart = true
    private var endOfFile = false
    private let checksContent: Bool

    /// Opens `path` with a buffer of `bufferSize` bytes (it grows for a longer line). With `checksContent`
    /// false the reader neither counts lines (the returned line numbers are 0) nor looks for NUL bytes: for a
    /// caller that numbers lines and rejects NUL bytes itself.
    /// - Throws: `DatasetError` when the file cannot be opened.
    public init(path: String, bufferSize: Int = 4 << 20, checksContent: Bool = true) throws {
        self.path = path
        self.checksContent = checksContent
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw DatasetError(file: path, message: "cannot open file (\(String(cString: strerror(errno))))")
        }
        capacity = max(bufferSize, 64)
        buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    }

    deinit {
        buffer.deallocate()
        close(descriptor)
    }

    /// Number of `\n` bytes in `bytes` (eight at a time).
    static func countNewlines(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int {
        var total = 0
        var index = 0
        let raw = UnsafeRawPointer(bytes)
        while index + 8 <= count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ 0x0A0A_0A0A_0A0A_0A0A
            let low7 = (word & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F
            total += (~(low7 | word) & 0x8080_8080_8080_8080).nonzeroBitCount
            index += 8
        }
        while index < count {
            if bytes[index] == 10 { total += 1 }
            index += 1
        }
        return total
    }

    /// The next block of whole lines and its first line number, or nil at the end of the file.
    /// - Throws: `DatasetError` for a read error or binary content.
    public mutating func next() throws -> (UnsafeBufferPointer<UInt8>, Int)? {
        // Drop the block handed out last time.
        if consumed > 0 {
            let remaining = filled - consumed
            if remaining > 0 { memmove(buffer, buffer + consumed, remaining) }
            filled = remaining
            consumed = 0
        }
        while true {
            if endOfFile {
                guard filled > 0 else { return nil }
                return try handOut(filled)
            }
            if filled == capacity {
                let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                larger.update(from: buffer, count: filled)
                buffer.deallocate()
                buffer = larger
                capacity *= 2
            }
            let readCount = read(descriptor, buffer + filled, capacity - filled)
            if readCount < 0 {
                if errno == EINTR { continue }
                throw DatasetError(file: path, message: "read failed (\(String(cString: strerror(errno))))")
            }
            if readCount == 0 { endOfFile = true }
            filled += readCount
            if atStart && (filled >= 4 || endOfFile) {
                atStart = false
                try TextFileReader.checkTextHeader(path: path, buffer, count: filled)
            }
            if endOfFile { continue }
            // Only the bytes just read can hold a newline: what was kept from the last block is a partial line.
            // Scanning just them keeps a line much longer than the buffer linear however small the reads are.
            let floor = filled - readCount
            var end = filled
            while end > floor && buffer[end - 1] != 10 { end -= 1 }
            if end > floor { return try handOut(end) }
        }
    }

    private mutating func handOut(_ end: Int) throws -> (UnsafeBufferPointer<UInt8>, Int) {
        guard checksContent else {
            consumed = end
            return (UnsafeBufferPointer(start: buffer, count: end), 0)
        }
        if let nul = memchr(buffer, 0, end) {
            let offset = UnsafeMutableRawPointer(buffer).distance(to: nul)
            let line = nextLine + TextBlockReader.countNewlines(buffer, offset)
            throw DatasetError(file: path, line: line, message: "NUL byte: this is not a text file")
        }
        let first = nextLine
        nextLine += TextBlockReader.countNewlines(buffer, end)
        consumed = end
        return (UnsafeBufferPointer(start: buffer, count: end), first)
    }
}
