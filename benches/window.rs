//! One frame of the whole window with a transcript of 100 lines and of 100,000 lines, drawn
//! headless through egui_kittest. Only visible rows are laid out, so the two should cost
//! about the same; compare the ratio, not the absolute times.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use mailtutor::session::{Event, EventKind};
use mailtutor::ui::theme::Settings;
use mailtutor::ui::{AppOptions, TutorApp};

fn window(lines: u32) -> Harness<'static, TutorApp> {
    let dir = std::env::temp_dir().join(format!("mailtutor-bench-{}-{lines}", std::process::id()));
    let options = AppOptions {
        data_dir: Some(dir),
        settings: Some(Settings::default()),
        demo: None,
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| TutorApp::new(cc, options));
    let start = Instant::now();
    while h.state().server().is_none() && start.elapsed() < Duration::from_secs(10) {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    for i in 0..lines {
        h.state_mut().replay(&Event::now(EventKind::Sent {
            id: None,
            bytes: format!("NOOP {i}\r\n").into_bytes(),
            secret: false,
        }));
    }
    h.run_steps(3);
    h
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("window frame");
    g.sample_size(30);
    for lines in [100u32, 100_000] {
        let mut h = window(lines);
        g.bench_function(format!("{lines} transcript lines"), |b| b.iter(|| h.step()));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
