// JUnit tests of the Kotlin client against the embedded emulator (time scaled ×1000).
package io.seedance

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.Collections
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

class ClientTest {
    private lateinit var emu: Emulator
    private lateinit var client: Client

    @TempDir
    lateinit var dir: Path

    private val prompt = "A glass train crossing a snowy mountain bridge at dawn"

    private fun settings(key: String? = null, tweak: (ClientSettings) -> ClientSettings = { it }): ClientSettings =
        tweak(ClientSettings(apiKey = key ?: emu.apiKey(), baseUrl = emu.baseUrl(), timeScale = 1000.0))

    private fun newClient(s: ClientSettings = settings()): Client = Client.fromSettings(s)

    /** Collects the events of a call. */
    private class Recorder : ProgressListener {
        val events: MutableList<ProgressEvent> = Collections.synchronizedList(mutableListOf())
        val submitted = CompletableDeferred<String>()
        override fun onEvent(event: ProgressEvent) {
            events.add(event)
            if (event is ProgressEvent.Submitted) submitted.complete(event.taskId)
        }
    }

    @BeforeEach
    fun start() {
        emu = Emulator.start(EmulatorOptions(timeScale = 1000.0))
        client = newClient()
    }

    @AfterEach
    fun stop() {
        client.close()
        emu.stop()
        emu.close()
    }

    // ---- every method ---------------------------------------------------------------

    @Test
    fun submitGetTaskWaitDownload(): Unit = runBlocking {
        val submitted = client.submit(VideoRequest(prompt = prompt, duration = 5u))
        assertTrue(submitted.id.isNotEmpty())
        assertEquals(TaskStatus.Processing, submitted.status)
        val read = client.getTask(submitted.id)
        assertEquals(submitted.id, read.id)
        val done = client.wait(submitted.id)
        assertEquals(TaskStatus.Completed, done.status)
        assertNotNull(done.output?.videoUrl)
        assertNotNull(done.rawJson)
        val files = client.download(done, dir.toString())
        assertTrue(Files.size(Path.of(files.video)) > 0)
        assertNotNull(files.lastFrame)
        assertTrue(files.bytes > 0uL)
        assertEquals(emptyList<String>(), emu.cdnAuthHeaders(), "the key never goes to the CDN")
    }

    @Test
    fun generateWithDownloadAndKey(): Unit = runBlocking {
        val out = dir.resolve("out")
        val task = client.generate(
            VideoRequest(prompt = prompt, qualityTier = QualityTier.Pro, resolution = Resolution.P1080),
            GenerateOptions(idempotencyKey = "order-42", downloadTo = "$out/"),
        )
        assertEquals(TaskStatus.Completed, task.status)
        assertEquals(QualityTier.Pro, task.qualityTier)
        assertTrue(Files.list(out).use { s -> s.anyMatch { it.toString().endsWith(".mp4") } })
        // The same key again: replayed, not charged twice.
        client.generate(
            VideoRequest(prompt = prompt, qualityTier = QualityTier.Pro, resolution = Resolution.P1080),
            GenerateOptions(idempotencyKey = "order-42"),
        )
        assertEquals(1uL, emu.stats().tasksCreated)
    }

    @Test
    fun jobStoreJobsAndResume(): Unit = runBlocking {
        val store = dir.resolve("jobs.sqlite3").toString()
        val c = newClient(settings { s -> s.copy(jobStore = store) })
        val task = c.generate(VideoRequest(prompt = prompt), GenerateOptions(idempotencyKey = "job-1"))
        val jobs = c.jobs()
        assertEquals(1, jobs.size)
        assertEquals("job-1", jobs[0].key)
        assertEquals(task.id, jobs[0].taskId)
        assertTrue(jobs[0].state is JobState.Completed)
        assertFalse(jobs[0].unfinished)
        assertEquals(emptyList<JobOutcome>(), c.resume(), "nothing left to resume")
        // a second client on the same file (another process, as well) sees the job
        val other = newClient(settings { s -> s.copy(jobStore = store) })
        assertEquals(listOf("job-1"), other.jobs().map { it.key })
        other.close()
        c.close()
    }

    @Test
    fun jobsFilteredByStateOriginAgeAndAccountWithChargeAndLastError(): Unit = runBlocking {
        val store = dir.resolve("jobs-filtered.sqlite3").toString()
        val c = newClient(settings { s -> s.copy(jobStore = store) })
        val broke = newClient(settings(emu.noCreditsKey()) { s -> s.copy(jobStore = store) })
        val done = c.generate(VideoRequest(prompt = prompt), GenerateOptions(idempotencyKey = "f-1"))
        val waiting = c.submit(VideoRequest(prompt = prompt), "f-2", null)
        assertThrows<SeedanceException.Api> { runBlocking { broke.submit(VideoRequest(prompt = prompt), "f-3", null) } }

        // every job, every account; the fields of each
        val all = c.jobs()
        assertEquals(listOf("f-1", "f-2", "f-3"), all.map { it.key })
        assertEquals(listOf(Charge.CHARGED, Charge.CHARGED, Charge.REFUSED_NOT_CHARGED), all.map { it.charge })
        assertEquals(
            listOf(StoredState.COMPLETED, StoredState.SUBMITTED, StoredState.FAILED),
            all.map { it.storedState },
        )
        assertEquals(emu.baseUrl().trimEnd('/'), all[0].origin)
        assertNull(all[0].lastError)
        assertTrue(all[2].lastError!!.contains("insufficient_credits"), all[2].lastError)
        assertTrue(all[0].account.isNotEmpty() && !all[0].account.contains(emu.apiKey()))
        assertTrue(all[0].account != all[2].account, "another key is another account")
        assertTrue(all[1].updatedMs >= all[1].createdMs)

        // the filters of `seedance jobs`
        assertEquals(listOf(waiting.id), c.jobsFiltered(JobFilter(states = listOf(StoredState.SUBMITTED))).map { it.taskId })
        assertEquals(2, c.jobsFiltered(JobFilter(states = listOf(StoredState.COMPLETED, StoredState.FAILED))).size)
        assertEquals(listOf("f-1", "f-2"), c.jobsFiltered(JobFilter(thisClientOnly = true)).map { it.key })
        assertEquals(listOf("f-3"), broke.jobsFiltered(JobFilter(thisClientOnly = true)).map { it.key })
        assertEquals(listOf("f-2"), c.jobsFiltered(JobFilter(unfinished = true)).map { it.key })
        assertEquals(3, c.jobsFiltered(JobFilter(origin = emu.baseUrl(), sinceSecs = 3600uL)).size)
        assertEquals(emptyList<JobRecord>(), c.jobsFiltered(JobFilter(origin = "https://api.example.com")))
        assertEquals(emptyList<JobRecord>(), c.jobsFiltered(JobFilter(beforeSecs = 3600uL)))
        assertEquals(done.id, c.jobsFiltered(JobFilter(states = listOf(StoredState.COMPLETED))).single().taskId)
        broke.close()
        c.close()
    }

    @Test
    fun defaultJobStoreIsTheSharedOne() {
        // the CLI's and Python's store, under the data directory (XDG_DATA_HOME: see pom.xml)
        val path = defaultJobStorePath()
        assertTrue(path.endsWith("/seedance/jobs.sqlite3"), path)
        assertTrue(path.startsWith(System.getenv("XDG_DATA_HOME")), path)
    }

    @Test
    fun resumeFinishesAnInterruptedJob(): Unit = runBlocking {
        val store = dir.resolve("jobs.sqlite3").toString()
        val c = newClient(settings { s -> s.copy(jobStore = store) })
        // Submit, then drop the wait: the job stays unfinished in the store.
        val rec = Recorder()
        val job = launch { c.generate(VideoRequest(prompt = prompt), GenerateOptions(idempotencyKey = "job-2"), rec) }
        rec.submitted.await()
        job.cancel()
        job.join()
        assertTrue(c.jobs().single().unfinished)
        val outcomes = c.resume()
        assertEquals(1, outcomes.size)
        assertEquals("job-2", outcomes[0].key)
        assertNull(outcomes[0].error)
        assertEquals(TaskStatus.Completed, outcomes[0].task?.status)
        assertEquals(1uL, emu.stats().tasksCreated, "charged once")
        c.close()
    }

    /** Reading R25: a request without a mode takes it from its references, as the CLI,
     * Python and C do, case by case from the one shared table (one case per line). */
    @Test
    fun modeInferenceAgreesWithTheSharedCases() {
        val table = Path.of("../../tests/shared/mode-inference.json")
        val lines = Files.readAllLines(table).filter { it.contains("{\"fields\": ") }
        val case = Regex("""\{"fields": (\{.*\}), "(mode|refused)": (null|"([^"]*)")\},?\s*$""")
        assertTrue(lines.size >= 7, "$lines")
        for (line in lines) {
            val m = case.find(line) ?: error("not a case of the table: $line")
            val (fields, kind, _, value) = m.destructured
            if (kind == "refused") {
                val e = assertThrows<SeedanceException.Validation>(line) { requestFromJson(fields) }
                assertTrue(e.violations.any { it.field == value }, "$line: ${e.violations}")
            } else {
                val sent = requestToJson(requestFromJson(fields))
                if (value.isEmpty()) {
                    assertFalse(sent.contains("\"mode\""), "$line: $sent")
                } else {
                    assertTrue(sent.contains("\"mode\":\"$value\""), "$line: $sent")
                }
            }
        }
    }

    @Test
    fun validationReturnsEveryViolation(): Unit = runBlocking {
        val bad = VideoRequest(prompt = "hi", duration = 30u, resolution = Resolution.K4)
        val violations = validateRequest(bad)
        val fields = violations.map { it.field }.toSet()
        assertTrue(fields.containsAll(setOf("prompt", "duration", "resolution")), "$violations")
        val e = assertThrows<SeedanceException.Validation> { runBlocking { client.submit(bad) } }
        assertEquals(violations, e.violations)
        assertEquals(0uL, emu.stats().requests, "nothing was sent")
        assertEquals(emptyList<Violation>(), validateRequest(VideoRequest(prompt = prompt)))
    }

    @Test
    fun requestFromJsonIsCheckedByTheCore() {
        val r = requestFromJson("""{"prompt":"$prompt","duration":"6","resolution":"1080p"}""")
        assertEquals(VideoRequest(prompt = prompt, duration = 6u, resolution = Resolution.P1080), r)
        assertEquals(r, requestFromJson(requestToJson(r)))
        val e = assertThrows<SeedanceException.Validation> {
            requestFromJson("""{"prompt":"hi","duration":"30","resolution":"4k"}""")
        }
        assertEquals(setOf("prompt", "duration", "resolution"), e.violations.map { it.field }.toSet())
        val unknown = assertThrows<SeedanceException.InvalidArgument> {
            requestFromJson("""{"prompt":"$prompt","colour":"red"}""")
        }
        assertTrue(unknown.detail.contains("colour"), unknown.detail)
        assertThrows<SeedanceException.InvalidArgument> { requestFromJson("{not json") }
    }

    @Test
    fun unknownValuesKeepTheirString() {
        val t = TaskStatus.Other("queued")
        assertEquals("queued", t.value)
        val v = validateRequest(VideoRequest(prompt = prompt, mode = Mode.Other("sound-to-video")))
        assertEquals("mode", v.single().field)
    }

    @Test
    fun directorPromptAndLinter() {
        val p = DirectorPrompt()
            .subject("a glass train")
            .shot(Shot(action = "it bursts out of a tunnel", camera = "low angle", startSecs = 0.0, endSecs = 3.0))
            .reference(AssetRole.STYLE, "https://cdn.example.com/palette.jpg", "match its cold blue palette")
            .duration(6u)
        val text = p.render()
        assertTrue(text.contains("style reference: match its cold blue palette"), text)
        val request = p.request()
        assertEquals(Mode.MediaToVideo, request.mode)
        assertEquals(listOf("https://cdn.example.com/palette.jpg"), request.mediaUrls)
        assertThrows<SeedanceException.Prompt> { DirectorPrompt().render() }
        val findings = lintPrompt("the hero from asset://a1")
        assertEquals("asset_url", findings.single().kind)
        assertEquals("asset://a1", findings.single().text)
    }

    // ---- every error class ----------------------------------------------------------

    @Test
    fun apiErrors(): Unit = runBlocking {
        val revoked = newClient(settings(emu.revokedKey()))
        val e = assertThrows<SeedanceException.Api> { runBlocking { revoked.submit(VideoRequest(prompt = prompt)) } }
        assertEquals("unauthorized", e.code)
        assertEquals(401.toUShort(), e.status)
        assertFalse(e.message!!.contains(emu.revokedKey()), "the key is redacted: ${e.message}")
        val poor = newClient(settings(emu.noCreditsKey()))
        val p = assertThrows<SeedanceException.Api> { runBlocking { poor.submit(VideoRequest(prompt = prompt)) } }
        assertEquals("insufficient_credits", p.code)
        assertEquals(402.toUShort(), p.status)
        val n = assertThrows<SeedanceException.Api> { runBlocking { client.getTask("sd2_missing") } }
        assertEquals("not_found", n.code)
        revoked.close()
        poor.close()
    }

    @Test
    fun taskFailed(): Unit = runBlocking {
        val e = assertThrows<SeedanceException.TaskFailed> {
            runBlocking { client.generate(VideoRequest(prompt = "$prompt ${emu.failureMarker()}")) }
        }
        assertTrue(e.taskId.isNotEmpty())
        assertTrue(e.creditsRefunded > 0uL, "refunded: ${e.creditsRefunded}")
        assertEquals(e.creditsRefunded, emu.stats().creditsRefunded)
    }

    @Test
    fun waitTimeout(): Unit = runBlocking {
        val slowEmu = Emulator.start(EmulatorOptions(timeScale = 1.0))
        val c = Client.fromSettings(ClientSettings(apiKey = slowEmu.apiKey(), baseUrl = slowEmu.baseUrl()))
        val task = c.submit(VideoRequest(prompt = prompt))
        val e = assertThrows<SeedanceException.WaitTimeout> {
            runBlocking { c.wait(task.id, WaitOptions(timeout = Duration.ofMillis(50))) }
        }
        assertEquals(task.id, e.taskId)
        c.close()
        slowEmu.stop()
    }

    @Test
    fun networkError(): Unit = runBlocking {
        val url = emu.baseUrl()
        emu.stop()
        val c = Client.fromSettings(ClientSettings(apiKey = "sk_test_seedance", baseUrl = url, maxRetries = 0u))
        val e = assertThrows<SeedanceException.Network> { runBlocking { c.getTask("sd2_x") } }
        // the port of a stopped server refuses the connection: the stable finer kind says so
        assertEquals("connect", e.kind, e.detail)
        assertNull(e.status)
        c.close()
    }

    @Test
    fun configurationErrors() {
        val noKey = assertThrows<SeedanceException.Configuration> {
            Client.fromSettings(ClientSettings(baseUrl = emu.baseUrl()))
        }
        assertTrue(noKey.detail.contains("apiKey"), noKey.detail)
        val budget = assertThrows<SeedanceException.Configuration> {
            Client.fromSettings(settings { s -> s.copy(budget = BudgetSetting.Redis("memcached://cache:11211")) })
        }
        assertTrue(budget.detail.startsWith("budget:"), budget.detail)
        val hidden = assertThrows<SeedanceException.Configuration> {
            Client.fromSettings(settings { s -> s.copy(budget = BudgetSetting.Redis("redis://:hunter2@")) })
        }
        assertFalse(hidden.detail.contains("hunter2"), hidden.detail)
        val e = assertThrows<SeedanceException.Configuration> {
            Client.fromSettings(ClientSettings(apiKey = "sk_live_secret123", baseUrl = "http://example.com"))
        }
        assertFalse(e.message!!.contains("sk_live_secret123"))
        assertThrows<SeedanceException.Configuration> { runBlocking { client.jobs() } }
    }

    @Test
    fun jobStoreError() {
        // a file that is not a job store (not a SQLite database)
        val notAStore = dir.resolve("jobs.sqlite3")
        Files.writeString(notAStore, "these are not the jobs you are looking for\n".repeat(200))
        val e = assertThrows<SeedanceException.JobStore> {
            Client.fromSettings(settings { s -> s.copy(jobStore = notAStore.toString()) })
        }
        assertTrue(e.detail.isNotEmpty())
        assertEquals("database", e.kind, e.detail)
        // a directory where the file should be is a file-system error
        assertThrows<SeedanceException.Io> {
            Client.fromSettings(settings { s -> s.copy(jobStore = "$dir/..") })
        }
    }

    @Test
    fun ioError(): Unit = runBlocking {
        val task = client.generate(VideoRequest(prompt = prompt))
        val file = dir.resolve("a-file")
        Files.writeString(file, "x")
        assertThrows<SeedanceException.Io> { runBlocking { client.download(task, "$file/sub/out.mp4") } }
    }

    // ---- progress -------------------------------------------------------------------

    @Test
    fun progressListenerGetsTheCallsEvents(): Unit = runBlocking {
        val rec = Recorder()
        val task = client.generate(VideoRequest(prompt = prompt), GenerateOptions(downloadTo = dir.toString()), rec)
        val kinds = rec.events.map { it::class.simpleName }
        assertEquals("Submitted", kinds.first(), "$kinds")
        assertTrue(kinds.contains("Completed"), "$kinds")
        assertTrue(kinds.contains("DownloadProgress"), "$kinds")
        val completed = rec.events.filterIsInstance<ProgressEvent.Completed>().single()
        assertEquals(task.id, completed.task.id)
        assertTrue(rec.events.all { e -> e !is ProgressEvent.Submitted || e.taskId == task.id })
    }

    @Test
    fun generateFlowEndsWithCompleted(): Unit = runBlocking {
        val events = client.generateFlow(VideoRequest(prompt = prompt)).toList()
        assertTrue(events.first() is ProgressEvent.Submitted, "$events")
        assertTrue(events.last() is ProgressEvent.Completed, "$events")
    }

    @Test
    fun flowFailsWithTheCallsException(): Unit = runBlocking {
        val e = assertThrows<SeedanceException.TaskFailed> {
            runBlocking { client.generateFlow(VideoRequest(prompt = "$prompt ${emu.failureMarker()}")).toList() }
        }
        assertTrue(e.code.isNotEmpty())
    }

    // ---- cancellation ---------------------------------------------------------------

    @Test
    fun coroutineCancellationDropsTheRustFuture(): Unit = runBlocking {
        val slowEmu = Emulator.start(EmulatorOptions(timeScale = 1.0))
        val c = Client.fromSettings(ClientSettings(apiKey = slowEmu.apiKey(), baseUrl = slowEmu.baseUrl()))
        val task = c.submit(VideoRequest(prompt = prompt))
        val job = async { c.wait(task.id) }
        withTimeout(5_000) { while (c.waitsInProgress() == 0u) delay(5) }
        job.cancel()
        assertTrue(runCatching { job.await() }.exceptionOrNull() is CancellationException)
        withTimeout(5_000) { while (c.waitsInProgress() != 0u) delay(5) }
        c.close()
        slowEmu.stop()
    }

    @Test
    fun cancelTokenStopsTheCall(): Unit = runBlocking {
        val slowEmu = Emulator.start(EmulatorOptions(timeScale = 1.0))
        val c = Client.fromSettings(ClientSettings(apiKey = slowEmu.apiKey(), baseUrl = slowEmu.baseUrl()))
        val token = CancelToken()
        val rec = Recorder()
        val job = async { runCatching { c.generate(VideoRequest(prompt = prompt), null, rec, token) } }
        withTimeout(5_000) { rec.submitted.await() }
        token.cancel()
        val result = withTimeout(5_000) { job.await() }
        assertTrue(result.exceptionOrNull() is SeedanceException.Cancelled, "$result")
        assertTrue(token.isCancelled())
        withTimeout(5_000) { while (c.waitsInProgress() != 0u) delay(5) }
        // cancelAll stops calls in progress too; later calls run.
        val t2 = c.submit(VideoRequest(prompt = prompt))
        val w = async { runCatching { c.wait(t2.id) } }
        withTimeout(5_000) { while (c.waitsInProgress() == 0u) delay(5) }
        c.cancelAll()
        assertTrue(withTimeout(5_000) { w.await() }.exceptionOrNull() is SeedanceException.Cancelled)
        assertEquals(t2.id, c.getTask(t2.id).id)
        c.close()
        slowEmu.stop()
    }

    // ---- the promises ---------------------------------------------------------------

    @Test
    fun fourConcurrentCoroutinesShareOneBudget(): Unit = runBlocking {
        emu.stop()
        emu = Emulator.start(
            EmulatorOptions(timeScale = 1000.0, rateLimit = RateLimitSetting.Limit(6u, Duration.ofSeconds(1))),
        )
        val c = newClient(
            settings { s -> s.copy(rateLimit = RateLimitSetting.Limit(5u, Duration.ofSeconds(1))) },
        )
        val tasks = (1..4).map { i -> async { c.generate(VideoRequest(prompt = "$prompt, take $i")) } }.awaitAll()
        assertEquals(4, tasks.map { it.id }.toSet().size)
        assertTrue(tasks.all { it.status == TaskStatus.Completed })
        assertEquals(0uL, emu.stats().rateLimited, "never rate-limited by ourselves")
        assertEquals(emu.stats().requests, c.requestsSent())
        c.close()
    }

    @Test
    fun budgetBackends(): Unit = runBlocking {
        // Two clients on one machine-wide budget (its file in a directory of ours) of one
        // request a minute: the second waits for the first's, until cancelled.
        val shared = settings { s ->
            s.copy(
                rateLimit = RateLimitSetting.Limit(1u, Duration.ofSeconds(60)),
                budget = BudgetSetting.Machine(dir.resolve("budget").toString()),
            )
        }
        val a = newClient(shared)
        val b = newClient(shared)
        a.submit(VideoRequest(prompt = prompt))
        assertTrue(Files.list(dir.resolve("budget")).use { it.count() } > 0, "the budget's file")
        val submits = emu.stats().submits
        val token = CancelToken()
        val waiting = async { runCatching { b.submit(VideoRequest(prompt = prompt), null, null, token) } }
        delay(100)
        token.cancel()
        val result = withTimeout(5_000) { waiting.await() }
        assertTrue(result.exceptionOrNull() is SeedanceException.Cancelled, "$result")
        assertEquals(submits, emu.stats().submits, "b waited for the shared budget")
        // A process budget of the same size is the client's own: it submits at once.
        val own = newClient(shared.copy(budget = BudgetSetting.Process))
        withTimeout(5_000) { own.submit(VideoRequest(prompt = prompt)) }
        listOf(a, b, own).forEach { it.close() }
    }

    @Test
    fun chargedOnceAfterADroppedConnection(): Unit = runBlocking {
        assertEquals(1u, emu.injectFaults("""{"endpoint":"submit","kind":"drop_after","nth":1}"""))
        val rec = Recorder()
        val task = client.generate(VideoRequest(prompt = prompt), null, rec)
        assertEquals(TaskStatus.Completed, task.status)
        val stats = emu.stats()
        assertEquals(2uL, stats.submits, "the submit was sent again…")
        assertEquals(1uL, stats.tasksCreated, "…and charged once")
        assertTrue(rec.events.any { it is ProgressEvent.RetryScheduled }, "${rec.events}")
    }
}
