//! Build script shared by tradelab-store, tradelab-runner and tradelab-cli (each
//! Cargo.toml points `build` here). Marks the PostgreSQL tests ignored, with the
//! reason, when no test server is configured: `cargo test` then reports them as
//! ignored instead of passing them without running anything. With
//! `TRADELAB_TEST_POSTGRES_URL` set they all run.

fn main() {
    println!("cargo::rerun-if-changed=../../build/pg_tests_cfg.rs");
    println!("cargo::rerun-if-env-changed=TRADELAB_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(tradelab_no_pg)");
    let configured =
        std::env::var("TRADELAB_TEST_POSTGRES_URL").is_ok_and(|u| !u.trim().is_empty());
    if !configured {
        println!("cargo::rustc-cfg=tradelab_no_pg");
    }
}
