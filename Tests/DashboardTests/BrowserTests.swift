import Foundation
import SeqTwinsTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Headless Chromium from Debian's `chromium` package (`$CHROMIUM` overrides the path).
enum Chromium {
    /// The browser's path, or `nil` when none is installed.
    static let path: String? = {
        let candidates = [ProcessInfo.processInfo.environment["CHROMIUM"], "/usr/bin/chromium",
                          "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Whether the browser test runs: when Chromium is installed, or under `CI=true` (where a missing browser then
    /// fails it). Elsewhere a missing browser prints why and skips it.
    static let testsEnabled: Bool = {
        if path != nil { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        print("chromium not found (apt-get install chromium, or set CHROMIUM); skipping the dashboard's browser test")
        return false
    }()

    /// Runs headless Chromium with `arguments` and the page `url`; returns its standard output.
    static func run(_ arguments: [String], url: String, profile: String) throws -> String {
        let browser = try #require(path, "chromium is not installed: apt-get install chromium")
        let output = try TestProcess.run("/usr/bin/timeout", ["90", browser, "--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-extensions", "--hide-scrollbars", "--user-data-dir=\(profile)"]
            + arguments + [url])
        #expect(output.status == 0, "chromium \(arguments) \(url): \(output.stderr.suffix(1500))")
        return output.stdout
    }

    /// The DOM after the page ran its scripts (for `virtualTime` ms of virtual time when given).
    static func dom(_ url: String, profile: String, virtualTime: Int? = nil) throws -> String {
        try run(["--dump-dom"] + (virtualTime.map { ["--virtual-time-budget=\($0)"] } ?? []), url: url, profile: profile)
    }

    /// Takes a screenshot of `url` at `width`×`height` into `file`.
    static func screenshot(_ url: String, to file: String, width: Int, height: Int, profile: String) throws {
        _ = try run(["--screenshot=\(file)", "--window-size=\(width),\(height)"], url: url, profile: profile)
    }
}

/// One HTTP request to the running server, by URLSession.
func fetch(_ url: String, method: String = "GET") throws -> (status: Int, headers: [String: String], body: String) {
    var request = URLRequest(url: try #require(URL(string: url)))
    request.httpMethod = method
    request.timeoutInterval = 30
    final class Box: @unchecked Sendable { var result: (Int, [String: String], String)?; var error: (any Error)? }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    URLSession.shared.dataTask(with: request) { data, response, error in
        if let response = response as? HTTPURLResponse {
            var headers: [String: String] = [:]
            for (key, value) in response.allHeaderFields {
                headers[String(describing: key).lowercased()] = String(describing: value)
            }
            box.result = (response.statusCode, headers, String(decoding: data ?? Data(), as: UTF8.self))
        }
        box.error = error
        done.signal()
    }.resume()
    done.wait()
    if let error = box.error { throw error }
    let result = try #require(box.result)
    return (result.0, result.1, result.2)
}

/// Reads a PNG's width and height from its IHDR chunk, or `nil` when the bytes are not a PNG.
func pngSize(_ data: Data) -> (width: Int, height: Int)? {
    let bytes = [UInt8](data.prefix(24))
    guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
          bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else { return nil }
    func big(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (big(16), big(20))
}

extension DashboardTests {
    /// The real `seqtwins serve` binary, over HTTP and in a real browser.
    @Suite("Served", .serialized) struct Served {
        @Test func theServerAnswersOverHTTP() throws {
            let fixture = try DashboardFixture.get()
            let server = try SeqTwinsProcess(["serve", "--port", "0", "--bind", "127.0.0.1"], databaseURL: fixture.url)
            defer { server.signal(SIGTERM); _ = server.wait(timeout: 10) }
            let base = try Self.address(of: server)
            let home = try fetch(base)
            #expect(home.status == 200)
            #expect(home.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(home.headers["content-security-policy"]?.contains("script-src 'nonce-") == true)
            #expect(home.body.contains("dash-tiny"))
            let json = try fetch(base + "workers?format=json&table=workers")
            #expect(json.status == 200 && json.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect(json.body.contains("host-\\u003ci\\u003e1"))
            for method in ["POST", "DELETE", "PUT"] {
                let refused = try fetch(base + "jobs/\(fixture.runningJob)", method: method)
                #expect(refused.status == 405, "\(method)")
                #expect(refused.headers["allow"] == "GET")
            }
            #expect(try fetch(base + "nope").status == 404)
            server.signal(SIGTERM)
            #expect(server.wait(timeout: 15) == 0, "serve did not stop on SIGTERM:\n\(server.log.suffix(1000))")
        }

        @Test(.enabled(if: Chromium.testsEnabled))
        func pagesRenderInABrowserWithHostileValuesAsText() throws {
            let fixture = try DashboardFixture.get()
            let server = try SeqTwinsProcess(["serve", "--port", "0", "--refresh-seconds", "1"], databaseURL: fixture.url)
            defer { server.signal(SIGTERM); _ = server.wait(timeout: 10) }
            let base = try Self.address(of: server)
            let profile = RepositoryPaths.temporaryDirectory("chromium")
            defer { try? FileManager.default.removeItem(atPath: profile) }

            // The live experiment: its name and error text are text in the DOM, never elements; its live script
            // ran (under virtual time) and swapped in fresh sections.
            let live = try Chromium.dom(base + "experiments/\(fixture.live)", profile: profile, virtualTime: 4000)
            #expect(live.contains("<h1>Experiment #\(fixture.live): &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x"))
            #expect(live.contains("Traceback &lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!live.contains("<script>alert(1)") && !live.contains("<img src=\"x\"") && !live.contains("<b>"))
            #expect(!live.contains("data-pwned"))
            #expect(live.contains("<tr role=\"row\" class=\"excludes-zero\">"))
            #expect(live.contains("Live: updated"), "the live script did not update:\n\(live.suffix(800))")

            // The finished experiment: the report's curves and the per-run charts are in the DOM.
            let finished = try Chromium.dom(base + "experiments/\(fixture.finished)", profile: profile)
            #expect(finished.contains("<g class=\"panel\" data-task=\"future_top_category\" data-protocol=\"linear_probe\">"))
            #expect(finished.components(separatedBy: "<section class=\"run\"").count - 1 == 4)
            #expect(finished.contains("<h2 id=\"gains-title\">Gain over dual_encoder</h2>"))

            let list = try Chromium.dom(base, profile: profile)
            #expect(list.contains("aria-label=\"17 succeeded\""))
            #expect(list.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !list.contains("<script>alert(1)"))

            // Screenshots: a wide one of the finished experiment, a phone-width one of the job list.
            let folder = ProcessInfo.processInfo.environment["SEQTWINS_SCREENSHOTS"] ?? profile
            let shots = [("experiment.png", "experiments/\(fixture.finished)", 1280, 2200),
                         ("jobs-phone.png", "jobs", 390, 844),
                         ("live-experiment.png", "experiments/\(fixture.live)", 1280, 1400),
                         ("experiments.png", "", 1280, 500)]
            for (name, path, width, height) in shots {
                let file = folder + "/" + name
                try? FileManager.default.removeItem(atPath: file)
                try Chromium.screenshot(base + path, to: file, width: width, height: height, profile: profile)
                let data = try #require(FileManager.default.contents(atPath: file), "no screenshot at \(file)")
                #expect(data.count > 10_000, "\(name): \(data.count) bytes")
                let size = try #require(pngSize(data), "\(name) is not a PNG")
                #expect(size.width == width && size.height == height)
            }
        }

        /// Waits for the server's `dashboard on http://…` line and returns that URL.
        static func address(of server: SeqTwinsProcess) throws -> String {
            var url: String?
            let started = waitUntil(timeout: 30) {
                guard let line = server.log.split(separator: "\n").first(where: { $0.hasPrefix("dashboard on ") }),
                      let found = line.split(separator: " ").dropFirst(2).first else { return false }
                url = String(found)
                return true
            }
            #expect(started, "serve did not start:\n\(server.log.suffix(1500))")
            return try #require(url)
        }
    }
}
