//! The tour: NumPy's memory model walked through with strider, with real
//! output. Run with `cargo run --release --example tour`.

use strider::{no_copies, s, track, Array, DType, Order};

fn section(title: &str) {
    println!(
        "\n== {title} {}",
        "=".repeat(70usize.saturating_sub(title.len()))
    );
}

/// Views, a broadcast op and a reduction on the GPU, or a note on how to
/// get an adapter.
fn gpu_part() -> strider::Result<()> {
    let dev = match strider::Device::gpu() {
        Ok(d) => d,
        Err(e) => {
            println!("no GPU adapter, so this part stays on the CPU: {e}");
            println!("(on Debian or Ubuntu, `apt-get install mesa-vulkan-drivers` gives the lavapipe software adapter)");
            return Ok(());
        }
    };
    #[cfg(feature = "gpu")]
    if let Some(info) = dev.adapter_info() {
        println!(
            "adapter: {} via {} (driver {}, device type {}{})",
            info.name,
            info.backend,
            info.driver,
            info.device_type,
            if info.is_software {
                ", a software rasteriser: correct, not fast"
            } else {
                ""
            }
        );
    }
    let a = Array::arange(0.0, 12.0, 1.0, DType::F32)?.reshape(&[3, 4])?;
    let (result, report) = track(|| -> strider::Result<Array> {
        let g = a.to_device(&dev)?; // one upload
        let t = g.t(); // a view: metadata only, on the device
        let v = g.slice(s![.., ..;2])?; // a view too
        println!(
            "on the GPU: a.T strides {:?}, a[:, ::2] strides {:?}, same buffer: {}",
            t.strides(),
            v.strides(),
            t.buffer_id() == g.buffer_id()
        );
        let row = Array::arange(0.0, 4.0, 1.0, DType::F32)?.to_device(&dev)?; // one upload
        let y = (&g * 2.0 + &row)?; // a broadcast, computed on the device
        let s = y.sum(1)?; // a reduction on the device
        let c = t.to_contiguous()?; // a gather kernel on the device, recorded as a copy
        println!(
            "a.T made contiguous on the device: strides {:?}",
            c.strides()
        );
        s.to_cpu() // one download
    });
    let result = result?;
    println!("(a * 2 + row).sum(axis=1) computed on the GPU: {result}");
    println!("the ledger of the GPU part:\n{report}");
    Ok(())
}

fn main() -> strider::Result<()> {
    section("1. A (3, 4) int64 array: one flat buffer, a shape, strides");
    let a = Array::arange_i64(0, 12, 1)?.reshape(&[3, 4])?;
    println!("a =\n{a}");
    println!(
        "a.shape = {:?}, a.strides = {:?} bytes, itemsize = {}",
        a.shape(),
        a.strides(),
        a.itemsize()
    );
    println!("moving one row skips 4 elements x 8 bytes = 32 bytes; one column, 8 bytes");
    print!("{}", a.explain());

    section("2. The transpose is a view: same buffer, strides swapped");
    let t = a.t();
    println!("a.T =\n{t}");
    println!(
        "a.T.strides = {:?}; same buffer as a: {}",
        t.strides(),
        t.buffer_id() == a.buffer_id()
    );

    section("3. A stepped slice is a view too");
    let v = a.slice(s![.., ..;2])?;
    println!("a[:, ::2] =\n{v}");
    println!(
        "strides = {:?} (the column step doubles the stride), shares memory: {}",
        v.strides(),
        v.shares_memory(&a)
    );
    print!("{}", v.explain());
    let r = a.slice(s![..;-1, ..])?;
    println!(
        "a[::-1] has strides {:?} and offset {} bytes (it starts at the last row)",
        r.strides(),
        r.offset()
    );

    section("4. Writing through a view changes the base");
    let b = a.slice(s![0])?;
    b.set(&[0], 100i64)?;
    println!("b = a[0]; b[0] = 100  ->  a =\n{a}");

    section("5. copy() breaks the link");
    let c = a.copy()?;
    c.set(&[0, 0], -1i64)?;
    println!(
        "c = a.copy(); c[0, 0] = -1  ->  a[0, 0] is still {}",
        a.get::<i64>(&[0, 0])?
    );
    println!("c shares memory with a: {}", c.shares_memory(&a));

    section("6. Flags");
    for (name, arr) in [("a", &a), ("a.T", &t), ("a[:, ::2]", &v)] {
        let f = arr.flags();
        println!(
            "{name:<10} C_CONTIGUOUS={:<5} F_CONTIGUOUS={:<5} OWNDATA={:<5} WRITEABLE={}",
            f.c_contiguous, f.f_contiguous, f.owndata, f.writeable
        );
    }

    section("7. ravel is a view when it can be; flatten always copies");
    let (flat, report) = track(|| a.ravel());
    let flat = flat?;
    println!(
        "a.ravel(): view = {}, copies = {}",
        flat.buffer_id() == a.buffer_id(),
        report.copies()
    );
    let (flat_t, report) = track(|| t.ravel());
    let flat_t = flat_t?;
    println!(
        "a.T.ravel(): view = {}, the ledger says:\n{report}",
        flat_t.buffer_id() == a.buffer_id()
    );
    let (fl, report) = track(|| a.flatten());
    let _ = fl?;
    println!("a.flatten(): the ledger says:\n{report}");

    section("8. Broadcasting a row and a column without copying");
    let x = Array::zeros(&[3, 4], DType::F64)?;
    let row = Array::arange(0.0, 4.0, 1.0, DType::F64)?;
    let col = Array::arange(0.0, 30.0, 10.0, DType::F64)?.reshape(&[3, 1])?;
    let (sum, report) = track(|| &x + &row + &col);
    let sum = sum?;
    println!("x + row + col =\n{sum}");
    println!("ledger during the broadcast ops: {report}");
    let br = row.broadcast_to(&[3, 4])?;
    println!(
        "row broadcast to (3, 4): strides {:?} (stride 0 repeats the row), writeable {}",
        br.strides(),
        br.flags().writeable
    );

    section("9. Forbidding implicit copies");
    let refused = no_copies(|| t.reshape(&[12]));
    match refused {
        Err(e) => println!("inside no_copies, a.T.reshape(12) -> error: {e}"),
        Ok(_) => println!("unexpected: the reshape did not copy"),
    }
    let allowed = no_copies(|| t.copy_order(Order::C))?;
    println!("an explicit copy() is still allowed: {:?}", allowed.shape());

    section("10. Overlapping assignment reads the source as if copied first");
    let y = Array::arange_i64(0, 6, 1)?;
    let (res, report) = track(|| {
        y.assign(
            &[strider::SliceItem::range(1, 6).into()],
            &y.slice(s![..-1])?,
        )
    });
    res?;
    println!("y[1:] = y[:-1]  ->  y = {y}; the temporary is recorded:\n{report}");

    section("11. A whole expression in one pass");
    let a = Array::arange(0.0, 100_000.0, 1.0, DType::F32)?;
    let b = Array::full(&[100_000], 0.5, DType::F32)?;
    let before = strider::cpu::passes();
    let (mse, report) = track(|| (a.expr() - &b).square().mean(strider::Axes::All).eval());
    let fused_passes = strider::cpu::passes() - before;
    let before = strider::cpu::passes();
    let d = (&a - &b)?;
    let eager = (&d * &d)?.mean_all()?;
    let eager_passes = strider::cpu::passes() - before;
    let mse = mse?;
    println!(
        "((a - b)**2).mean() as one expression: {mse} in {fused_passes} pass, {} copies",
        report.copies()
    );
    println!(
        "the same ops run eagerly: {eager} in {eager_passes} passes, with two temporaries; same bits: {}",
        mse.item::<f32>()?.to_bits() == eager.item::<f32>()?.to_bits()
    );

    section("12. The same on the GPU, with every transfer in the ledger");
    gpu_part()?;

    section("Summary");
    let totals = strider::ledger::totals();
    println!(
        "views share one buffer and change only shape, strides and offset; this tour made {} copies \
         ({} implicit, {} bytes) and {} transfers",
        totals.copies, totals.implicit_copies, totals.copy_bytes, totals.transfers
    );
    Ok(())
}
