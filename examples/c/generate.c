/*
 * generate.c: one video from a director prompt, with progress, downloaded.
 *
 *   export SEEDANCE_API_KEY=sk_live_...      (SEEDANCE_BASE_URL for another origin)
 *   ./generate [OUTPUT_DIR]
 *
 * Build: see README ("C quick start") or examples/c/CMakeLists.txt.
 */
#include <stdio.h>
#include <stdlib.h>

#include <seedance.h>

/* Prints the last error of this thread: its result, message and every detail. */
static int report(const char *what, seedance_result result) {
    char message[2048];
    seedance_last_error_message(message, sizeof message, NULL);
    fprintf(stderr, "%s failed: %s: %s\n", what, seedance_result_name(result), message);
    for (size_t i = 0; i < seedance_last_error_detail_count(); i++) {
        char field[128], detail[1024];
        seedance_last_error_detail_field(i, field, sizeof field, NULL);
        seedance_last_error_detail_message(i, detail, sizeof detail, NULL);
        fprintf(stderr, "  %s: %s\n", field, detail);
    }
    char task_id[128];
    size_t n = 0;
    if (seedance_last_error_task_id(task_id, sizeof task_id, &n) == SEEDANCE_RESULT_OK && n > 0) {
        fprintf(stderr, "  task: %s\n", task_id);
    }
    return 1;
}

/* Called on this thread as the job moves. */
static void on_progress(void *user_data, const seedance_event *event) {
    const char *name = user_data;
    switch (event->kind) {
    case SEEDANCE_EVENT_KIND_SUBMITTED:
        printf("[%s] submitted %s (%llu credits)\n", name, event->task_id,
               (unsigned long long)event->credits_used);
        break;
    case SEEDANCE_EVENT_KIND_WAITING:
        printf("[%s] %s after %u polls, next in %llu ms\n", name, event->status, event->count,
               (unsigned long long)event->delay_ms);
        break;
    case SEEDANCE_EVENT_KIND_RETRY_SCHEDULED:
        printf("[%s] retry %u in %llu ms: %s\n", name, event->count,
               (unsigned long long)event->delay_ms, event->message);
        break;
    case SEEDANCE_EVENT_KIND_COMPLETED:
        printf("[%s] completed after %llu ms\n", name, (unsigned long long)event->elapsed_ms);
        break;
    case SEEDANCE_EVENT_KIND_FAILED:
        printf("[%s] failed: %s: %s\n", name, event->status, event->message);
        break;
    case SEEDANCE_EVENT_KIND_DOWNLOAD_PROGRESS:
        printf("[%s] %s: %llu bytes\n", name, event->message, (unsigned long long)event->bytes);
        break;
    default:
        break;
    }
}

int main(int argc, char **argv) {
    const char *out_dir = argc > 1 ? argv[1] : ".";
    int status = 1;
    seedance_client *client = NULL;
    seedance_request *request = NULL;
    seedance_task *task = NULL;

    seedance_result r = seedance_client_from_env(&client);
    if (r == SEEDANCE_RESULT_NO_API_KEY) {
        /* a result of its own: say how to fix it */
        report("creating the client", r);
        fprintf(stderr, "  set SEEDANCE_API_KEY (sk_live_...) and run again\n");
        goto done;
    }
    if (r != SEEDANCE_RESULT_OK) {
        report("creating the client", r);
        goto done;
    }

    /* The prompt guide as data: references go to the right fields, roles in words. */
    const char *director =
        "{\"subject\": \"a glass train\","
        " \"shots\": ["
        "   {\"action\": \"it bursts out of a tunnel\", \"camera\": \"low angle, tilt up\"},"
        "   {\"action\": \"it crosses a snowy mountain bridge\", \"camera\": \"drone pull-back\"}"
        " ],"
        " \"style\": \"cold blue palette, cinematic\","
        " \"duration\": 6}";
    r = seedance_request_from_director_prompt(director, &request);
    if (r != SEEDANCE_RESULT_OK) {
        report("building the request", r);
        goto done;
    }

    seedance_call_options options;
    seedance_call_options_init(&options);
    options.progress = on_progress;
    options.user_data = "train";
    options.download_dir = out_dir;
    r = seedance_generate(client, request, &options, &task);
    if (r != SEEDANCE_RESULT_OK) {
        report("generating", r);
        goto done;
    }

    uint64_t credits = 0;
    seedance_task_credits_used(task, &credits);
    printf("task %s: %s, %llu credits\n", seedance_task_id(task), seedance_task_status(task),
           (unsigned long long)credits);
    printf("video: %s\n", seedance_task_video_path(task));
    if (seedance_task_last_frame_path(task) != NULL) {
        printf("last frame: %s\n", seedance_task_last_frame_path(task));
    }
    status = 0;

done:
    seedance_task_free(task);
    seedance_request_free(request);
    seedance_client_free(client);
    return status;
}
