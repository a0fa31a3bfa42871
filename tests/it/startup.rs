//! `mailtutor --startup-probe` in a real window on a virtual display (xvfb-run, from Debian's
//! xvfb, which scripts/setup-debian.sh installs): it paints a frame, says how long that took,
//! and closes by itself.
#![cfg(all(feature = "gui", target_os = "linux"))]

use std::process::Command;

#[test]
fn the_window_reports_its_first_painted_frame_and_closes() {
    let home = std::env::temp_dir().join(format!("mailtutor-startup-{}", std::process::id()));
    // A window that does not close by itself is killed after a minute, and fails the test.
    let out = Command::new("timeout")
        .args(["60", "xvfb-run", "-a", "-s", "-screen 0 1280x800x24"])
        .arg(env!("CARGO_BIN_EXE_mailtutor"))
        .arg("--startup-probe")
        .env("XDG_DATA_HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .output()
        .unwrap_or_else(|e| panic!("xvfb-run is needed (scripts/setup-debian.sh): {e}"));
    let _ = std::fs::remove_dir_all(&home);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ms: u64 = text
        .trim()
        .strip_prefix("first frame painted after ")
        .and_then(|r| r.strip_suffix(" ms"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure in {text:?}"));
    // A generous bound for a debug build on a busy machine; the budget is checked by
    // scripts/startup.sh on a release build.
    assert!(ms < 20_000, "{ms} ms");
}
