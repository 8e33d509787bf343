/*
 * The C API against the embedded emulator: every call, every result code that can be
 * provoked, the promises (charged once after a dropped connection, no key on the CDN),
 * and one client used from 4 threads. Built plain, with -fsanitize=address,undefined,
 * and run under valgrind by bindings/c/tests/run.sh (`./scripts/test c`).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "seedance.h"

static int passed, failed;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (cond) {                                                                 \
            passed++;                                                               \
        } else {                                                                    \
            failed++;                                                               \
            char m_[512];                                                           \
            seedance_last_error_message(m_, sizeof m_, NULL);                       \
            fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, \
                    #cond, m_);                                                     \
        }                                                                           \
    } while (0)

#define CHECK_RESULT(call, want)                                                        \
    do {                                                                                \
        seedance_result got_ = (call);                                                  \
        if (got_ == (want)) {                                                           \
            passed++;                                                                   \
        } else {                                                                        \
            failed++;                                                                   \
            char m_[512];                                                               \
            seedance_last_error_message(m_, sizeof m_, NULL);                           \
            fprintf(stderr, "FAIL %s:%d: %s gave %s, want %s (last error: %s)\n",       \
                    __FILE__, __LINE__, #call, seedance_result_name(got_),              \
                    seedance_result_name(want), m_);                                    \
        }                                                                               \
    } while (0)

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *PROMPT = "A cinematic shot of a glass train crossing a snowy mountain bridge";

static seedance_emulator *emu;
static char dir[256];

static seedance_client *client_with_key(const char *key, double time_scale, const char *journal) {
    seedance_client_options o;
    seedance_client_options_init(&o);
    o.api_key = key;
    o.base_url = seedance_emulator_base_url(emu);
    o.time_scale = time_scale;
    o.no_rate_limit = true;
    o.job_store_path = journal;
    seedance_client *c = NULL;
    CHECK_RESULT(seedance_client_new(&o, &c), SEEDANCE_RESULT_OK);
    return c;
}

static seedance_request *request(const char *prompt) {
    seedance_request *r = NULL;
    CHECK_RESULT(seedance_request_new(prompt, &r), SEEDANCE_RESULT_OK);
    return r;
}

static uint64_t counter(seedance_emulator *e, const char *name);
static void *cancel_now(void *arg);
static uint64_t counter(seedance_emulator *e, const char *name) {
    uint64_t v = 0;
    CHECK_RESULT(seedance_emulator_stat(e, name, &v), SEEDANCE_RESULT_OK);
    return v;
}

static void test_names_and_version(void) {
    CHECK(strcmp(seedance_version(), SEEDANCE_VERSION) == 0);
    CHECK(strcmp(seedance_result_name(SEEDANCE_RESULT_CANCELLED), "SEEDANCE_RESULT_CANCELLED") == 0);
    CHECK(strcmp(seedance_result_name(SEEDANCE_RESULT_OK), "SEEDANCE_RESULT_OK") == 0);
    CHECK(strcmp(seedance_result_name(123456), "SEEDANCE_RESULT_UNKNOWN") == 0);
    CHECK(SEEDANCE_RESULT_PANIC == 305 && SEEDANCE_RESULT_NOT_FOUND == 107);
    /* the numbers of the SDK's error table (the CLI's, Python's, Kotlin's, Swift's) */
    CHECK(SEEDANCE_RESULT_NO_API_KEY == 211 && SEEDANCE_RESULT_PREFLIGHT == 212);
    CHECK(strcmp(seedance_result_name(211), "SEEDANCE_RESULT_NO_API_KEY") == 0);
    CHECK(strcmp(seedance_result_name(SEEDANCE_RESULT_PREFLIGHT), "SEEDANCE_RESULT_PREFLIGHT") == 0);
}

static void test_null_and_bad_utf8(void) {
    seedance_request *r = NULL;
    CHECK_RESULT(seedance_request_new(NULL, &r), SEEDANCE_RESULT_NULL_PARAMETER);
    CHECK(r == NULL);
    CHECK(seedance_last_error_result() == SEEDANCE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(seedance_request_new(PROMPT, NULL), SEEDANCE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(seedance_request_new("bad \xff\xfe utf-8", &r), SEEDANCE_RESULT_INVALID_UTF8);
    char msg[256];
    size_t n = 0;
    CHECK_RESULT(seedance_last_error_message(msg, sizeof msg, &n), SEEDANCE_RESULT_OK);
    CHECK(strstr(msg, "UTF-8") != NULL && n == strlen(msg));
    CHECK_RESULT(seedance_get_task(NULL, "sd2_x", NULL), SEEDANCE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(seedance_request_from_json(NULL, &r), SEEDANCE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(seedance_cancel_trigger(NULL), SEEDANCE_RESULT_NULL_PARAMETER);
    CHECK_RESULT(seedance_emulator_inject(emu, "{not json"), SEEDANCE_RESULT_INVALID_ARGUMENT);
    CHECK(seedance_task_id(NULL) == NULL);
    CHECK(!seedance_task_credits_used(NULL, NULL));
    /* every *_free takes NULL */
    seedance_client_free(NULL);
    seedance_request_free(NULL);
    seedance_task_free(NULL);
    seedance_cancel_free(NULL);
    seedance_emulator_free(NULL);
    seedance_string_free(NULL);
    /* a good call clears the last error */
    r = request(PROMPT);
    CHECK(seedance_last_error_result() == SEEDANCE_RESULT_OK);
    seedance_request_free(r);
}

static void test_last_error_buffers(void) {
    seedance_request *r = NULL;
    CHECK_RESULT(seedance_request_new(NULL, &r), SEEDANCE_RESULT_NULL_PARAMETER);
    size_t need = 0;
    CHECK_RESULT(seedance_last_error_message(NULL, 0, &need), SEEDANCE_RESULT_BUFFER_TOO_SMALL);
    CHECK(need == strlen("prompt must not be NULL"));
    char small[7];
    size_t n = 0;
    CHECK_RESULT(seedance_last_error_message(small, sizeof small, &n), SEEDANCE_RESULT_BUFFER_TOO_SMALL);
    CHECK(strcmp(small, "prompt") == 0 && n == need);
    char *big = malloc(need + 1);
    CHECK_RESULT(seedance_last_error_message(big, need + 1, &n), SEEDANCE_RESULT_OK);
    CHECK(n == need && strcmp(big, "prompt must not be NULL") == 0);
    free(big);
}

static void test_requests_and_validation(void) {
    seedance_request *r = request("A cat");
    CHECK_RESULT(seedance_request_set_int(r, "duration", 3), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_request_set_string(r, "resolution", "4k"), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_request_set_bool(r, "generate_audio", false), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_request_set_int(r, "seed", 42), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_request_add_media_url(r, "https://cdn.example.com/a.png"), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_request_set_string(r, "colour", "red"), SEEDANCE_RESULT_INVALID_ARGUMENT);
    CHECK_RESULT(seedance_request_set_bool(r, "duration", true), SEEDANCE_RESULT_INVALID_ARGUMENT);
    CHECK_RESULT(seedance_request_validate(r), SEEDANCE_RESULT_VALIDATION);
    size_t count = seedance_last_error_detail_count();
    /* duration and resolution; the media URL is no violation: the mode is inferred
     * (media-to-video, Reading R25) */
    CHECK(count == 2);
    int saw_duration = 0, saw_resolution = 0;
    for (size_t i = 0; i < count; i++) {
        char field[64], message[512];
        CHECK_RESULT(seedance_last_error_detail_field(i, field, sizeof field, NULL), SEEDANCE_RESULT_OK);
        CHECK_RESULT(seedance_last_error_detail_message(i, message, sizeof message, NULL), SEEDANCE_RESULT_OK);
        CHECK(message[0] != '\0');
        saw_duration |= strcmp(field, "duration") == 0;
        saw_resolution |= strcmp(field, "resolution") == 0;
    }
    CHECK(saw_duration && saw_resolution);
    char field[8];
    CHECK_RESULT(seedance_last_error_detail_field(count, field, sizeof field, NULL), SEEDANCE_RESULT_INVALID_ARGUMENT);
    char *json = NULL;
    CHECK_RESULT(seedance_request_to_json(r, &json), SEEDANCE_RESULT_OK);
    CHECK(json && strstr(json, "\"duration\":\"3\"") && strstr(json, "\"seed\":42"));
    seedance_string_free(json);
    seedance_request_free(r);

    seedance_request *j = NULL;
    CHECK_RESULT(seedance_request_from_json("{\"prompt\":\"A paper boat drifting\",\"duration\":\"6\"}", &j),
                 SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_request_validate(j), SEEDANCE_RESULT_OK);
    seedance_request_free(j);
    j = NULL;
    CHECK_RESULT(seedance_request_from_json("{\"prompt\":\"A boat\",\"colour\":\"red\"}", &j),
                 SEEDANCE_RESULT_INVALID_ARGUMENT);
    CHECK(j == NULL);
}

/* Reading R25: the C API infers a missing mode as the CLI and Python do, case by case
 * from the one shared table (tests/shared/mode-inference.json, one case per line; its
 * path in SEEDANCE_MODE_CASES, set by run.sh). */
static void test_mode_inference_shared_cases(void) {
    const char *path = getenv("SEEDANCE_MODE_CASES");
    CHECK(path != NULL);
    if (!path) return;
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[4096];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        char *fields = strstr(line, "{\"fields\": ");
        if (!fields) continue;
        fields += strlen("{\"fields\": ");
        /* the fields object ends where the expectation starts: `}, "mode"` or `}, "refused"` */
        char *mode = strstr(fields, "}, \"mode\": ");
        char *refused = strstr(fields, "}, \"refused\": ");
        char *end = mode ? mode : refused;
        CHECK(end != NULL);
        if (!end) continue;
        end[1] = '\0'; /* keep the closing brace of the fields */
        cases++;
        seedance_request *r = NULL;
        CHECK_RESULT(seedance_request_from_json(fields, &r), SEEDANCE_RESULT_OK);
        if (!r) continue;
        if (refused) {
            char want[64] = {0};
            sscanf(refused + strlen("}, \"refused\": \""), "%63[^\"]", want);
            CHECK_RESULT(seedance_request_validate(r), SEEDANCE_RESULT_VALIDATION);
            int named = 0;
            for (size_t i = 0; i < seedance_last_error_detail_count(); i++) {
                char field[64];
                if (seedance_last_error_detail_field(i, field, sizeof field, NULL) == SEEDANCE_RESULT_OK)
                    named |= strcmp(field, want) == 0;
            }
            if (!named) fprintf(stderr, "case %d (%s): no violation names %s\n", cases, fields, want);
            CHECK(named);
        } else {
            const char *v = mode + strlen("}, \"mode\": ");
            char want[80] = {0};
            if (strncmp(v, "null", 4) != 0) {
                char m[64] = {0};
                sscanf(v + 1, "%63[^\"]", m);
                snprintf(want, sizeof want, "\"mode\":\"%s\"", m);
            }
            CHECK_RESULT(seedance_request_validate(r), SEEDANCE_RESULT_OK);
            char *json = NULL;
            CHECK_RESULT(seedance_request_to_json(r, &json), SEEDANCE_RESULT_OK);
            if (json) {
                int ok = want[0] ? strstr(json, want) != NULL : strstr(json, "\"mode\"") == NULL;
                if (!ok) fprintf(stderr, "case %d: %s sent as %s\n", cases, fields, json);
                CHECK(ok);
            }
            seedance_string_free(json);
        }
        seedance_request_free(r);
    }
    fclose(f);
    CHECK(cases >= 7);
}

static void test_director_prompt_and_lint(void) {
    const char *dp = "{\"subject\":\"a glass train\",\"action\":\"it crosses a snowy mountain bridge\","
                     "\"duration\":6}";
    seedance_request *r = NULL;
    CHECK_RESULT(seedance_request_from_director_prompt(dp, &r), SEEDANCE_RESULT_OK);
    char *json = NULL;
    CHECK_RESULT(seedance_request_to_json(r, &json), SEEDANCE_RESULT_OK);
    CHECK(json && strstr(json, "glass train") && strstr(json, "\"duration\":\"6\""));
    seedance_string_free(json);
    seedance_request_free(r);
    char *text = NULL;
    CHECK_RESULT(seedance_director_prompt_render(dp, &text), SEEDANCE_RESULT_OK);
    CHECK(text && strstr(text, "Subject: a glass train."));
    seedance_string_free(text);
    CHECK_RESULT(seedance_director_prompt_render("{}", &text), SEEDANCE_RESULT_VALIDATION);
    CHECK(text == NULL && seedance_last_error_detail_count() == 1);
    CHECK_RESULT(seedance_director_prompt_render("[1,2]", &text), SEEDANCE_RESULT_INVALID_ARGUMENT);

    size_t count = 99;
    char *findings = NULL;
    CHECK_RESULT(seedance_lint_prompt("Use asset://abc123 as the opening frame", &count, &findings),
                 SEEDANCE_RESULT_OK);
    CHECK(count >= 1 && findings && strstr(findings, "\"kind\":\"asset_url\""));
    seedance_string_free(findings);
    CHECK_RESULT(seedance_lint_prompt(PROMPT, &count, NULL), SEEDANCE_RESULT_OK);
    CHECK(count == 0);
}

struct progress {
    int submitted, waiting, completed, downloads;
};

static void on_progress(void *user_data, const seedance_event *e) {
    struct progress *p = user_data;
    switch (e->kind) {
    case SEEDANCE_EVENT_KIND_SUBMITTED: p->submitted++; break;
    case SEEDANCE_EVENT_KIND_WAITING: p->waiting++; break;
    case SEEDANCE_EVENT_KIND_COMPLETED: p->completed++; break;
    case SEEDANCE_EVENT_KIND_DOWNLOAD_PROGRESS: p->downloads++; break;
    default: break;
    }
    if (e->task_id == NULL || strncmp(e->task_id, "sd2_", 4) != 0) p->submitted = -1000;
}

static int file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (int)st.st_size : -1;
}

static void test_calls(seedance_client *c) {
    seedance_request *r = request(PROMPT);
    seedance_task *t = NULL;
    CHECK_RESULT(seedance_submit(c, r, NULL, &t), SEEDANCE_RESULT_OK);
    CHECK(t && strncmp(seedance_task_id(t), "sd2_", 4) == 0);
    CHECK(!seedance_task_is_terminal(t));
    uint64_t credits = 0;
    CHECK(seedance_task_credits_used(t, &credits) && credits > 0);
    char id[64];
    snprintf(id, sizeof id, "%s", seedance_task_id(t));
    seedance_task_free(t);

    t = NULL;
    CHECK_RESULT(seedance_get_task(c, id, &t), SEEDANCE_RESULT_OK);
    CHECK(t && strcmp(seedance_task_id(t), id) == 0);
    seedance_task_free(t);

    t = NULL;
    CHECK_RESULT(seedance_wait(c, id, NULL, &t), SEEDANCE_RESULT_OK);
    CHECK(t && strcmp(seedance_task_status(t), "completed") == 0 && seedance_task_is_terminal(t));
    CHECK(seedance_task_video_url(t) && strncmp(seedance_task_video_url(t), "http://127.0.0.1", 16) == 0);
    CHECK(seedance_task_error_code(t) == NULL && seedance_task_video_path(t) == NULL);
    CHECK(seedance_task_last_frame_url(t) != NULL);
    uint64_t refunded = 99;
    CHECK(!seedance_task_credits_refunded(t, &refunded) || refunded == 0);
    CHECK(strstr(seedance_task_json(t), id) != NULL);

    char dest[300];
    snprintf(dest, sizeof dest, "%s/by-download", dir);
    mkdir(dest, 0700);
    char *video = NULL;
    CHECK_RESULT(seedance_download(c, t, dest, NULL, &video), SEEDANCE_RESULT_OK);
    CHECK(video && file_size(video) > 0);
    seedance_string_free(video);
    seedance_task_free(t);

    /* generate with progress and a download */
    struct progress p = {0};
    seedance_call_options o;
    seedance_call_options_init(&o);
    o.progress = on_progress;
    o.user_data = &p;
    snprintf(dest, sizeof dest, "%s/by-generate", dir);
    o.download_dir = dest;
    t = NULL;
    CHECK_RESULT(seedance_generate(c, r, &o, &t), SEEDANCE_RESULT_OK);
    CHECK(t && seedance_task_video_path(t) && file_size(seedance_task_video_path(t)) > 0);
    CHECK(p.submitted == 1 && p.completed == 1 && p.downloads >= 1);
    seedance_task_free(t);
    seedance_request_free(r);

    /* the key never reaches the CDN */
    CHECK(counter(emu, "cdn_auth_headers_seen") == 0);
    char *stats = NULL;
    CHECK_RESULT(seedance_emulator_stats(emu, &stats), SEEDANCE_RESULT_OK);
    CHECK(stats && strstr(stats, "\"tasks_created\""));
    seedance_string_free(stats);
}

static void test_api_errors(void) {
    seedance_request *r = request(PROMPT);
    seedance_task *t = NULL;

    seedance_client *revoked = client_with_key(seedance_emulator_revoked_key(emu), 1000, NULL);
    CHECK_RESULT(seedance_submit(revoked, r, NULL, &t), SEEDANCE_RESULT_UNAUTHORIZED);
    CHECK(t == NULL && seedance_last_error_http_status() == 401);
    char msg[1024];
    seedance_last_error_message(msg, sizeof msg, NULL);
    CHECK(strstr(msg, seedance_emulator_revoked_key(emu)) == NULL);
    seedance_client_free(revoked);

    seedance_client *broke = client_with_key(seedance_emulator_no_credits_key(emu), 1000, NULL);
    CHECK_RESULT(seedance_submit(broke, r, NULL, &t), SEEDANCE_RESULT_INSUFFICIENT_CREDITS);
    CHECK(seedance_last_error_http_status() == 402);
    seedance_client_free(broke);

    seedance_client *c = client_with_key(seedance_emulator_api_key(emu), 1000, NULL);
    CHECK_RESULT(seedance_get_task(c, "sd2_doesnotexist0000", &t), SEEDANCE_RESULT_NOT_FOUND);
    CHECK(seedance_last_error_http_status() == 404);

    /* an invalid request is refused before anything is sent */
    uint64_t submits = counter(emu, "submits");
    seedance_request *bad = request("A cat");
    CHECK_RESULT(seedance_request_set_int(bad, "duration", 99), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_submit(c, bad, NULL, &t), SEEDANCE_RESULT_VALIDATION);
    CHECK(seedance_last_error_detail_count() == 1);
    CHECK(counter(emu, "submits") == submits);
    seedance_request_free(bad);

    /* a failed task */
    char failing[256];
    snprintf(failing, sizeof failing, "A glass train %s crossing a bridge", seedance_emulator_failure_marker(emu));
    seedance_request *f = request(failing);
    CHECK_RESULT(seedance_generate(c, f, NULL, &t), SEEDANCE_RESULT_TASK_FAILED);
    char task_id[64];
    size_t n = 0;
    CHECK_RESULT(seedance_last_error_task_id(task_id, sizeof task_id, &n), SEEDANCE_RESULT_OK);
    CHECK(n > 4 && strncmp(task_id, "sd2_", 4) == 0);
    seedance_request_free(f);
    seedance_task *ft = NULL;
    CHECK_RESULT(seedance_get_task(c, task_id, &ft), SEEDANCE_RESULT_OK);
    CHECK(ft && strcmp(seedance_task_status(ft), "failed") == 0 && seedance_task_is_terminal(ft));
    CHECK(seedance_task_error_code(ft) != NULL && seedance_task_error_message(ft) != NULL);
    uint64_t used = 0, refunded = 0;
    CHECK(seedance_task_credits_used(ft, &used) && seedance_task_credits_refunded(ft, &refunded));
    CHECK(refunded == used && used > 0);
    CHECK(seedance_task_video_url(ft) == NULL);
    seedance_task_free(ft);

    /* a wait that gives up */
    CHECK_RESULT(seedance_submit(c, r, NULL, &t), SEEDANCE_RESULT_OK);
    seedance_call_options o;
    seedance_call_options_init(&o);
    o.timeout_ms = 1;
    seedance_task *w = NULL;
    CHECK_RESULT(seedance_wait(c, seedance_task_id(t), &o, &w), SEEDANCE_RESULT_WAIT_TIMEOUT);
    CHECK_RESULT(seedance_last_error_task_id(task_id, sizeof task_id, NULL), SEEDANCE_RESULT_OK);
    CHECK(strcmp(task_id, seedance_task_id(t)) == 0);
    seedance_task_free(t);

    /* configuration */
    seedance_client *none = NULL;
    CHECK_RESULT(seedance_client_new(NULL, &none), SEEDANCE_RESULT_NO_API_KEY);
    {
        char m[512];
        seedance_last_error_message(m, sizeof m, NULL);
        CHECK(strstr(m, "SEEDANCE_API_KEY") != NULL && strstr(m, "api_key") != NULL);
    }
    seedance_client_options co;
    seedance_client_options_init(&co);
    co.api_key = "sk_test_x";
    co.base_url = "http://example.com";
    CHECK_RESULT(seedance_client_new(&co, &none), SEEDANCE_RESULT_CONFIG);
    CHECK(none == NULL);

    seedance_client_free(c);
    seedance_request_free(r);
}

/* The finer kind of the last error (seedance_last_error_kind): connection refused is
 * "connect", a CDN that answers 503 "status", a file that is no job store "database";
 * empty after a success and for errors without one. */
static void kind_is(const char *want, int line) {
    char kind[64] = "unset";
    size_t n = 99;
    seedance_result got = seedance_last_error_kind(kind, sizeof kind, &n);
    if (got == SEEDANCE_RESULT_OK && strcmp(kind, want) == 0 && n == strlen(want)) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "FAIL %s:%d: last error kind \"%s\" (%zu bytes, %s), want \"%s\"\n", __FILE__,
                line, kind, n, seedance_result_name(got), want);
    }
}
#define KIND_IS(want) kind_is((want), __LINE__)

static void test_error_kinds(void) {
    /* connection refused: the port of an emulator that has stopped */
    seedance_emulator_options eo = {0};
    eo.no_rate_limit = true;
    seedance_emulator *gone = NULL;
    CHECK_RESULT(seedance_emulator_start(&eo, &gone), SEEDANCE_RESULT_OK);
    char url[128];
    snprintf(url, sizeof url, "%s", seedance_emulator_base_url(gone));
    CHECK_RESULT(seedance_emulator_stop(gone), SEEDANCE_RESULT_OK);
    seedance_client_options o;
    seedance_client_options_init(&o);
    o.api_key = "sk_test_seedance";
    o.base_url = url;
    o.max_retries_set = true;
    o.max_retries = 0;
    o.no_rate_limit = true;
    seedance_client *refused = NULL;
    CHECK_RESULT(seedance_client_new(&o, &refused), SEEDANCE_RESULT_OK);
    seedance_task *t = NULL;
    CHECK_RESULT(seedance_get_task(refused, "sd2_x", &t), SEEDANCE_RESULT_NETWORK);
    CHECK(t == NULL);
    KIND_IS("connect");
    /* the buffer convention of the other accessors: the length alone, then truncated */
    size_t need = 0;
    CHECK_RESULT(seedance_last_error_kind(NULL, 0, &need), SEEDANCE_RESULT_BUFFER_TOO_SMALL);
    CHECK(need == strlen("connect"));
    char small[4];
    size_t n = 0;
    CHECK_RESULT(seedance_last_error_kind(small, sizeof small, &n), SEEDANCE_RESULT_BUFFER_TOO_SMALL);
    CHECK(strcmp(small, "con") == 0 && n == need);
    KIND_IS("connect"); /* reading it does not clear it */
    seedance_client_free(refused);
    seedance_emulator_free(gone);

    /* a success leaves no kind behind */
    seedance_request *r = request(PROMPT);
    CHECK(seedance_last_error_result() == SEEDANCE_RESULT_OK);
    KIND_IS("");

    /* errors without a finer kind: an API error, a NULL argument */
    seedance_client *c = client_with_key(seedance_emulator_api_key(emu), 1000, NULL);
    CHECK_RESULT(seedance_get_task(c, "sd2_doesnotexist0000", &t), SEEDANCE_RESULT_NOT_FOUND);
    KIND_IS("");
    CHECK_RESULT(seedance_get_task(c, NULL, &t), SEEDANCE_RESULT_NULL_PARAMETER);
    KIND_IS("");

    /* a download the CDN refuses (503, no retry) */
    seedance_client_options_init(&o);
    o.api_key = seedance_emulator_api_key(emu);
    o.base_url = seedance_emulator_base_url(emu);
    o.time_scale = 1000;
    o.max_retries_set = true;
    o.max_retries = 0;
    o.no_rate_limit = true;
    seedance_client *once = NULL;
    CHECK_RESULT(seedance_client_new(&o, &once), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_generate(once, r, NULL, &t), SEEDANCE_RESULT_OK);
    KIND_IS("");
    CHECK_RESULT(seedance_emulator_inject(emu, "{\"endpoint\":\"cdn\",\"kind\":\"service_busy\",\"times\":1}"),
                 SEEDANCE_RESULT_OK);
    char dest[300];
    snprintf(dest, sizeof dest, "%s/kind-download", dir);
    mkdir(dest, 0700);
    char *video = NULL;
    CHECK_RESULT(seedance_download(once, t, dest, NULL, &video), SEEDANCE_RESULT_DOWNLOAD);
    CHECK(video == NULL);
    KIND_IS("status");
    /* the CDN answers again: the download lands, the kind is gone */
    CHECK_RESULT(seedance_download(once, t, dest, NULL, &video), SEEDANCE_RESULT_OK);
    KIND_IS("");
    seedance_string_free(video);
    seedance_task_free(t);
    seedance_client_free(once);

    /* a job store that is no SQLite database */
    char store[300];
    snprintf(store, sizeof store, "%s/not-a-store.sqlite3", dir);
    FILE *f = fopen(store, "w");
    CHECK(f != NULL);
    if (f) {
        for (int i = 0; i < 200; i++) fputs("these are not the jobs you are looking for\n", f);
        fclose(f);
    }
    seedance_client *bad = NULL;
    o.job_store_path = store;
    CHECK_RESULT(seedance_client_new(&o, &bad), SEEDANCE_RESULT_JOB_STORE);
    CHECK(bad == NULL);
    KIND_IS("database");

    seedance_client_free(c);
    seedance_request_free(r);
}

struct canceller {
    seedance_cancel *token;
};

static void *cancel_soon(void *arg) {
    struct canceller *c = arg;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    seedance_cancel_trigger(c->token);
    return NULL;
}

static void test_cancel_from_another_thread(void) {
    /* realistic render times: the wait would last minutes without the cancel */
    seedance_emulator_options eo = {0};
    eo.time_scale = 1.0;
    eo.no_rate_limit = true;
    seedance_emulator *slow = NULL;
    CHECK_RESULT(seedance_emulator_start(&eo, &slow), SEEDANCE_RESULT_OK);
    seedance_client_options o;
    seedance_client_options_init(&o);
    o.api_key = seedance_emulator_api_key(slow);
    o.base_url = seedance_emulator_base_url(slow);
    o.no_rate_limit = true;
    seedance_client *c = NULL;
    CHECK_RESULT(seedance_client_new(&o, &c), SEEDANCE_RESULT_OK);
    seedance_request *r = request(PROMPT);
    seedance_task *t = NULL;
    CHECK_RESULT(seedance_submit(c, r, NULL, &t), SEEDANCE_RESULT_OK);

    struct canceller k = {0};
    CHECK_RESULT(seedance_cancel_new(&k.token), SEEDANCE_RESULT_OK);
    CHECK(!seedance_cancel_is_triggered(k.token));
    pthread_t th;
    pthread_create(&th, NULL, cancel_soon, &k);
    seedance_call_options co;
    seedance_call_options_init(&co);
    co.cancel = k.token;
    co.no_timeout = true;
    seedance_task *w = NULL;
    double start = now_s();
    CHECK_RESULT(seedance_wait(c, seedance_task_id(t), &co, &w), SEEDANCE_RESULT_CANCELLED);
    double took = now_s() - start;
    pthread_join(th, NULL);
    CHECK(w == NULL && seedance_cancel_is_triggered(k.token));
    /* the render takes minutes: returning within 30 s can only be the cancel */
    CHECK(took < 30.0);
    printf("cancelled after %.3f s\n", took);
    seedance_cancel_free(k.token);
    seedance_task_free(t);
    seedance_request_free(r);
    seedance_client_free(c);
    CHECK_RESULT(seedance_emulator_stop(slow), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_emulator_stop(slow), SEEDANCE_RESULT_OK);
    uint64_t v;
    CHECK_RESULT(seedance_emulator_stat(slow, "submits", &v), SEEDANCE_RESULT_INVALID_ARGUMENT);
    seedance_emulator_free(slow);
}

static void test_charged_once_after_a_dropped_connection(seedance_client *c) {
    uint64_t before = counter(emu, "tasks_created");
    uint64_t charged = counter(emu, "credits_charged");
    CHECK_RESULT(seedance_emulator_inject(emu, "{\"endpoint\":\"submit\",\"kind\":\"drop_after\",\"times\":1}"),
                 SEEDANCE_RESULT_OK);
    seedance_request *r = request(PROMPT);
    seedance_task *t = NULL;
    CHECK_RESULT(seedance_submit(c, r, NULL, &t), SEEDANCE_RESULT_OK);
    uint64_t credits = 0;
    CHECK(seedance_task_credits_used(t, &credits));
    CHECK(counter(emu, "tasks_created") == before + 1);
    CHECK(counter(emu, "credits_charged") == charged + credits);
    seedance_task_free(t);
    seedance_request_free(r);
}

struct worker {
    seedance_client *client;
    seedance_result result;
    char task_id[64];
};

static void *generate_on_thread(void *arg) {
    struct worker *w = arg;
    seedance_request *r = NULL;
    w->result = seedance_request_new(PROMPT, &r);
    if (w->result != SEEDANCE_RESULT_OK) return NULL;
    seedance_task *t = NULL;
    w->result = seedance_generate(w->client, r, NULL, &t);
    if (w->result == SEEDANCE_RESULT_OK) snprintf(w->task_id, sizeof w->task_id, "%s", seedance_task_id(t));
    seedance_task_free(t);
    seedance_request_free(r);
    return NULL;
}

static void test_four_threads_one_client(seedance_client *c) {
    struct worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i].client = c;
        w[i].result = SEEDANCE_RESULT_UNKNOWN;
        w[i].task_id[0] = '\0';
        pthread_create(&th[i], NULL, generate_on_thread, &w[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        CHECK_RESULT(w[i].result, SEEDANCE_RESULT_OK);
        for (int j = 0; j < i; j++) CHECK(strcmp(w[i].task_id, w[j].task_id) != 0);
    }
}

static void test_client_from_env(void) {
    setenv("SEEDANCE_API_KEY", seedance_emulator_api_key(emu), 1);
    setenv("SEEDANCE_BASE_URL", seedance_emulator_base_url(emu), 1);
    setenv("SEEDANCE_TIME_SCALE", "1000", 1);
    seedance_client *c = NULL;
    CHECK_RESULT(seedance_client_from_env(&c), SEEDANCE_RESULT_OK);
    CHECK(c && strncmp(seedance_client_base_url(c), seedance_emulator_base_url(emu), 16) == 0);
    seedance_request *r = request(PROMPT);
    seedance_task *t = NULL;
    CHECK_RESULT(seedance_submit(c, r, NULL, &t), SEEDANCE_RESULT_OK);
    seedance_task_free(t);
    seedance_client_free(c);
    /* read_env: the variables fill what the options leave out */
    seedance_client_options o;
    seedance_client_options_init(&o);
    o.read_env = true;
    o.no_rate_limit = true;
    c = NULL;
    CHECK_RESULT(seedance_client_new(&o, &c), SEEDANCE_RESULT_OK);
    t = NULL;
    CHECK_RESULT(seedance_generate(c, r, NULL, &t), SEEDANCE_RESULT_OK);
    CHECK(t && strcmp(seedance_task_status(t), "completed") == 0);
    seedance_task_free(t);
    seedance_client_free(c);
    seedance_request_free(r);
    unsetenv("SEEDANCE_API_KEY");
    unsetenv("SEEDANCE_BASE_URL");
    unsetenv("SEEDANCE_TIME_SCALE");
    c = NULL;
    CHECK_RESULT(seedance_client_from_env(&c), SEEDANCE_RESULT_NO_API_KEY);
    CHECK(c == NULL);
}

static void *cancel_now(void *arg) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    seedance_cancel_trigger(arg);
    return NULL;
}

/* A job cut short (cancelled mid-wait) is finished by seedance_resume from the job store. */
static void test_resume_finishes_an_unfinished_job(void) {
    seedance_emulator_options eo = {0};
    eo.time_scale = 100.0; /* a render of about a second */
    eo.no_rate_limit = true;
    seedance_emulator *e = NULL;
    CHECK_RESULT(seedance_emulator_start(&eo, &e), SEEDANCE_RESULT_OK);
    char journal[300];
    snprintf(journal, sizeof journal, "%s/resume.sqlite3", dir);
    seedance_client_options o;
    seedance_client_options_init(&o);
    o.api_key = seedance_emulator_api_key(e);
    o.base_url = seedance_emulator_base_url(e);
    o.time_scale = 100.0;
    o.no_rate_limit = true;
    o.job_store_path = journal;
    seedance_client *c = NULL;
    CHECK_RESULT(seedance_client_new(&o, &c), SEEDANCE_RESULT_OK);
    seedance_request *r = request(PROMPT);
    seedance_cancel *k = NULL;
    CHECK_RESULT(seedance_cancel_new(&k), SEEDANCE_RESULT_OK);
    seedance_call_options co;
    seedance_call_options_init(&co);
    co.cancel = k;
    co.idempotency_key = "c-test-resume-1";
    pthread_t th;
    pthread_create(&th, NULL, cancel_now, k);
    seedance_task *t = NULL;
    CHECK_RESULT(seedance_generate(c, r, &co, &t), SEEDANCE_RESULT_CANCELLED);
    pthread_join(th, NULL);
    char *jobs = NULL;
    CHECK_RESULT(seedance_list_jobs(c, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && strstr(jobs, "c-test-resume-1") && strstr(jobs, "\"unfinished\":true"));
    seedance_string_free(jobs);
    char *resumed = NULL;
    CHECK_RESULT(seedance_resume(c, &resumed), SEEDANCE_RESULT_OK);
    CHECK(resumed && strstr(resumed, "c-test-resume-1") && strstr(resumed, "\"result\":\"SEEDANCE_RESULT_OK\""));
    seedance_string_free(resumed);
    CHECK(counter(e, "tasks_created") == 1); /* re-attached, not submitted again */
    seedance_cancel_free(k);
    seedance_request_free(r);
    seedance_client_free(c);
    seedance_emulator_free(e);
}

static int entries(const char *path) {
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Who shares the budget: two clients on one machine-wide budget (kept in a directory of
 * ours) wait for each other; a process budget is the client's own; an unknown backend
 * is refused. */
static void test_budget_backends(void) {
    char bdir[300], scope[320];
    snprintf(bdir, sizeof bdir, "%s/budget", dir);
    mkdir(bdir, 0700);
    snprintf(scope, sizeof scope, "machine:%s", bdir);
    seedance_client_options o;
    seedance_client_options_init(&o);
    o.api_key = seedance_emulator_api_key(emu);
    o.base_url = seedance_emulator_base_url(emu);
    o.time_scale = 1000;
    o.rate_limit_requests = 1;
    o.rate_limit_window_ms = 60000;
    o.budget = scope;
    seedance_client *a = NULL, *b = NULL, *own = NULL;
    CHECK_RESULT(seedance_client_new(&o, &a), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_client_new(&o, &b), SEEDANCE_RESULT_OK);
    seedance_request *r = request(PROMPT);
    seedance_task *t = NULL;
    CHECK_RESULT(seedance_submit(a, r, NULL, &t), SEEDANCE_RESULT_OK);
    seedance_task_free(t);
    t = NULL;
    CHECK(entries(bdir) > 0); /* the budget lives in that directory */
    /* b shares a's budget, spent for a minute: its submit waits, until cancelled */
    seedance_cancel *k = NULL;
    CHECK_RESULT(seedance_cancel_new(&k), SEEDANCE_RESULT_OK);
    seedance_call_options co;
    seedance_call_options_init(&co);
    co.cancel = k;
    uint64_t submits = counter(emu, "submits");
    pthread_t th;
    pthread_create(&th, NULL, cancel_now, k);
    CHECK_RESULT(seedance_submit(b, r, &co, &t), SEEDANCE_RESULT_CANCELLED);
    pthread_join(th, NULL);
    CHECK(t == NULL && counter(emu, "submits") == submits);
    seedance_cancel_free(k);
    /* a process budget of the same size is this client's own: it submits at once */
    o.budget = "process";
    CHECK_RESULT(seedance_client_new(&o, &own), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_submit(own, r, NULL, &t), SEEDANCE_RESULT_OK);
    seedance_task_free(t);
    t = NULL;
    /* an unknown backend is a setting error, said as such */
    seedance_client *bad = NULL;
    o.budget = "memcached://cache:11211";
    CHECK_RESULT(seedance_client_new(&o, &bad), SEEDANCE_RESULT_CONFIG);
    char m[512];
    seedance_last_error_message(m, sizeof m, NULL);
    CHECK(bad == NULL && strstr(m, "budget") != NULL);
    seedance_request_free(r);
    seedance_client_free(own);
    seedance_client_free(b);
    seedance_client_free(a);
}

/* The job store: a file of ours, or none at all even when SEEDANCE_JOURNAL names one; the
 * shared default (the CLI's and Python's) under the data directory. */
static void test_job_store_path_or_none(void) {
    char store[300];
    snprintf(store, sizeof store, "%s/from-env.sqlite3", dir);
    setenv("SEEDANCE_JOURNAL", store, 1);
    seedance_client_options o;
    seedance_client_options_init(&o);
    o.api_key = seedance_emulator_api_key(emu);
    o.base_url = seedance_emulator_base_url(emu);
    o.time_scale = 1000;
    o.no_rate_limit = true;
    o.read_env = true;
    o.no_job_store = true;
    seedance_client *c = NULL;
    CHECK_RESULT(seedance_client_new(&o, &c), SEEDANCE_RESULT_OK);
    seedance_request *r = request(PROMPT);
    seedance_task *t = NULL;
    CHECK_RESULT(seedance_generate(c, r, NULL, &t), SEEDANCE_RESULT_OK);
    seedance_task_free(t);
    t = NULL;
    char *jobs = NULL;
    CHECK_RESULT(seedance_list_jobs(c, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && strcmp(jobs, "[]") == 0);
    seedance_string_free(jobs);
    CHECK(file_size(store) < 0); /* nothing was written there */
    seedance_client_free(c);
    /* without no_job_store the variable is read */
    o.no_job_store = false;
    c = NULL;
    CHECK_RESULT(seedance_client_new(&o, &c), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_generate(c, r, NULL, &t), SEEDANCE_RESULT_OK);
    jobs = NULL;
    CHECK_RESULT(seedance_list_jobs(c, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && t && strstr(jobs, seedance_task_id(t)) && file_size(store) > 0);
    seedance_string_free(jobs);
    seedance_task_free(t);
    seedance_client_free(c);
    unsetenv("SEEDANCE_JOURNAL");
    /* a path and none at once is a contradiction */
    o.no_job_store = true;
    o.job_store_path = store;
    c = NULL;
    CHECK_RESULT(seedance_client_new(&o, &c), SEEDANCE_RESULT_INVALID_ARGUMENT);
    CHECK(c == NULL);
    /* the shared default store: under the data directory (XDG_DATA_HOME here) */
    char *def = NULL;
    CHECK_RESULT(seedance_default_job_store_path(&def), SEEDANCE_RESULT_OK);
    CHECK(def && strncmp(def, dir, strlen(dir)) == 0 && strstr(def, "/seedance/") != NULL);
    seedance_string_free(def);
    seedance_request_free(r);
}

static void test_jobs_and_resume(void) {
    char journal[300];
    snprintf(journal, sizeof journal, "%s/jobs.sqlite3", dir);
    seedance_client *c = client_with_key(seedance_emulator_api_key(emu), 1000, journal);
    seedance_request *r = request(PROMPT);
    seedance_task *t = NULL;
    CHECK_RESULT(seedance_generate(c, r, NULL, &t), SEEDANCE_RESULT_OK);
    char *jobs = NULL;
    CHECK_RESULT(seedance_list_jobs(c, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && t && strstr(jobs, seedance_task_id(t)) && strstr(jobs, "\"state\":\"completed\""));
    seedance_string_free(jobs);
    char *resumed = NULL;
    CHECK_RESULT(seedance_resume(c, &resumed), SEEDANCE_RESULT_OK);
    CHECK(resumed && strcmp(resumed, "[]") == 0); /* nothing left unfinished */
    seedance_string_free(resumed);
    seedance_task_free(t);
    seedance_request_free(r);
    seedance_client_free(c);
}

/* seedance_list_jobs_filtered: the CLI's filters (states, origin, age, unfinished, this
 * client's origin and account), and the fields each job carries (charge, origin, last
 * error, account). */
static void test_list_jobs_filtered(void) {
    char store[300];
    snprintf(store, sizeof store, "%s/jobs-filtered.sqlite3", dir);
    seedance_client *c = client_with_key(seedance_emulator_api_key(emu), 1000, store);
    seedance_client *broke = client_with_key(seedance_emulator_no_credits_key(emu), 1000, store);
    seedance_request *r = request(PROMPT);
    seedance_task *done = NULL, *waiting = NULL, *refused = NULL;
    CHECK_RESULT(seedance_generate(c, r, NULL, &done), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_submit(c, r, NULL, &waiting), SEEDANCE_RESULT_OK);
    CHECK_RESULT(seedance_submit(broke, r, NULL, &refused), SEEDANCE_RESULT_INSUFFICIENT_CREDITS);
    CHECK(done && waiting && refused == NULL);
    const char *done_id = seedance_task_id(done), *waiting_id = seedance_task_id(waiting);
    char *jobs = NULL;
    seedance_job_filter f;
    memset(&f, 0, sizeof f);

    /* all zero, or NULL: every job of the store, every account */
    CHECK_RESULT(seedance_list_jobs_filtered(c, &f, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && strstr(jobs, done_id) && strstr(jobs, waiting_id));
    CHECK(strstr(jobs, "\"charge\":\"refused_not_charged\"") != NULL);
    CHECK(strstr(jobs, "\"charge\":\"charged\"") != NULL);
    CHECK(strstr(jobs, "\"last_error\":\"") != NULL); /* the refusal's message */
    CHECK(strstr(jobs, "\"origin\":\"http://127.0.0.1:") != NULL);
    CHECK(strstr(jobs, seedance_emulator_api_key(emu)) == NULL); /* never the key */
    seedance_string_free(jobs);
    jobs = NULL;
    CHECK_RESULT(seedance_list_jobs_filtered(c, NULL, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && strstr(jobs, "refused_not_charged"));
    seedance_string_free(jobs);

    /* this client's origin and account only: not the other account's refusal */
    f.this_client_only = true;
    jobs = NULL;
    CHECK_RESULT(seedance_list_jobs_filtered(c, &f, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && strstr(jobs, done_id) && strstr(jobs, waiting_id) && !strstr(jobs, "refused_not_charged"));
    seedance_string_free(jobs);

    /* states, one or several */
    f.states = "submitted";
    jobs = NULL;
    CHECK_RESULT(seedance_list_jobs_filtered(c, &f, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && strstr(jobs, waiting_id) && !strstr(jobs, done_id));
    seedance_string_free(jobs);
    f.states = "completed, submitted";
    jobs = NULL;
    CHECK_RESULT(seedance_list_jobs_filtered(c, &f, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && strstr(jobs, waiting_id) && strstr(jobs, done_id));
    seedance_string_free(jobs);
    f.states = "archived";
    jobs = NULL;
    CHECK_RESULT(seedance_list_jobs_filtered(c, &f, &jobs), SEEDANCE_RESULT_INVALID_ARGUMENT);
    CHECK(jobs == NULL);
    f.states = NULL;

    /* unfinished: what seedance_resume would finish */
    f.unfinished = true;
    jobs = NULL;
    CHECK_RESULT(seedance_list_jobs_filtered(c, &f, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && strstr(jobs, waiting_id) && !strstr(jobs, done_id));
    seedance_string_free(jobs);
    f.unfinished = false;

    /* origin and age */
    f.this_client_only = false;
    f.origin = "https://api.example.com";
    jobs = NULL;
    CHECK_RESULT(seedance_list_jobs_filtered(c, &f, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && strcmp(jobs, "[]") == 0);
    seedance_string_free(jobs);
    f.origin = seedance_emulator_base_url(emu);
    f.since_secs = 3600;
    jobs = NULL;
    CHECK_RESULT(seedance_list_jobs_filtered(c, &f, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && strstr(jobs, done_id) && strstr(jobs, "refused_not_charged"));
    seedance_string_free(jobs);
    f.since_secs = 0;
    f.before_secs = 3600;
    jobs = NULL;
    CHECK_RESULT(seedance_list_jobs_filtered(c, &f, &jobs), SEEDANCE_RESULT_OK);
    CHECK(jobs && strcmp(jobs, "[]") == 0);
    seedance_string_free(jobs);

    seedance_task_free(done);
    seedance_task_free(waiting);
    seedance_request_free(r);
    seedance_client_free(broke);
    seedance_client_free(c);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/seedance-c-test-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    /* the machine-wide budget (the default) and other state under our directory */
    char data[300];
    snprintf(data, sizeof data, "%s/data", dir);
    setenv("XDG_DATA_HOME", data, 1);
    seedance_emulator_options eo = {0};
    eo.no_rate_limit = true;
    CHECK_RESULT(seedance_emulator_start(&eo, &emu), SEEDANCE_RESULT_OK);
    if (!emu) return 2;

    test_names_and_version();
    test_null_and_bad_utf8();
    test_last_error_buffers();
    test_requests_and_validation();
    test_mode_inference_shared_cases();
    test_director_prompt_and_lint();
    seedance_client *c = client_with_key(seedance_emulator_api_key(emu), 1000, NULL);
    test_calls(c);
    test_api_errors();
    test_error_kinds();
    test_cancel_from_another_thread();
    test_charged_once_after_a_dropped_connection(c);
    test_four_threads_one_client(c);
    test_jobs_and_resume();
    test_budget_backends();
    test_job_store_path_or_none();
    test_list_jobs_filtered();
    test_client_from_env();
    test_resume_finishes_an_unfinished_job();
    seedance_client_free(c);
    seedance_emulator_free(emu);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
