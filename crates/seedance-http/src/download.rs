//! Downloads (never with the key): stream to `*.part`, resume with Range, check size and
//! content type, report progress, rename into place. Memory does not grow with the file.
//! Also the reference-URL preflight (Promise 5).

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use reqwest::header::{
    HeaderMap, ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
};
use reqwest::{Method, StatusCode};
use seedance_core::{Task, TaskId, VideoRequest};
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::error::{
    DownloadError, DownloadErrorKind as K, Error, IoContext, IoError, PreflightError,
    PreflightErrorKind as PK, Result,
};
use crate::events::Event;
use crate::options::{DownloadOptions, Downloaded};
use crate::transport::{cancelled, check_fetch_url, without_query, Transport};

const PROGRESS_STEP: u64 = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Video,
    Image,
}

impl Kind {
    fn accepts(self, content_type: Option<&str>) -> bool {
        let Some(ct) = content_type else {
            return true; // absent: judged by size only
        };
        let ct = ct.to_ascii_lowercase();
        let generic =
            ct.starts_with("application/octet-stream") || ct.starts_with("binary/octet-stream");
        match self {
            Kind::Video => ct.starts_with("video/") || generic,
            Kind::Image => ct.starts_with("image/") || generic,
        }
    }
}

/// Why a finished download is not a whole file, judged from its structure (the length
/// the CDN announced cannot be trusted: a `Content-Length` smaller than the file makes
/// the connection carry only that much, and it then looks complete). An MP4 (first box
/// `ftyp`) must end exactly where its last top-level box ends; a PNG must end with its
/// `IEND` chunk. Other files are not judged (`None`).
async fn cut_short(path: &Path, len: u64) -> std::io::Result<Option<String>> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut f = tokio::fs::File::open(path).await?;
    let mut head = [0u8; 16];
    let n = f.read(&mut head).await?;
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    const IEND: &[u8] = b"\0\0\0\0IEND\xaeB`\x82";
    if n >= 8 && &head[..8] == PNG {
        if len < (PNG.len() + IEND.len()) as u64 {
            return Ok(Some("the PNG ends before its first chunk".into()));
        }
        let mut tail = [0u8; 12];
        f.seek(std::io::SeekFrom::Start(len - 12)).await?;
        f.read_exact(&mut tail).await?;
        return Ok((tail != IEND).then(|| "the PNG does not end with its IEND chunk".into()));
    }
    if n < 8 || &head[4..8] != b"ftyp" {
        return Ok(None);
    }
    let mut at = 0u64;
    for _ in 0..100_000 {
        if at == len {
            return Ok(None);
        }
        if len - at < 8 {
            return Ok(Some(format!(
                "the MP4 ends inside a box header at byte {at}"
            )));
        }
        let mut h = [0u8; 16];
        f.seek(std::io::SeekFrom::Start(at)).await?;
        let got = f.read(&mut h).await?;
        let kind = String::from_utf8_lossy(&h[4..8]).into_owned();
        let size = match u32::from_be_bytes([h[0], h[1], h[2], h[3]]) {
            0 => len - at, // to the end of the file
            1 if got >= 16 => {
                u64::from_be_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]])
            }
            1 => {
                return Ok(Some(format!(
                    "the MP4 ends inside the header of its {kind:?} box"
                )))
            }
            n => u64::from(n),
        };
        if size < 8 {
            return Ok(Some(format!(
                "the MP4 has a box of {size} bytes at byte {at}"
            )));
        }
        match at.checked_add(size) {
            Some(end) if end <= len => at = end,
            _ => {
                return Ok(Some(format!(
                    "the MP4 ends inside its {kind:?} box ({} of its {size} bytes)",
                    len - at
                )))
            }
        }
    }
    Ok(Some("the MP4 has too many boxes".into()))
}

enum FetchError {
    /// Worth another try (connection, 5xx, truncated body).
    Retry(Error),
    /// Final (404, wrong content type…).
    Final(Error),
}

fn content_type(h: &HeaderMap) -> Option<String> {
    h.get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn content_length(h: &HeaderMap) -> Option<u64> {
    h.get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// `bytes START-END/TOTAL` → (START, TOTAL).
fn content_range(h: &HeaderMap) -> Option<(u64, Option<u64>)> {
    let v = h.get(CONTENT_RANGE)?.to_str().ok()?;
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, _) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()))
}

/// Reading R19: the file name of a task's output in a directory: the checked id and a
/// fixed extension chosen by what is downloaded, never anything else from the server (a
/// URL's extension could be `.pth`; an id could be `../x`). The result is one plain file
/// name, so the path stays inside the directory.
fn output_file_name(task_id: &TaskId, suffix_and_ext: &str) -> Result<String> {
    task_id.check().map_err(|e| {
        Error::Download(DownloadError::new(
            K::FileName,
            format!("refusing to name a file after the server's task id: {e}"),
        ))
    })?;
    let name = format!("{}{suffix_and_ext}", task_id.as_str());
    let mut parts = Path::new(&name).components();
    match (parts.next(), parts.next()) {
        (Some(std::path::Component::Normal(_)), None) => Ok(name),
        _ => Err(Error::Download(DownloadError::new(
            K::FileName,
            format!("refusing the file name {name:?}: it would leave the directory"),
        ))),
    }
}

/// One file being downloaded: whose output it is, where it lands, and the partial file.
#[derive(Clone, Copy)]
struct Target<'a> {
    task_id: &'a TaskId,
    path: &'a Path,
    part: &'a Path,
}

fn part_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".part");
    PathBuf::from(s)
}

fn meta_path(part: &Path) -> PathBuf {
    let mut s = part.as_os_str().to_owned();
    s.push(".meta");
    PathBuf::from(s)
}

/// What a `*.part` file holds the start of (`*.part.meta` beside it): a partial file is
/// continued only for the same task and source, and, when the server gave a strong
/// `ETag`, only while it still matches (`If-Range`).
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct PartMeta {
    task_id: String,
    /// The URL without query or fragment (signed URLs change their query).
    source: String,
    etag: Option<String>,
}

async fn read_meta(part: &Path) -> Option<PartMeta> {
    let bytes = tokio::fs::read(meta_path(part)).await.ok()?;
    serde_json::from_slice(&bytes).ok()
}

async fn remove_part(part: &Path) {
    let _ = tokio::fs::remove_file(part).await;
    let _ = tokio::fs::remove_file(meta_path(part)).await;
}

/// Downloads and preflight over a [`Transport`] (keyless fetches; its retry policy,
/// limits and event sink), stopped by the calling client's cancellation token.
pub(crate) struct Downloads<'a> {
    transport: &'a Transport,
    token: CancellationToken,
}

impl<'a> Downloads<'a> {
    pub(crate) fn new(transport: &'a Transport, token: CancellationToken) -> Self {
        Downloads { transport, token }
    }

    /// Sends a keyless request ([`Transport::fetch`]).
    async fn fetch_response(
        &self,
        url: &Url,
        method: Method,
        range: Option<String>,
    ) -> Result<reqwest::Response> {
        self.transport.fetch(url, method, range, None).await
    }

    /// Downloads a completed task's video (and last frame) into `dest`: a directory
    /// (existing, ending in `/`, or without an extension: [`crate::is_output_dir`]) gets
    /// `{task_id}.mp4` and `{task_id}_last_frame.png`;
    /// a file path names the video and the frame goes beside it. Sends no API key
    /// (the URLs are on a CDN). Streams to `*.part` and renames when complete and the
    /// size checks out; a `*.part` left by an interrupted download is continued with a
    /// Range request.
    pub(crate) async fn download(
        &self,
        task: &Task,
        dest: &Path,
        options: DownloadOptions,
    ) -> Result<Downloaded> {
        let video_url = task
            .video_url()
            .or_else(|| task.output.as_ref()?.images.first().map(|i| i.url.as_str()))
            .ok_or_else(|| {
                Error::Download(DownloadError::new(
                    K::NoOutput,
                    format!(
                        "task {} has no output to download (status {})",
                        task.id, task.status
                    ),
                ))
            })?;
        // A trailing `/`, an existing directory or no extension: a directory.
        let is_dir = crate::output::is_output_dir(dest);
        let video_kind = if task.video_url().is_some() {
            Kind::Video
        } else {
            Kind::Image
        };
        let video_path = if is_dir {
            let ext = if video_kind == Kind::Video {
                ".mp4"
            } else {
                ".png"
            };
            dest.join(output_file_name(&task.id, ext)?)
        } else {
            dest.to_path_buf()
        };
        let mut bytes = self
            .fetch_to_file(&task.id, video_url, &video_path, video_kind, &options)
            .await?;
        let mut last_frame = None;
        if options.last_frame {
            if let Some(frame_url) = task.last_frame_url() {
                let path = match video_path.file_stem() {
                    Some(stem) if !is_dir => {
                        let mut name = stem.to_owned();
                        name.push("_last_frame.png");
                        video_path.with_file_name(name)
                    }
                    _ => dest.join(output_file_name(&task.id, "_last_frame.png")?),
                };
                bytes += self
                    .fetch_to_file(&task.id, frame_url, &path, Kind::Image, &options)
                    .await?;
                last_frame = Some(path);
            }
        }
        Ok(Downloaded {
            video: video_path,
            last_frame,
            bytes,
        })
    }

    async fn fetch_to_file(
        &self,
        task_id: &TaskId,
        url: &str,
        path: &Path,
        kind: Kind,
        options: &DownloadOptions,
    ) -> Result<u64> {
        let url =
            check_fetch_url(url).map_err(|m| Error::Download(DownloadError::new(K::Url, m)))?;
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                tokio::fs::create_dir_all(dir)
                    .await
                    .at("cannot create", dir)?;
            }
        }
        let (_, deadline) = self.transport.download_limits();
        let where_ = url.origin().ascii_serialization();
        match tokio::time::timeout(deadline, self.fetch_with_retries(task_id, &url, path, kind, options)).await {
            Ok(r) => r,
            Err(_) => Err(Error::Download(DownloadError::new(K::Deadline, format!(
                "{where_}: the download did not finish within the {deadline:?} deadline (ClientBuilder::download_deadline)"
            )))),
        }
    }

    async fn fetch_with_retries(
        &self,
        task_id: &TaskId,
        url: &Url,
        path: &Path,
        kind: Kind,
        options: &DownloadOptions,
    ) -> Result<u64> {
        let url = url.clone();
        let part = part_path(path);
        if !options.resume {
            remove_part(&part).await;
        }
        let mut attempt = 0u32;
        let token = &self.token;
        let source = without_query(&url);
        loop {
            let mut offset = match tokio::fs::metadata(&part).await {
                Ok(m) => m.len(),
                Err(_) => 0,
            };
            let mut etag = None;
            if offset > 0 {
                // Continue only the same file: a `.part` of another task or source (a
                // reused file name) would splice two files together.
                match read_meta(&part).await {
                    Some(m) if m.task_id == task_id.as_str() && m.source == source => {
                        etag = m.etag;
                    }
                    _ => {
                        remove_part(&part).await;
                        offset = 0;
                    }
                }
            }
            let target = Target {
                task_id,
                path,
                part: &part,
            };
            let once = self.fetch_once(&url, target, offset, etag.as_deref(), kind);
            let r = tokio::select! {
                r = once => r,
                _ = cancelled(token, options.cancel.as_ref()) => return Err(Error::Cancelled),
            };
            match r {
                Ok(size) => {
                    tokio::fs::rename(&part, path)
                        .await
                        .at("cannot rename into", path)?;
                    let _ = tokio::fs::remove_file(meta_path(&part)).await;
                    tracing::info!(path = %path.display(), bytes = size, "downloaded");
                    return Ok(size);
                }
                Err(FetchError::Retry(e))
                    if attempt < self.transport.retry_policy().max_retries =>
                {
                    attempt += 1;
                    let delay = self.transport.retry_policy().backoff(attempt - 1);
                    self.transport.events().emit(Event::RetryScheduled {
                        operation: "download",
                        task_id: Some(task_id.clone()),
                        reason: e.to_string(),
                        error: Box::new(e.clone()),
                        delay,
                        attempt,
                    });
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = cancelled(token, options.cancel.as_ref()) => return Err(Error::Cancelled),
                    }
                }
                Err(FetchError::Retry(e) | FetchError::Final(e)) => return Err(e),
            }
        }
    }

    async fn fetch_once(
        &self,
        url: &Url,
        target: Target<'_>,
        offset: u64,
        etag: Option<&str>,
        kind: Kind,
    ) -> Result<u64, FetchError> {
        let part = target.part;
        let range = (offset > 0).then(|| format!("bytes={offset}-"));
        let resp = self
            .transport
            .fetch(url, Method::GET, range, etag)
            .await
            .map_err(FetchError::Retry)?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let where_ = url.origin().ascii_serialization();
        let (start, total) = match status {
            StatusCode::PARTIAL_CONTENT => match content_range(&headers) {
                Some((start, total)) if start == offset => (offset, total),
                _ => {
                    // A range we did not ask for: start over.
                    remove_part(part).await;
                    return Err(FetchError::Retry(Error::Download(DownloadError::new(
                        K::Range,
                        format!("{where_} answered an unexpected Content-Range"),
                    ))));
                }
            },
            s if s.is_success() => (0, content_length(&headers)),
            StatusCode::RANGE_NOT_SATISFIABLE if offset > 0 => {
                remove_part(part).await;
                return Err(FetchError::Retry(Error::Download(DownloadError::new(
                    K::Range,
                    format!("{where_} refused the resume range: starting over"),
                ))));
            }
            s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
                return Err(FetchError::Retry(Error::Download(
                    DownloadError::new(K::Status, format!("{where_} answered HTTP {s}"))
                        .with_status(s.as_u16()),
                )))
            }
            s => {
                return Err(FetchError::Final(Error::Download(
                    DownloadError::new(
                        K::Status,
                        format!(
                "{where_} answered HTTP {s} (output URLs expire: download soon after completion)"
            ),
                    )
                    .with_status(s.as_u16()),
                )))
            }
        };
        let (max, _) = self.transport.download_limits();
        let too_big = || {
            FetchError::Final(Error::Download(DownloadError::new(K::TooLarge, format!(
                "{where_}: the file is larger than the {max}-byte limit (ClientBuilder::max_download_bytes)"
            ))))
        };
        if total.is_some_and(|t| t > max) {
            return Err(too_big());
        }
        let ct = content_type(&headers);
        if !kind.accepts(ct.as_deref()) {
            return Err(FetchError::Final(Error::Download(DownloadError::new(
                K::ContentType,
                format!(
                    "{where_} sent content type {:?}, not {}",
                    ct.unwrap_or_default(),
                    if kind == Kind::Video {
                        "a video"
                    } else {
                        "an image"
                    }
                ),
            ))));
        }
        let file = if start == 0 {
            let meta = PartMeta {
                task_id: target.task_id.as_str().to_owned(),
                source: without_query(url),
                // If-Range needs a strong validator
                etag: headers
                    .get(ETAG)
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| !v.starts_with("W/"))
                    .map(str::to_owned),
            };
            let json = serde_json::to_vec(&meta).unwrap_or_default();
            tokio::fs::write(meta_path(part), json)
                .await
                .at("cannot write", &meta_path(part))
                .map_err(FetchError::Final)?;
            tokio::fs::File::create(part).await
        } else {
            tokio::fs::OpenOptions::new().append(true).open(part).await
        }
        .at("cannot write", part)
        .map_err(FetchError::Final)?;
        let mut out = tokio::io::BufWriter::with_capacity(256 * 1024, file);
        let mut written = start;
        let mut reported = written;
        let mut stream = resp.bytes_stream();
        let idle = self.transport.timeout();
        let io = |e: std::io::Error| {
            FetchError::Final(Error::Io(IoError::new("cannot write", Some(part), e)))
        };
        loop {
            match tokio::time::timeout(idle, stream.next()).await {
                Ok(Some(Ok(chunk))) => {
                    if written.saturating_add(chunk.len() as u64) > max {
                        drop(out);
                        remove_part(part).await;
                        return Err(too_big());
                    }
                    out.write_all(&chunk).await.map_err(io)?;
                    written += chunk.len() as u64;
                    if let Some(t) = total {
                        if written > t {
                            remove_part(part).await;
                            return Err(FetchError::Final(Error::Download(DownloadError::new(
                                K::Incomplete,
                                format!("{where_} sent more than the announced {t} bytes"),
                            ))));
                        }
                    }
                    if written - reported >= PROGRESS_STEP {
                        reported = written;
                        self.transport.events().emit(Event::DownloadProgress {
                            task_id: target.task_id.clone(),
                            path: target.path.to_path_buf(),
                            bytes: written,
                            total,
                        });
                    }
                }
                Ok(Some(Err(e))) => {
                    out.flush().await.map_err(io)?;
                    let e = e.without_url();
                    return Err(FetchError::Retry(Error::Download(
                        DownloadError::new(
                            K::Interrupted,
                            format!("{where_}: transfer interrupted at {written} bytes: {e}"),
                        )
                        .with_source(e),
                    )));
                }
                Ok(None) => break,
                Err(_) => {
                    out.flush().await.map_err(io)?;
                    return Err(FetchError::Retry(Error::Download(DownloadError::new(
                        K::Interrupted,
                        format!("{where_}: no data for {idle:?} at {written} bytes"),
                    ))));
                }
            }
        }
        out.flush().await.map_err(io)?;
        out.get_mut().sync_all().await.map_err(io)?;
        if let Some(t) = total {
            if written != t {
                return Err(FetchError::Retry(Error::Download(DownloadError::new(
                    K::Incomplete,
                    format!("{where_}: got {written} of {t} bytes"),
                ))));
            }
        }
        if written == 0 {
            return Err(FetchError::Final(Error::Download(DownloadError::new(
                K::Incomplete,
                format!("{where_}: empty file"),
            ))));
        }
        // Whole by its structure, not only by the announced length (which a CDN may get
        // wrong): a cut file is never renamed into place.
        if let Some(why) = cut_short(part, written).await.map_err(io)? {
            remove_part(part).await;
            return Err(FetchError::Retry(Error::Download(DownloadError::new(
                K::Incomplete,
                format!(
                    "{where_}: the file is cut short: {why} (got {written} bytes{})",
                    total.map_or(String::new(), |t| format!(
                        ", as its Content-Length announced: {t}"
                    ))
                ),
            ))));
        }
        self.transport.events().emit(Event::DownloadProgress {
            task_id: target.task_id.clone(),
            path: target.path.to_path_buf(),
            bytes: written,
            total: total.or(Some(written)),
        });
        Ok(written)
    }

    /// Checks every reference URL of the request without the API key (Promise 5): it
    /// answers, its content type fits the field (an image for `image_url` and
    /// `end_image_url`, an image or a video for `media_urls`), a frame is at most 30 MB,
    /// and a video supports Range requests (the server probes its duration).
    pub(crate) async fn preflight(&self, request: &VideoRequest) -> Result<()> {
        for (field, url) in request.reference_urls() {
            let frame = field == "image_url" || field == "end_image_url";
            self.preflight_url(&field, url, frame).await?;
        }
        Ok(())
    }

    async fn preflight_url(&self, field: &str, raw: &str, frame: bool) -> Result<()> {
        let problem = |kind: PK, p: String| Error::Preflight(PreflightError::new(kind, field, p));
        // The fetch's error (a transport error: its own cause kept) as the source.
        let unreachable = |e: Error| {
            let p = PreflightError::new(PK::Unreachable, field, format!("not reachable: {e}"));
            Error::Preflight(match e {
                Error::Transport(t) => p.with_source(t),
                other => p.with_source(other),
            })
        };
        let url = check_fetch_url(raw).map_err(|p| problem(PK::Url, p))?;
        let head = self.fetch_response(&url, Method::HEAD, None).await;
        let resp = match head {
            Ok(r) if r.status().is_success() => r,
            // Some hosts refuse HEAD: a one-byte Range GET tells the same.
            _ => self
                .fetch_response(&url, Method::GET, Some("bytes=0-0".into()))
                .await
                .map_err(unreachable)?,
        };
        let status = resp.status();
        if !status.is_success() {
            return Err(Error::Preflight(
                PreflightError::new(PK::Status, field, format!("answered HTTP {status}"))
                    .with_status(status.as_u16()),
            ));
        }
        let headers = resp.headers().clone();
        drop(resp);
        let ct = content_type(&headers)
            .ok_or_else(|| problem(PK::ContentType, "no Content-Type".into()))?
            .to_ascii_lowercase();
        let is_image = ct.starts_with("image/");
        let is_video = ct.starts_with("video/");
        if frame && !is_image {
            return Err(problem(
                PK::ContentType,
                format!("content type {ct:?} is not an image"),
            ));
        }
        if !frame && !is_image && !is_video {
            return Err(problem(
                PK::ContentType,
                format!("content type {ct:?} is neither an image nor a video"),
            ));
        }
        let size = if status == StatusCode::PARTIAL_CONTENT {
            content_range(&headers).and_then(|(_, t)| t)
        } else {
            content_length(&headers)
        };
        if frame {
            let max = seedance_core::rules::FRAME_IMAGE_MAX_BYTES;
            match size {
                Some(n) if n > max => {
                    return Err(problem(
                        PK::TooLarge,
                        format!("{n} bytes is over the {max}-byte limit for frames"),
                    ))
                }
                _ => {}
            }
        }
        if is_video {
            let advertised = headers
                .get(ACCEPT_RANGES)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("bytes"));
            let probe = self
                .fetch_response(&url, Method::GET, Some("bytes=0-1".into()))
                .await
                .map_err(unreachable)?;
            if probe.status() != StatusCode::PARTIAL_CONTENT {
                return Err(Error::Preflight(
                    PreflightError::new(
                        PK::RangeUnsupported,
                        field,
                        format!(
                            "does not answer Range requests (HTTP {}{}), which duration probing needs",
                            probe.status(),
                            if advertised {
                                " despite Accept-Ranges"
                            } else {
                                ""
                            }
                        ),
                    )
                    .with_status(probe.status().as_u16()),
                ));
            }
        }
        Ok(())
    }
}
