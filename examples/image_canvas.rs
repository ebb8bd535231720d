//! An image as a strided array: a 1080 x 1920 x 3 uint8 canvas (about 5.93
//! MB; the same pixels as float64 would take about 47 MB), a synthetic
//! image drawn with broadcasting, per-channel gains by broadcasting a (3,)
//! row over the last axis, and a gamma curve computed through float32 — on
//! the CPU and, when an adapter is present, on the GPU. Each result is
//! written as a PNG; each step prints its time and the bytes it moved.
//!
//! Run with `cargo run --release --example image_canvas [OUTPUT_DIR]`
//! (default `target/image_canvas`).

use std::path::{Path, PathBuf};
use std::time::Instant;
use strider::{track, where_, Array, DType, Device};

const H: usize = 1080;
const W: usize = 1920;

/// Runs one step, printing its time, the bytes it read and wrote (as NumPy
/// users count them) and what the ledger saw.
fn step<T>(name: &str, bytes: usize, f: impl FnOnce() -> strider::Result<T>) -> strider::Result<T> {
    let t = Instant::now();
    let (value, report) = track(f);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let value = value?;
    println!(
        "  {name:<38} {ms:9.2} ms  {:8.2} MB moved  copies {} transfers {} ({:.2} MB)",
        bytes as f64 / 1e6,
        report.copies(),
        report.transfers(),
        report.transfer_bytes() as f64 / 1e6
    );
    Ok(value)
}

/// Draws the synthetic image with broadcasting alone: red grows left to
/// right, green top to bottom, blue in diagonal bands. `x` is (1, W, 1),
/// `y` is (H, 1, 1) and the channel index is (1, 1, 3); `where` broadcasts
/// them to (H, W, 3) without materialising any of them at full size.
fn draw(dev: &Device) -> strider::Result<Array> {
    let x = Array::arange(0.0, W as f64, 1.0, DType::F32)?
        .to_device(dev)?
        .reshape(&[1, W as isize, 1])?;
    let y = Array::arange(0.0, H as f64, 1.0, DType::F32)?
        .to_device(dev)?
        .reshape(&[H as isize, 1, 1])?;
    let c = Array::arange_i64(0, 3, 1)?
        .to_device(dev)?
        .reshape(&[1, 1, 3])?;
    let red = x.multiply(255.0 / (W - 1) as f64)?;
    let green = y.multiply(255.0 / (H - 1) as f64)?;
    let blue = (&x + &y)?.remainder(256.0)?;
    let gb = where_(&c.equal(1)?, &green, &blue)?;
    where_(&c.equal(0)?, &red, &gb)?.astype(DType::U8)
}

fn pipeline(dev: &Device, out_dir: &Path, tag: &str) -> strider::Result<Array> {
    println!("{tag} on {dev}:");
    let n = H * W * 3;
    let canvas = step("draw the synthetic image", n, || draw(dev))?;
    let gains = Array::from_vec(vec![1.25f32, 0.9, 0.6], &[3])?.to_device(dev)?;
    let graded = step("per-channel gains (broadcast (3,))", n + 12 + n, || {
        canvas.multiply(&gains)?.clip(0.0, 255.0)?.astype(DType::U8)
    })?;
    let gamma = step("gamma 1/2.2 through float32", n + n, || {
        let f = graded.astype(DType::F32)?.divide(255.0)?;
        f.power(1.0 / 2.2)?
            .multiply(255.0)?
            .round()?
            .astype(DType::U8)
    })?;
    // GPU kernels are queued, not waited for: this step includes them.
    let host = step("finish queued work, bring to the host", n, || {
        gamma.to_cpu()
    })?;
    for (name, img) in [("canvas", &canvas), ("graded", &graded), ("gamma", &host)] {
        let path = out_dir.join(format!("{tag}_{name}.png"));
        write_png(&path, &img.to_cpu()?)?;
        println!("  wrote {}", path.display());
    }
    Ok(host)
}

fn main() -> strider::Result<()> {
    let out_dir: PathBuf = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/image_canvas"));
    std::fs::create_dir_all(&out_dir).map_err(|e| strider::Error::Io {
        op: "image_canvas",
        reason: e.to_string(),
    })?;
    let canvas = Array::zeros(&[H, W, 3], DType::U8)?;
    let mib = |b: usize| b as f64 / (1u64 << 20) as f64;
    println!(
        "canvas {:?} uint8: {:.2} MB (as float64 it would be {:.2} MB)",
        canvas.shape(),
        mib(canvas.nbytes()),
        mib(canvas.size() * 8)
    );
    let cpu = pipeline(&Device::Cpu, &out_dir, "cpu")?;
    match Device::gpu() {
        Ok(dev) => {
            let gpu = pipeline(&dev, &out_dir, "gpu")?;
            let diff = cpu
                .astype(DType::I32)?
                .subtract(&gpu.astype(DType::I32)?)?
                .abs()?
                .max(strider::Axes::All)?
                .item::<i32>()?;
            println!("largest per-pixel difference between the CPU and GPU results: {diff}");
        }
        Err(e) => println!("no GPU adapter, so the GPU half is skipped: {e}"),
    }
    Ok(())
}

/// Writes an (h, w, 3) uint8 array as an 8-bit RGB PNG with stored
/// (uncompressed) deflate blocks: no dependency, valid for any viewer.
fn write_png(path: &Path, img: &Array) -> strider::Result<()> {
    let (h, w) = (img.shape()[0], img.shape()[1]);
    let pixels = img.to_vec::<u8>()?;
    let mut raw = Vec::with_capacity(h * (w * 3 + 1));
    for row in pixels.chunks(w * 3) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65535).collect();
    for (i, b) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        z.extend_from_slice(&(b.len() as u16).to_le_bytes());
        z.extend_from_slice(&(!(b.len() as u16)).to_le_bytes());
        z.extend_from_slice(b);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + byte as u32) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    for (kind, data) in [(b"IHDR", &ihdr), (b"IDAT", &z), (b"IEND", &Vec::new())] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(data);
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    std::fs::write(path, png).map_err(|e| strider::Error::Io {
        op: "write_png",
        reason: format!("{}: {e}", path.display()),
    })
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
