import Foundation
import JobQueue
import Postgres
import Randomness
import Testing

@Suite("Retry policy and pure helpers")
struct RetryPolicyTests {
    @Test func delaysDoubleWithinTheJitterBand() throws {
        let policy = try RetryPolicy(baseDelay: 2, factor: 2, maxDelay: 100, jitter: 0.25)
        var generator = SplitMix64(seed: 7)
        for attempt in 1...10 {
            let raw = min(2 * pow(2, Double(attempt - 1)), 100)
            for _ in 0..<50 {
                let delay = policy.delay(afterAttempt: attempt, using: &generator)
                #expect(delay >= raw * 0.75 && delay < raw * 1.25, "attempt \(attempt): \(delay) vs \(raw)")
            }
        }
    }

    @Test func sameSeedSameDelays() throws {
        let policy = try RetryPolicy()
        var a = SplitMix64(seed: 42)
        var b = SplitMix64(seed: 42)
        let first = (1...8).map { policy.delay(afterAttempt: $0, using: &a) }
        let second = (1...8).map { policy.delay(afterAttempt: $0, using: &b) }
        #expect(first == second)
        var c = SplitMix64(seed: 43)
        #expect((1...8).map { policy.delay(afterAttempt: $0, using: &c) } != first)
    }

    @Test func hugeAttemptCountsStayCapped() throws {
        let policy = try RetryPolicy(baseDelay: 1, factor: 2, maxDelay: 3600, jitter: 0)
        var generator = SplitMix64(seed: 1)
        #expect(policy.delay(afterAttempt: 5000, using: &generator) == 3600)
        #expect(policy.delay(afterAttempt: 1, using: &generator) == 1)
    }

    @Test func badOptionsAreRejected() {
        #expect(throws: JobQueueError.self) { try RetryPolicy(baseDelay: -1) }
        #expect(throws: JobQueueError.self) { try RetryPolicy(factor: 0.5) }
        #expect(throws: JobQueueError.self) { try RetryPolicy(jitter: 2) }
    }

    @Test func delaysAndFactorsAreBounded() throws {
        let expected = "a number of seconds in 0...604800 (7 days)"
        #expect(throws: JobQueueError.invalidOption(name: "retry max delay", value: "1e+300", expected: expected)) {
            try RetryPolicy(maxDelay: 1e300)
        }
        #expect(throws: JobQueueError.invalidOption(name: "retry max delay", value: "inf", expected: expected)) {
            try RetryPolicy(maxDelay: .infinity)
        }
        #expect(throws: JobQueueError.self) { try RetryPolicy(baseDelay: .nan) }
        #expect(throws: JobQueueError.self) { try RetryPolicy(baseDelay: 604_801) }
        #expect(throws: JobQueueError.self) { try RetryPolicy(factor: 1e9) }
        #expect(throws: JobQueueError.self) { try RetryPolicy(jitter: .nan) }
        let longest = try RetryPolicy(baseDelay: 604_800, factor: 1000, maxDelay: 604_800, jitter: 0)
        var generator = SplitMix64(seed: 1)
        #expect(longest.delay(afterAttempt: 3, using: &generator) == 604_800)
    }

    @Test func errorsAreClassifiedPermanentOrTransient() {
        struct Unknown: Error {}
        struct Domain: Error {}
        struct Judging: JobHandler {
            var kind: String { "judging" }
            var summary: String { "test" }
            func run(_ context: JobContext) throws {}
            func errorClass(of error: any Error) -> JobErrorClass? { error is Domain ? .permanent : nil }
        }
        #expect(JobErrorClass.of(PermanentJobFailure("bad")) == .permanent)
        #expect(JobErrorClass.of(Unknown()) == .transient)
        #expect(JobErrorClass.of(Domain()) == .transient)
        #expect(JobErrorClass.of(Domain(), handler: Judging()) == .permanent)
        #expect(JobErrorClass.of(Unknown(), handler: Judging()) == .transient)
        #expect(JobErrorClass.of(PostgresError(sqlState: "22P05", message: "NUL")) == .permanent)
        #expect(JobErrorClass.of(PostgresError(sqlState: "42P01", message: "no table")) == .permanent)
        #expect(JobErrorClass.of(PostgresError(sqlState: "40P01", message: "deadlock")) == .transient)
        #expect(JobErrorClass.of(PostgresError(sqlState: "57P01", message: "gone", isConnectionFailure: true))
                == .transient)
        #expect(JobErrorClass.permanent.tag("x") == "[permanent] x")
    }

    @Test func workerIntervalsAreBounded() throws {
        var options = WorkerOptions(databaseURL: nil)
        try options.validate()
        options.leaseSeconds = 1e300
        #expect(throws: JobQueueError.invalidOption(name: "lease seconds", value: "1e+300",
                                                    expected: "a number of seconds in (0, 86400]")) {
            try options.validate()
        }
        options.leaseSeconds = 86_400
        try options.validate()
        options.gracePeriod = .infinity
        #expect(throws: JobQueueError.self) { try options.validate() }
        options.gracePeriod = 30
        options.pollInterval = .nan
        #expect(throws: JobQueueError.self) { try options.validate() }
    }

    @Test func progressBar() {
        #expect(StatusReport.bar(0, width: 10) == "[----------]")
        #expect(StatusReport.bar(0.55, width: 10) == "[#####-----]")
        #expect(StatusReport.bar(1.7, width: 4) == "[####]")
        #expect(StatusReport.bar(.nan, width: 2) == "[--]")
    }

    @Test func registryValidatesKindAndPayload() throws {
        let registry = JobRegistry.standard
        #expect(registry.kinds == ["noop", "sleep"])
        try registry.validate(kind: "sleep", payload: #"{"seconds": 0.5, "fail_times": 2}"#)
        #expect(throws: JobQueueError.unknownKind("train", known: ["noop", "sleep"])) {
            try registry.validate(kind: "train", payload: "{}")
        }
        for bad in [#"{"seconds": 1"#, #"{"seconds": "x"}"#, #"{"seconds": -1}"#, #"{"fail_times": 1.5}"#,
                    #"{"secs": 1}"#, "[1]"] {
            do {
                try registry.validate(kind: "sleep", payload: bad)
                Issue.record("accepted \(bad)")
            } catch let error as JobQueueError {
                guard case .invalidPayload(kind: "sleep", _) = error else {
                    Issue.record("wrong error for \(bad): \(error)")
                    continue
                }
            }
        }
    }

    @Test func sleepPayloadDefaults() throws {
        #expect(try SleepHandler().parse(Data("{}".utf8)) == .init(seconds: 1, failTimes: 0))
        let parsed = try SleepHandler().parse(Data(#"{"seconds": 0, "fail_times": 3}"#.utf8))
        #expect(parsed == .init(seconds: 0, failTimes: 3))
    }
}
