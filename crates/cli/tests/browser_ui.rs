//! The web UI in a real browser (issue 18): `web/e2e/run.mjs` drives Debian's Chromium
//! with playwright-core against this build's `tradelab serve` on a fresh data dir.
//! Needs Node.js and Chromium (`.ci/run` installs them; `TRADELAB_CHROMIUM` names
//! another Chromium). Screenshots land in `web/test-output/`.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn web_ui_works_end_to_end_in_a_real_browser() {
    let web = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web");
    assert!(
        tradelab_web::build_problem().is_none(),
        "the web UI is not in this build: {}",
        tradelab_web::build_problem().unwrap_or_default()
    );
    let chromium =
        std::env::var("TRADELAB_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "the browser tests need Chromium at {chromium}: `apt-get install -y chromium` (or set TRADELAB_CHROMIUM)"
    );
    let output = Command::new("node")
        .arg("e2e/run.mjs")
        .current_dir(&web)
        .env("TRADELAB_BIN", env!("CARGO_BIN_EXE_tradelab"))
        .env("TRADELAB_CHROMIUM", &chromium)
        .env("TRADELAB_E2E_OUT", web.join("test-output"))
        .env("TRADELAB_E2E_KEY", "e2e-not-a-real-key")
        .output()
        .expect("node runs (install Node.js 20 or newer)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser checks failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all browser checks passed"), "{stdout}");
}
