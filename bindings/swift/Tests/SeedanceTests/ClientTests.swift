// XCTest tests of the Swift client against the embedded emulator (time scaled ×1000),
// mirroring bindings/kotlin/src/test/kotlin/io/seedance/ClientTest.kt.
import Foundation
import XCTest
@testable import Seedance

final class Recorder: ProgressListener, @unchecked Sendable {
    private let lock = NSLock()
    private var _events: [ProgressEvent] = []
    var events: [ProgressEvent] { lock.lock(); defer { lock.unlock() }; return _events }
    var submittedTaskId: String? {
        for case let .submitted(taskId, _, _, _) in events { return taskId }
        return nil
    }
    func onEvent(event: ProgressEvent) {
        lock.lock(); _events.append(event); lock.unlock()
    }
}

final class ClientTests: XCTestCase {
    var emu: Emulator!
    var client: Client!
    var dir: URL!
    let prompt = "A glass train crossing a snowy mountain bridge at dawn"

    override func setUpWithError() throws {
        emu = try Emulator.start(options: EmulatorOptions(timeScale: 1000))
        client = try Client.fromSettings(settings: settings())
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        emu.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    func settings(key: String? = nil) -> ClientSettings {
        ClientSettings(apiKey: key ?? emu.apiKey(), baseUrl: emu.baseUrl(), timeScale: 1000)
    }

    func until(_ seconds: Double = 5, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { XCTFail("condition not met in \(seconds) s"); return }
            try await _Concurrency.Task.sleep(nanoseconds: 5_000_000)
        }
    }

    // MARK: every method

    func testSubmitGetTaskWaitDownload() async throws {
        let submitted = try await client.submit(VideoRequest(prompt: prompt, duration: 5))
        XCTAssertEqual(submitted.status, .processing)
        let read = try await client.getTask(submitted.id)
        XCTAssertEqual(read.id, submitted.id)
        let done = try await client.wait(submitted.id)
        XCTAssertEqual(done.status, .completed)
        XCTAssertNotNil(done.output?.videoUrl)
        let files = try await client.download(done, to: dir.path)
        XCTAssertGreaterThan(files.bytes, 0)
        XCTAssertNotNil(files.lastFrame)
        XCTAssertEqual(try emu.cdnAuthHeaders(), [])
    }

    func testGenerateWithDownloadAndKey() async throws {
        let request = VideoRequest(prompt: prompt, qualityTier: .pro, resolution: .p1080)
        let out = dir.appendingPathComponent("out").path + "/"
        let task = try await client.generate(request, options: GenerateOptions(idempotencyKey: "order-42", downloadTo: out))
        XCTAssertEqual(task.status, .completed)
        XCTAssertEqual(task.qualityTier, .pro)
        _ = try await client.generate(request, options: GenerateOptions(idempotencyKey: "order-42"))
        XCTAssertEqual(try emu.stats().tasksCreated, 1)
    }

    func testJobStoreJobsAndResume() async throws {
        var s = settings()
        s.jobStore = dir.appendingPathComponent("jobs.sqlite3").path
        let c = try Client.fromSettings(settings: s)
        let task = try await c.generate(VideoRequest(prompt: prompt), options: GenerateOptions(idempotencyKey: "job-1"))
        let jobs = try await c.jobs()
        XCTAssertEqual(jobs.count, 1)
        XCTAssertEqual(jobs[0].key, "job-1")
        XCTAssertEqual(jobs[0].taskId, task.id)
        XCTAssertFalse(jobs[0].unfinished)
        let outcomes = try await c.resumeJobs()
        XCTAssertEqual(outcomes, [])
        let other = try Client.fromSettings(settings: s)
        XCTAssertEqual(try await other.jobs().map(\.key), ["job-1"])
        XCTAssertTrue(defaultJobStorePath().hasSuffix("/seedance/jobs.sqlite3"))
    }

    func testJobsFilteredWithChargeOriginAndLastError() async throws {
        var s = settings()
        s.jobStore = dir.appendingPathComponent("jobs-filtered.sqlite3").path
        var broke = settings(key: emu.noCreditsKey())
        broke.jobStore = s.jobStore
        let c = try Client.fromSettings(settings: s)
        let poor = try Client.fromSettings(settings: broke)
        _ = try await c.generate(VideoRequest(prompt: prompt), options: GenerateOptions(idempotencyKey: "f-1"))
        let waiting = try await c.submit(VideoRequest(prompt: prompt), idempotencyKey: "f-2")
        do {
            _ = try await poor.submit(VideoRequest(prompt: prompt), idempotencyKey: "f-3")
            XCTFail("charged an empty balance")
        } catch SeedanceError.Api {}
        let all = try await c.jobs()
        XCTAssertEqual(all.map(\.key), ["f-1", "f-2", "f-3"])
        XCTAssertEqual(all.map(\.charge), [.charged, .charged, .refusedNotCharged])
        XCTAssertEqual(all.map(\.storedState), [.completed, .submitted, .failed])
        XCTAssertNotNil(all[2].lastError)
        XCTAssertFalse(all[0].account.contains(emu.apiKey()))
        let submitted = try await c.jobsFiltered(filter: JobFilter(states: [.submitted]))
        XCTAssertEqual(submitted.map(\.taskId), [waiting.id])
        let mine = try await c.jobsFiltered(filter: JobFilter(thisClientOnly: true))
        XCTAssertEqual(mine.map(\.key), ["f-1", "f-2"])
        let elsewhere = try await c.jobsFiltered(filter: JobFilter(origin: "https://api.example.com"))
        XCTAssertEqual(elsewhere, [])
        let old = try await c.jobsFiltered(filter: JobFilter(beforeSecs: 3600))
        XCTAssertEqual(old, [])
    }

    func testValidationReturnsEveryViolation() async throws {
        let bad = VideoRequest(prompt: "hi", duration: 30, resolution: .k4)
        let violations = validateRequest(request: bad)
        XCTAssertTrue(Set(violations.map(\.field)).isSuperset(of: ["prompt", "duration", "resolution"]))
        do {
            _ = try await client.submit(bad)
            XCTFail("sent an invalid request")
        } catch let SeedanceError.Validation(got, _) {
            XCTAssertEqual(got, violations)
        }
        XCTAssertEqual(try emu.stats().requests, 0)
    }

    func testRequestFromJsonIsCheckedByTheCore() throws {
        let r = try requestFromJson(json: #"{"prompt":"\#(prompt)","duration":"6","resolution":"1080p"}"#)
        XCTAssertEqual(r, VideoRequest(prompt: prompt, duration: 6, resolution: .p1080))
        XCTAssertEqual(try requestFromJson(json: requestToJson(request: r)), r)
        do {
            _ = try requestFromJson(json: #"{"prompt":"hi","duration":"30","resolution":"4k"}"#)
            XCTFail("accepted an invalid request")
        } catch let SeedanceError.Validation(violations, _) {
            XCTAssertEqual(Set(violations.map(\.field)), ["prompt", "duration", "resolution"])
        }
        do {
            _ = try requestFromJson(json: #"{"prompt":"\#(prompt)","colour":"red"}"#)
            XCTFail("accepted an unknown field")
        } catch let SeedanceError.InvalidArgument(detail) {
            XCTAssertTrue(detail.contains("colour"), detail)
        }
        XCTAssertThrowsError(try requestFromJson(json: "{not json"))
    }

    func testUnknownValuesKeepTheirString() {
        let v = validateRequest(request: VideoRequest(prompt: prompt, mode: .other(value: "sound-to-video")))
        XCTAssertEqual(v.map(\.field), ["mode"])
    }

    func testDirectorPromptAndLinter() throws {
        let p = DirectorPrompt()
            .subject(text: "a glass train")
            .shot(shot: Shot(action: "it bursts out of a tunnel", camera: "low angle", startSecs: 0, endSecs: 3))
            .reference(role: .style, url: "https://cdn.example.com/palette.jpg", note: "match its cold blue palette")
            .duration(secs: 6)
        XCTAssertTrue(try p.render().contains("style reference: match its cold blue palette"))
        XCTAssertEqual(try p.request().mode, .mediaToVideo)
        XCTAssertThrowsError(try DirectorPrompt().render())
        XCTAssertEqual(lintPrompt(prompt: "the hero from asset://a1").map(\.kind), ["asset_url"])
    }

    // MARK: every error case

    func testApiErrors() async throws {
        let revoked = try Client.fromSettings(settings: settings(key: emu.revokedKey()))
        do {
            _ = try await revoked.submit(VideoRequest(prompt: prompt))
            XCTFail("accepted a revoked key")
        } catch let SeedanceError.Api(code, status, detail, _) {
            XCTAssertEqual(code, "unauthorized")
            XCTAssertEqual(status, 401)
            XCTAssertFalse(detail.contains(emu.revokedKey()))
        }
        let poor = try Client.fromSettings(settings: settings(key: emu.noCreditsKey()))
        do {
            _ = try await poor.submit(VideoRequest(prompt: prompt))
            XCTFail("charged an empty balance")
        } catch let SeedanceError.Api(code, status, _, _) {
            XCTAssertEqual(code, "insufficient_credits")
            XCTAssertEqual(status, 402)
        }
    }

    func testTaskFailed() async throws {
        do {
            _ = try await client.generate(VideoRequest(prompt: "\(prompt) \(emu.failureMarker())"))
            XCTFail("the task did not fail")
        } catch let SeedanceError.TaskFailed(taskId, _, _, refunded) {
            XCTAssertFalse(taskId.isEmpty)
            XCTAssertGreaterThan(refunded, 0)
        }
    }

    func testWaitTimeout() async throws {
        let slow = try Emulator.start(options: EmulatorOptions(timeScale: 1))
        let c = try Client.fromSettings(settings: ClientSettings(apiKey: slow.apiKey(), baseUrl: slow.baseUrl()))
        let task = try await c.submit(VideoRequest(prompt: prompt))
        do {
            _ = try await c.wait(task.id, options: WaitOptions(timeout: 0.05))
            XCTFail("did not time out")
        } catch let SeedanceError.WaitTimeout(taskId, _) {
            XCTAssertEqual(taskId, task.id)
        }
        slow.stop()
    }

    func testNetworkError() async throws {
        let url = emu.baseUrl()
        emu.stop()
        let c = try Client.fromSettings(settings: ClientSettings(apiKey: "sk_test_seedance", baseUrl: url, maxRetries: 0))
        do {
            _ = try await c.getTask("sd2_x")
            XCTFail("reached a stopped server")
        } catch let SeedanceError.Network(detail, status, kind) {
            // the port of a stopped server refuses the connection: the stable finer kind says so
            XCTAssertEqual(kind, "connect", detail)
            XCTAssertNil(status)
        }
    }

    func testConfigurationErrors() async throws {
        do {
            _ = try Client.fromSettings(settings: ClientSettings(baseUrl: emu.baseUrl()))
            XCTFail("a client without a key")
        } catch let SeedanceError.Configuration(detail) {
            XCTAssertTrue(detail.contains("apiKey"), detail)
        }
        var s = settings()
        s.budget = .redis(url: "memcached://cache:11211")
        do {
            _ = try Client.fromSettings(settings: s)
            XCTFail("an unknown budget backend")
        } catch let SeedanceError.Configuration(detail) {
            XCTAssertTrue(detail.hasPrefix("budget:"), detail)
        }
        do {
            _ = try await client.jobs()
            XCTFail("jobs without a job store")
        } catch SeedanceError.Configuration {}
    }

    // MARK: progress

    func testProgressListenerGetsTheCallsEvents() async throws {
        let rec = Recorder()
        let task = try await client.generate(VideoRequest(prompt: prompt), options: GenerateOptions(downloadTo: dir.path), listener: rec)
        guard case .submitted = rec.events.first else { return XCTFail("\(rec.events)") }
        XCTAssertTrue(rec.events.contains { if case .completed(let t) = $0 { return t.id == task.id }; return false })
        XCTAssertTrue(rec.events.contains { if case .downloadProgress = $0 { return true }; return false })
    }

    func testGenerateStreamEndsWithCompleted() async throws {
        var events: [ProgressEvent] = []
        for try await e in client.generateStream(VideoRequest(prompt: prompt)) { events.append(e) }
        guard case .completed = events.last else { return XCTFail("\(events)") }
    }

    // MARK: cancellation

    func testSwiftTaskCancellationReachesRust() async throws {
        let slow = try Emulator.start(options: EmulatorOptions(timeScale: 1))
        let c = try Client.fromSettings(settings: ClientSettings(apiKey: slow.apiKey(), baseUrl: slow.baseUrl()))
        let task = try await c.submit(VideoRequest(prompt: prompt))
        let work = _Concurrency.Task { try await c.wait(task.id) }
        try await until { c.waitsInProgress() == 1 }
        work.cancel()
        do {
            _ = try await work.value
            XCTFail("not cancelled")
        } catch SeedanceError.Cancelled {}
        try await until { c.waitsInProgress() == 0 }
        slow.stop()
    }

    func testCancelTokenStopsTheCall() async throws {
        let slow = try Emulator.start(options: EmulatorOptions(timeScale: 1))
        let c = try Client.fromSettings(settings: ClientSettings(apiKey: slow.apiKey(), baseUrl: slow.baseUrl()))
        let token = CancelToken()
        let rec = Recorder()
        let work = _Concurrency.Task {
            try await c.generate(request: VideoRequest(prompt: self.prompt), listener: rec, cancel: token)
        }
        try await until { rec.submittedTaskId != nil }
        token.cancel()
        do {
            _ = try await work.value
            XCTFail("not cancelled")
        } catch SeedanceError.Cancelled {}
        try await until { c.waitsInProgress() == 0 }
        slow.stop()
    }

    // MARK: the promises

    func testFourConcurrentTasksShareOneBudget() async throws {
        emu.stop()
        emu = try Emulator.start(options: EmulatorOptions(timeScale: 1000, rateLimit: .limit(requests: 6, window: 1)))
        var s = settings()
        s.rateLimit = .limit(requests: 5, window: 1)
        let c = try Client.fromSettings(settings: s)
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 1...4 {
                group.addTask { try await c.generate(VideoRequest(prompt: "\(self.prompt), take \(i)")).id }
            }
            var ids: Set<String> = []
            for try await id in group { ids.insert(id) }
            return ids
        }
        XCTAssertEqual(ids.count, 4)
        XCTAssertEqual(try emu.stats().rateLimited, 0)
    }

    func testBudgetBackends() async throws {
        // Two clients on one machine-wide budget of one request a minute: the second
        // waits for the first's, until cancelled; a process budget is the client's own.
        var shared = settings()
        shared.rateLimit = .limit(requests: 1, window: 60)
        shared.budget = .machine(dir: dir.appendingPathComponent("budget").path)
        let a = try Client.fromSettings(settings: shared)
        let b = try Client.fromSettings(settings: shared)
        _ = try await a.submit(VideoRequest(prompt: prompt))
        let submits = try emu.stats().submits
        let token = CancelToken()
        let waiting = _Concurrency.Task {
            try await b.submit(request: VideoRequest(prompt: self.prompt), cancel: token)
        }
        try await _Concurrency.Task.sleep(nanoseconds: 100_000_000)
        token.cancel()
        do {
            _ = try await waiting.value
            XCTFail("b did not wait for the shared budget")
        } catch SeedanceError.Cancelled {}
        XCTAssertEqual(try emu.stats().submits, submits)
        var own = shared
        own.budget = .process
        _ = try await Client.fromSettings(settings: own).submit(VideoRequest(prompt: prompt))
    }

    func testChargedOnceAfterADroppedConnection() async throws {
        XCTAssertEqual(try emu.injectFaults(json: #"{"endpoint":"submit","kind":"drop_after","nth":1}"#), 1)
        let task = try await client.generate(VideoRequest(prompt: prompt))
        XCTAssertEqual(task.status, .completed)
        let stats = try emu.stats()
        XCTAssertEqual(stats.submits, 2)
        XCTAssertEqual(stats.tasksCreated, 1)
    }
}
