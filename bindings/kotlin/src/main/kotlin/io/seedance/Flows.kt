// Hand-written helpers over the generated bindings (src/generated): progress as a Flow.
package io.seedance

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.channelFlow

/**
 * Runs [call] with a [ProgressListener] and emits the call's events as a cold [Flow].
 * The flow completes when the call returns and fails with its exception
 * (a [SeedanceException]); cancelling the collector cancels the call (the Rust future is
 * dropped). No event is lost: the buffer is unbounded.
 *
 * ```kotlin
 * progressFlow { listener -> client.generate(request, listener = listener) }
 *     .collect { event -> println(event) }
 * ```
 */
fun progressFlow(call: suspend (ProgressListener) -> Unit): Flow<ProgressEvent> =
    channelFlow {
        val listener = object : ProgressListener {
            override fun onEvent(event: ProgressEvent) {
                trySend(event)
            }
        }
        call(listener)
    }.buffer(Channel.UNLIMITED)

/**
 * [Client.generate] as a flow of its progress; the last events are
 * [ProgressEvent.Completed] (with the task) and, when `options.downloadTo` is set, the
 * download's [ProgressEvent.DownloadProgress].
 */
fun Client.generateFlow(
    request: VideoRequest,
    options: GenerateOptions? = null,
    cancel: CancelToken? = null,
): Flow<ProgressEvent> = progressFlow { generate(request, options, it, cancel) }

/** [Client.wait] as a flow of its progress (the last event is `Completed` or `Failed`). */
fun Client.waitFlow(
    taskId: String,
    options: WaitOptions? = null,
    cancel: CancelToken? = null,
): Flow<ProgressEvent> = progressFlow { wait(taskId, options, it, cancel) }

/** [Client.download] as a flow of [ProgressEvent.DownloadProgress] events. */
fun Client.downloadFlow(
    task: Task,
    path: String,
    options: DownloadOptions? = null,
    cancel: CancelToken? = null,
): Flow<ProgressEvent> = progressFlow { download(task, path, options, it, cancel) }
