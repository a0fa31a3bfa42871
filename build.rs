//! Gives mailtutor.exe its icon (assets/icon/mailtutor.ico) when the target is Windows; does
//! nothing for other targets.

fn main() {
    println!("cargo:rerun-if-changed=assets/icon/mailtutor.ico");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let mut res = winresource::WindowsResource::new();
    // Cross-building with mingw-w64 (scripts/build-windows.sh): its tools carry the target prefix.
    if std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu") && !cfg!(windows) {
        res.set_windres_path("x86_64-w64-mingw32-windres")
            .set_ar_path("x86_64-w64-mingw32-ar");
    }
    res.set_icon("assets/icon/mailtutor.ico");
    if let Err(e) = res.compile() {
        // An exe without its icon still works; say why in the build output.
        println!("cargo:warning=mailtutor.exe gets no icon: {e}");
    }
}
