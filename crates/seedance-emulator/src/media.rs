//! The emulated outputs: a real, playable MP4 (H.264 baseline, I_PCM frames from
//! `less-avc`, muxed here into ftyp/moov/mdat) and a PNG of its last frame, one pair per
//! aspect ratio, generated once and cached.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use less_avc::ycbcr_image::{DataPlane, Planes, YCbCrImage};
use less_avc::BitDepth;
use parking_lot::Mutex;
use seedance_core::AspectRatio;

/// Long side of the emulated frames, in pixels.
pub(crate) const LONG_SIDE: u32 = 160;
/// Frames per second of the emulated clip.
pub(crate) const FPS: u32 = 24;
/// Frames in the emulated clip (one second).
pub(crate) const FRAMES: u32 = 24;

/// One rendered output pair.
#[derive(Clone)]
pub(crate) struct Media {
    pub(crate) mp4: Bytes,
    pub(crate) png: Bytes,
}

/// Outputs per aspect ratio, made on first use.
#[derive(Default)]
pub(crate) struct MediaCache {
    by_ratio: Mutex<HashMap<(u32, u32), Arc<Media>>>,
}

impl MediaCache {
    pub(crate) fn get(&self, ratio: &AspectRatio) -> Result<Arc<Media>, String> {
        let key = ratio.ratio();
        if let Some(m) = self.by_ratio.lock().get(&key) {
            return Ok(m.clone());
        }
        // Generate outside the lock (a few milliseconds); a race only wastes work.
        let (w, h) = frame_size(key);
        let media = Arc::new(render(w, h)?);
        Ok(self.by_ratio.lock().entry(key).or_insert(media).clone())
    }
}

/// Even frame dimensions with the long side [`LONG_SIDE`] for a `w:h` ratio.
pub(crate) fn frame_size((rw, rh): (u32, u32)) -> (u32, u32) {
    let even = |v: u32| (v.max(2) / 2) * 2;
    if rw >= rh {
        (LONG_SIDE, even(LONG_SIDE * rh / rw))
    } else {
        (even(LONG_SIDE * rw / rh), LONG_SIDE)
    }
}

/// The RGB picture of frame `n`: a colour gradient with a white square moving across.
fn draw_rgb(w: u32, h: u32, n: u32) -> Vec<u8> {
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    let side = (w.min(h) / 3).max(4);
    let travel = w.saturating_sub(side);
    let x0 = travel * n / FRAMES.saturating_sub(1).max(1);
    let y0 = (h - side) / 2;
    for y in 0..h {
        for x in 0..w {
            let i = ((y * w + x) * 3) as usize;
            let inside = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
            let (r, g, b) = if inside {
                (245, 245, 245)
            } else {
                (
                    (40 + 150 * x / w) as u8,
                    (30 + 120 * y / h) as u8,
                    (90 + 6 * n) as u8,
                )
            };
            rgb[i] = r;
            rgb[i + 1] = g;
            rgb[i + 2] = b;
        }
    }
    rgb
}

fn pad16(v: u32) -> u32 {
    v.div_ceil(16) * 16
}

/// BT.601 limited-range RGB → YCbCr 4:2:0 planes, padded to whole macroblocks.
fn to_yuv420(rgb: &[u8], w: u32, h: u32) -> (Vec<u8>, Vec<u8>, Vec<u8>, usize, usize) {
    let (pw, ph) = (pad16(w) as usize, pad16(h) as usize);
    let (cw, ch) = (pw / 2, ph / 2);
    let mut y_plane = vec![16u8; pw * ph];
    let mut u_plane = vec![128u8; cw * ch];
    let mut v_plane = vec![128u8; cw * ch];
    let (w, h) = (w as usize, h as usize);
    let px = |x: usize, y: usize| {
        let i = (y * w + x) * 3;
        (
            f32::from(rgb[i]),
            f32::from(rgb[i + 1]),
            f32::from(rgb[i + 2]),
        )
    };
    for y in 0..h {
        for x in 0..w {
            let (r, g, b) = px(x, y);
            y_plane[y * pw + x] = (16.0 + 0.257 * r + 0.504 * g + 0.098 * b).round() as u8;
        }
    }
    for cy in 0..h / 2 {
        for cx in 0..w / 2 {
            let (mut r, mut g, mut b) = (0.0, 0.0, 0.0);
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let (pr, pg, pb) = px(cx * 2 + dx, cy * 2 + dy);
                r += pr / 4.0;
                g += pg / 4.0;
                b += pb / 4.0;
            }
            u_plane[cy * cw + cx] = (128.0 - 0.148 * r - 0.291 * g + 0.439 * b).round() as u8;
            v_plane[cy * cw + cx] = (128.0 + 0.439 * r - 0.368 * g - 0.071 * b).round() as u8;
        }
    }
    (y_plane, u_plane, v_plane, pw, cw)
}

fn render(w: u32, h: u32) -> Result<Media, String> {
    let mut sps = Vec::new();
    let mut pps = Vec::new();
    let mut samples: Vec<Vec<u8>> = Vec::with_capacity(FRAMES as usize);
    let mut encoder = None;
    let mut last_rgb = Vec::new();
    for n in 0..FRAMES {
        let rgb = draw_rgb(w, h, n);
        let (yp, up, vp, ystride, cstride) = to_yuv420(&rgb, w, h);
        let image = YCbCrImage {
            planes: Planes::YCbCr((
                DataPlane {
                    data: &yp,
                    stride: ystride,
                    bit_depth: BitDepth::Depth8,
                },
                DataPlane {
                    data: &up,
                    stride: cstride,
                    bit_depth: BitDepth::Depth8,
                },
                DataPlane {
                    data: &vp,
                    stride: cstride,
                    bit_depth: BitDepth::Depth8,
                },
            )),
            width: w,
            height: h,
        };
        let frame = match &mut encoder {
            None => {
                let (initial, enc) = less_avc::LessEncoder::new(&image)
                    .map_err(|e| format!("h264 encoder: {e:?}"))?;
                sps = initial.sps.to_nal_unit();
                pps = initial.pps.to_nal_unit();
                encoder = Some(enc);
                initial.frame
            }
            Some(enc) => enc
                .encode(&image)
                .map_err(|e| format!("h264 encoder: {e:?}"))?,
        };
        samples.push(frame.to_nal_unit());
        last_rgb = rgb;
    }
    let mp4 = mux_mp4(w, h, &sps, &pps, &samples)?;
    let png = encode_png(w, h, &last_rgb)?;
    Ok(Media {
        mp4: Bytes::from(mp4),
        png: Bytes::from(png),
    })
}

fn encode_png(w: u32, h: u32, rgb: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| format!("png: {e}"))?;
        writer
            .write_image_data(rgb)
            .map_err(|e| format!("png: {e}"))?;
        writer.finish().map_err(|e| format!("png: {e}"))?;
    }
    Ok(out)
}

// ---- a minimal ISO-BMFF (MP4) muxer for one H.264 video track ----

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&((body.len() + 8) as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

fn full_box(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(body.len() + 4);
    b.push(version);
    b.extend_from_slice(&flags.to_be_bytes()[1..]);
    b.extend_from_slice(body);
    boxed(kind, &b)
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

const UNITY_MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

fn matrix() -> Vec<u8> {
    UNITY_MATRIX.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn mux_mp4(w: u32, h: u32, sps: &[u8], pps: &[u8], samples: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    if sps.len() < 4 || samples.is_empty() {
        return Err("h264 encoder produced no parameter sets".into());
    }
    let timescale: u32 = FPS * 1000;
    let delta: u32 = 1000;
    let count = samples.len() as u32;
    let duration = count * delta;

    // Samples in AVCC form: 4-byte big-endian length + NAL unit.
    let sample_data: Vec<Vec<u8>> = samples
        .iter()
        .map(|s| cat(&[&(s.len() as u32).to_be_bytes(), s]))
        .collect();

    let ftyp = boxed(
        b"ftyp",
        &cat(&[
            b"isom",
            &0x200u32.to_be_bytes(),
            b"isom",
            b"iso2",
            b"avc1",
            b"mp41",
        ]),
    );

    // mvhd v0
    let mut mvhd = Vec::new();
    mvhd.extend_from_slice(&0u32.to_be_bytes()); // creation
    mvhd.extend_from_slice(&0u32.to_be_bytes()); // modification
    mvhd.extend_from_slice(&timescale.to_be_bytes());
    mvhd.extend_from_slice(&duration.to_be_bytes());
    mvhd.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
    mvhd.extend_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
    mvhd.extend_from_slice(&[0u8; 10]); // reserved
    mvhd.extend_from_slice(&matrix());
    mvhd.extend_from_slice(&[0u8; 24]); // pre_defined
    mvhd.extend_from_slice(&2u32.to_be_bytes()); // next_track_ID
    let mvhd = full_box(b"mvhd", 0, 0, &mvhd);

    // tkhd v0, flags enabled|in_movie|in_preview
    let mut tkhd = Vec::new();
    tkhd.extend_from_slice(&0u32.to_be_bytes());
    tkhd.extend_from_slice(&0u32.to_be_bytes());
    tkhd.extend_from_slice(&1u32.to_be_bytes()); // track_ID
    tkhd.extend_from_slice(&0u32.to_be_bytes()); // reserved
    tkhd.extend_from_slice(&duration.to_be_bytes());
    tkhd.extend_from_slice(&[0u8; 8]); // reserved
    tkhd.extend_from_slice(&0u16.to_be_bytes()); // layer
    tkhd.extend_from_slice(&0u16.to_be_bytes()); // alternate_group
    tkhd.extend_from_slice(&0u16.to_be_bytes()); // volume (video: 0)
    tkhd.extend_from_slice(&0u16.to_be_bytes()); // reserved
    tkhd.extend_from_slice(&matrix());
    tkhd.extend_from_slice(&(w << 16).to_be_bytes());
    tkhd.extend_from_slice(&(h << 16).to_be_bytes());
    let tkhd = full_box(b"tkhd", 0, 0x7, &tkhd);

    let mut mdhd = Vec::new();
    mdhd.extend_from_slice(&0u32.to_be_bytes());
    mdhd.extend_from_slice(&0u32.to_be_bytes());
    mdhd.extend_from_slice(&timescale.to_be_bytes());
    mdhd.extend_from_slice(&duration.to_be_bytes());
    mdhd.extend_from_slice(&0x55c4u16.to_be_bytes()); // language "und"
    mdhd.extend_from_slice(&0u16.to_be_bytes());
    let mdhd = full_box(b"mdhd", 0, 0, &mdhd);

    let hdlr = full_box(
        b"hdlr",
        0,
        0,
        &cat(&[&[0u8; 4], b"vide", &[0u8; 12], b"VideoHandler\0"]),
    );

    let vmhd = full_box(b"vmhd", 0, 1, &[0u8; 8]);
    let url = full_box(b"url ", 0, 1, &[]);
    let dref = full_box(b"dref", 0, 0, &cat(&[&1u32.to_be_bytes(), &url]));
    let dinf = boxed(b"dinf", &dref);

    // avcC
    let mut avcc = vec![1, sps[1], sps[2], sps[3], 0xFF, 0xE1];
    avcc.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    avcc.extend_from_slice(sps);
    avcc.push(1);
    avcc.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    avcc.extend_from_slice(pps);
    let avcc = boxed(b"avcC", &avcc);

    let mut avc1 = Vec::new();
    avc1.extend_from_slice(&[0u8; 6]); // reserved
    avc1.extend_from_slice(&1u16.to_be_bytes()); // data_reference_index
    avc1.extend_from_slice(&[0u8; 16]); // pre_defined + reserved
    avc1.extend_from_slice(&(w as u16).to_be_bytes());
    avc1.extend_from_slice(&(h as u16).to_be_bytes());
    avc1.extend_from_slice(&0x0048_0000u32.to_be_bytes()); // 72 dpi
    avc1.extend_from_slice(&0x0048_0000u32.to_be_bytes());
    avc1.extend_from_slice(&0u32.to_be_bytes()); // reserved
    avc1.extend_from_slice(&1u16.to_be_bytes()); // frame_count
    let mut compressor = [0u8; 32];
    let name = b"seedance-emulator";
    compressor[0] = name.len() as u8;
    compressor[1..=name.len()].copy_from_slice(name);
    avc1.extend_from_slice(&compressor);
    avc1.extend_from_slice(&0x0018u16.to_be_bytes()); // depth
    avc1.extend_from_slice(&(-1i16).to_be_bytes()); // pre_defined
    avc1.extend_from_slice(&avcc);
    let avc1 = boxed(b"avc1", &avc1);
    let stsd = full_box(b"stsd", 0, 0, &cat(&[&1u32.to_be_bytes(), &avc1]));

    let stts = full_box(
        b"stts",
        0,
        0,
        &cat(&[
            &1u32.to_be_bytes(),
            &count.to_be_bytes(),
            &delta.to_be_bytes(),
        ]),
    );
    // One chunk holding every sample.
    let stsc = full_box(
        b"stsc",
        0,
        0,
        &cat(&[
            &1u32.to_be_bytes(),
            &1u32.to_be_bytes(),
            &count.to_be_bytes(),
            &1u32.to_be_bytes(),
        ]),
    );
    let mut stsz = Vec::new();
    stsz.extend_from_slice(&0u32.to_be_bytes()); // sample_size: varies
    stsz.extend_from_slice(&count.to_be_bytes());
    for s in &sample_data {
        stsz.extend_from_slice(&(s.len() as u32).to_be_bytes());
    }
    let stsz = full_box(b"stsz", 0, 0, &stsz);

    // stco needs the mdat offset, which depends on the moov size: build with a placeholder,
    // then patch (the size does not change).
    let build_moov = |chunk_offset: u32| {
        let stco = full_box(
            b"stco",
            0,
            0,
            &cat(&[&1u32.to_be_bytes(), &chunk_offset.to_be_bytes()]),
        );
        let stbl = boxed(b"stbl", &cat(&[&stsd, &stts, &stsc, &stsz, &stco]));
        let minf = boxed(b"minf", &cat(&[&vmhd, &dinf, &stbl]));
        let mdia = boxed(b"mdia", &cat(&[&mdhd, &hdlr, &minf]));
        let trak = boxed(b"trak", &cat(&[&tkhd, &mdia]));
        boxed(b"moov", &cat(&[&mvhd, &trak]))
    };
    let moov_len = build_moov(0).len();
    let offset = u32::try_from(ftyp.len() + moov_len + 8).map_err(|e| e.to_string())?;
    let moov = build_moov(offset);
    let mdat = boxed(b"mdat", &sample_data.concat());
    Ok(cat(&[&ftyp, &moov, &mdat]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_even_and_long_side_fixed() {
        for r in AspectRatio::ALL {
            let (w, h) = frame_size(r.ratio());
            assert_eq!(w.max(h), LONG_SIDE, "{r}");
            assert_eq!(w % 2, 0);
            assert_eq!(h % 2, 0);
        }
        assert_eq!(frame_size((16, 9)), (160, 90));
        assert_eq!(frame_size((9, 16)), (90, 160));
    }

    #[test]
    fn renders_mp4_and_png() {
        let cache = MediaCache::default();
        let m = cache.get(&AspectRatio::Ultrawide21x9).expect("render");
        assert_eq!(&m.mp4[4..8], b"ftyp");
        assert_eq!(&m.png[1..4], b"PNG");
        let again = cache.get(&AspectRatio::Ultrawide21x9).expect("cached");
        assert!(Arc::ptr_eq(&m, &again));
    }
}
