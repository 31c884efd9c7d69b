//! Builds the web UI (`web/` at the workspace root) with npm and embeds its files.
//!
//! The UI is built by `npm ci` (once per lockfile) and `npm run build` into OUT_DIR;
//! its files become `include_bytes!` entries of a generated table. When Node.js or npm
//! is missing or the build fails, the crate still builds: the table is empty and
//! [`BUILD_PROBLEM`] says what went wrong and what to install, so the server runs and
//! tells the visitor. `TRADELAB_WEB_DIST=DIR` embeds an already built folder instead;
//! `TRADELAB_SKIP_WEB_BUILD=1` skips the build (the server then says so at `/`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest.join("../../web");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for watched in [
        "src",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
        "public",
    ] {
        println!("cargo:rerun-if-changed={}", web.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=TRADELAB_WEB_DIST");
    println!("cargo:rerun-if-env-changed=TRADELAB_SKIP_WEB_BUILD");

    let built = match std::env::var_os("TRADELAB_WEB_DIST") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.join("index.html").is_file() {
                Ok(dir)
            } else {
                Err(format!(
                    "TRADELAB_WEB_DIST={} has no index.html",
                    dir.display()
                ))
            }
        }
        None if std::env::var_os("TRADELAB_SKIP_WEB_BUILD").is_some_and(|v| v != "0") => Err(
            "the web UI was not built (TRADELAB_SKIP_WEB_BUILD was set when tradelab was compiled)"
                .to_string(),
        ),
        None => build(&web, &out.join("dist")),
    };
    let mut table = String::new();
    let problem = match built {
        Ok(dist) => {
            let mut files = Vec::new();
            collect(&dist, &dist, &mut files);
            files.sort();
            table.push_str("pub static ASSETS: &[Asset] = &[\n");
            for (rel, abs) in &files {
                let _ = writeln!(
                    table,
                    "    Asset {{ path: {rel:?}, bytes: include_bytes!({abs:?}), content_type: {:?} }},",
                    content_type(rel)
                );
            }
            table.push_str("];\n");
            None
        }
        Err(why) => {
            println!(
                "cargo:warning=web UI not built: {}",
                why.lines().next().unwrap_or_default()
            );
            table.push_str("pub static ASSETS: &[Asset] = &[];\n");
            Some(why)
        }
    };
    let _ = writeln!(
        table,
        "pub static BUILD_PROBLEM: Option<&str> = {problem:?};"
    );
    std::fs::write(out.join("assets.rs"), table).expect("OUT_DIR is writable");
}

/// `npm ci` when the installed packages are older than the lockfile, then the build.
fn build(web: &Path, dist: &Path) -> Result<PathBuf, String> {
    const INSTALL: &str = "Install Node.js 20 or newer with npm (https://nodejs.org, or `apt-get install nodejs npm` on Debian and Ubuntu), then rebuild tradelab (`cargo build --release`).";
    if !web.join("package.json").is_file() {
        return Err(format!(
            "the web UI sources are missing ({} has no package.json)",
            web.display()
        ));
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    match Command::new(npm).arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => return Err(format!("npm was not found. {INSTALL}")),
    }
    let marker = web.join("node_modules/.package-lock.json");
    let stale = match (modified(&marker), modified(&web.join("package-lock.json"))) {
        (Some(installed), Some(lock)) => installed < lock,
        _ => true,
    };
    if stale {
        run(
            Command::new(npm)
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(web),
            "npm ci",
            INSTALL,
        )?;
    }
    run(
        Command::new(npm)
            .args(["run", "build", "--", "--outDir"])
            .arg(dist)
            .arg("--emptyOutDir")
            .current_dir(web),
        "npm run build",
        "Fix the error above in web/ and rebuild.",
    )?;
    Ok(dist.to_path_buf())
}

fn run(cmd: &mut Command, what: &str, advice: &str) -> Result<(), String> {
    let output = cmd
        .output()
        .map_err(|e| format!("{what} could not start: {e}. {advice}"))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let tail: Vec<&str> = text.lines().rev().take(20).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!(
        "{what} failed ({}). {advice}\n{}",
        output.status,
        tail.join("\n")
    ))
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Every file under `dir`, as (path relative to `root` with `/`, absolute path).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let abs = path
                .canonicalize()
                .unwrap_or(path.clone())
                .display()
                .to_string();
            files.push((rel, abs));
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
