//! Runs every saved input of every fuzz target (its corpus and the crashes it once found)
//! through the same check the fuzzer runs, so a regression fails on stable Rust in CI.

use std::path::Path;

#[test]
fn every_saved_input_passes_its_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut total = 0;
    for (name, check) in mailtutor_fuzz::TARGETS {
        let mut inputs = 0;
        for dir in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir).join(name)) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(data) = std::fs::read(&path) else {
                    continue;
                };
                let run = std::panic::catch_unwind(|| check(&data));
                assert!(run.is_ok(), "{name}: {} fails its check", path.display());
                inputs += 1;
            }
        }
        assert!(
            inputs > 0,
            "{name} has no saved inputs in fuzz/corpus/{name}"
        );
        total += inputs;
    }
    println!("{total} saved inputs replayed");
}
