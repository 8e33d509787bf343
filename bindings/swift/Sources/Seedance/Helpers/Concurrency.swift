// Hand-written helpers over the generated bindings: Swift task cancellation reaches the
// Rust future through a CancelToken, and progress comes as an AsyncThrowingStream.
import Foundation

/// Runs `body` with a fresh `CancelToken` that is cancelled when the current Swift task
/// is: uniffi's async methods do not see Swift cancellation by themselves.
///
///     let task = try await withCancelToken { token in
///         try await client.generate(request: request, cancel: token)
///     }
public func withCancelToken<T>(_ body: (CancelToken) async throws -> T) async throws -> T {
    let token = CancelToken()
    return try await withTaskCancellationHandler {
        try await body(token)
    } onCancel: {
        token.cancel()
    }
}

/// Hands each event to an `AsyncThrowingStream`.
final class StreamListener: ProgressListener, @unchecked Sendable {
    private let continuation: AsyncThrowingStream<ProgressEvent, Error>.Continuation

    init(_ continuation: AsyncThrowingStream<ProgressEvent, Error>.Continuation) {
        self.continuation = continuation
    }

    func onEvent(event: ProgressEvent) {
        continuation.yield(event)
    }
}

/// Runs `call` with a listener and returns its events as a stream that finishes when the
/// call returns and throws its error (a `SeedanceError`). Ending the iteration early
/// cancels the call.
///
///     for try await event in progressStream({ l, t in try await client.generate(request: r, listener: l, cancel: t) }) {
///         print(event)
///     }
public func progressStream<T>(
    _ call: @escaping @Sendable (ProgressListener, CancelToken) async throws -> T
) -> AsyncThrowingStream<ProgressEvent, Error> {
    AsyncThrowingStream(bufferingPolicy: .unbounded) { continuation in
        let token = CancelToken()
        let listener = StreamListener(continuation)
        let work = _Concurrency.Task {
            do {
                _ = try await call(listener, token)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { @Sendable _ in
            token.cancel()
            work.cancel()
        }
    }
}

extension Client {
    /// `submit`, cancelled with the calling Swift task.
    public func submit(_ request: VideoRequest, idempotencyKey: String? = nil,
                       listener: ProgressListener? = nil) async throws -> VideoTask {
        try await withCancelToken { token in
            try await self.submit(request: request, idempotencyKey: idempotencyKey,
                                  listener: listener, cancel: token)
        }
    }

    /// `getTask`, cancelled with the calling Swift task.
    public func getTask(_ taskId: String) async throws -> VideoTask {
        try await withCancelToken { token in
            try await self.getTask(taskId: taskId, cancel: token)
        }
    }

    /// `wait`, cancelled with the calling Swift task.
    public func wait(_ taskId: String, options: WaitOptions? = nil,
                     listener: ProgressListener? = nil) async throws -> VideoTask {
        try await withCancelToken { token in
            try await self.wait(taskId: taskId, options: options, listener: listener, cancel: token)
        }
    }

    /// `generate`, cancelled with the calling Swift task.
    public func generate(_ request: VideoRequest, options: GenerateOptions? = nil,
                         listener: ProgressListener? = nil) async throws -> VideoTask {
        try await withCancelToken { token in
            try await self.generate(request: request, options: options, listener: listener, cancel: token)
        }
    }

    /// `download`, cancelled with the calling Swift task.
    public func download(_ task: VideoTask, to path: String, options: DownloadOptions? = nil,
                         listener: ProgressListener? = nil) async throws -> Downloaded {
        try await withCancelToken { token in
            try await self.download(task: task, path: path, options: options,
                                    listener: listener, cancel: token)
        }
    }

    /// `resume`, cancelled with the calling Swift task.
    public func resumeJobs(listener: ProgressListener? = nil) async throws -> [JobOutcome] {
        try await withCancelToken { token in
            try await self.resume(listener: listener, cancel: token)
        }
    }

    /// `generate` as a stream of its progress; the last events are `.completed` (with the
    /// task) and, when `options.downloadTo` is set, the download's progress.
    public func generateStream(_ request: VideoRequest, options: GenerateOptions? = nil)
        -> AsyncThrowingStream<ProgressEvent, Error>
    {
        progressStream { listener, token in
            try await self.generate(request: request, options: options, listener: listener, cancel: token)
        }
    }

    /// `wait` as a stream of its progress.
    public func waitStream(_ taskId: String, options: WaitOptions? = nil)
        -> AsyncThrowingStream<ProgressEvent, Error>
    {
        progressStream { listener, token in
            try await self.wait(taskId: taskId, options: options, listener: listener, cancel: token)
        }
    }
}
