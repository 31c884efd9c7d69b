//! Load figures for the API against a running `tradelab serve` (release build), on
//! loopback: `cargo run --release -p tradelab-server --example bench_api -- MODE …`
//!
//! - `detail BASE TOKEN RUN_ID SECS CONCURRENCY`: requests per second and latency
//!   percentiles of `GET /api/v1/runs/{id}`.
//! - `sse BASE TOKEN RUN_ID SUBSCRIBERS`: that many streams of one run; each must get
//!   every event (the same ids, in order) and the `end`.
//! - `run BASE TOKEN MODEL_ID [TIMEFRAME]`: starts a run and times it to its end.

use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> Result<&str, Error> {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| format!("missing argument {i}; see the file's doc comment").into())
    };
    match arg(0)? {
        "detail" => {
            detail(
                arg(1)?,
                arg(2)?,
                arg(3)?,
                arg(4)?.parse()?,
                arg(5)?.parse()?,
            )
            .await
        }
        "sse" => sse(arg(1)?, arg(2)?, arg(3)?, arg(4)?.parse()?).await,
        "run" => run(arg(1)?, arg(2)?, arg(3)?, args.get(4).map(String::as_str)).await,
        other => Err(format!("unknown mode {other:?}: detail, sse or run").into()),
    }
}

async fn detail(
    base: &str,
    token: &str,
    run: &str,
    secs: u64,
    concurrency: usize,
) -> Result<(), Error> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let url = format!("{base}/api/v1/runs/{run}");
    let end = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let url = url.clone();
        let token = token.to_string();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0u64;
            while Instant::now() < end {
                let t = Instant::now();
                match client.get(&url).bearer_auth(&token).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        latencies.push(t.elapsed());
                    }
                    _ => failures += 1,
                }
            }
            (latencies, failures)
        }));
    }
    let mut all = Vec::new();
    let mut failures = 0;
    for t in tasks {
        let (l, f) = t.await?;
        all.extend(l);
        failures += f;
    }
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "GET /runs/{run}: {} requests in {secs} s = {:.0} req/s, {failures} failed; latency p50 {:?} p99 {:?} max {:?} ({concurrency} connections)",
        all.len(),
        all.len() as f64 / secs as f64,
        pct(0.5),
        pct(0.99),
        all.last().copied().unwrap_or_default()
    );
    Ok(())
}

async fn sse(base: &str, token: &str, run: &str, subscribers: usize) -> Result<(), Error> {
    use futures_util::StreamExt;
    let client = reqwest::Client::new();
    let url = format!("{base}/api/v1/runs/{run}/stream");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..subscribers {
        let client = client.clone();
        let url = url.clone();
        let token = token.to_string();
        tasks.push(tokio::spawn(async move {
            let r = client.get(&url).bearer_auth(&token).send().await?;
            let mut body = r.bytes_stream();
            let mut text = String::new();
            let mut ids: Vec<i64> = Vec::new();
            let mut ended = false;
            while let Some(chunk) = body.next().await {
                text.push_str(&String::from_utf8_lossy(&chunk?));
                while let Some(at) = text.find("\n\n") {
                    let event: String = text.drain(..at + 2).collect();
                    for line in event.lines() {
                        if let Some(id) = line.strip_prefix("id:") {
                            ids.push(id.trim().parse()?);
                        }
                        if line.trim() == "event: end" || line.trim() == "event:end" {
                            ended = true;
                        }
                    }
                }
            }
            Ok::<_, Error>((ids, ended))
        }));
    }
    let mut reference: Option<Vec<i64>> = None;
    let mut complete = 0;
    let mut differing = 0;
    for t in tasks {
        let (ids, ended) = t.await??;
        if ended {
            complete += 1;
        }
        let ordered = ids.windows(2).all(|w| w[0] < w[1]);
        match &reference {
            None => reference = Some(ids),
            Some(r) if *r == ids && ordered => {}
            Some(_) => differing += 1,
        }
    }
    println!(
        "{subscribers} subscribers of run {run}: {complete} got `end`, {differing} saw other ids than the first, {} ids each, {:?} in all",
        reference.map(|r| r.len()).unwrap_or(0),
        started.elapsed()
    );
    Ok(())
}

async fn run(base: &str, token: &str, model: &str, timeframe: Option<&str>) -> Result<(), Error> {
    let client = reqwest::Client::new();
    let mut body = serde_json::json!({});
    if let Some(tf) = timeframe {
        body["timeframe"] = tf.into();
    }
    let started = Instant::now();
    let r = client
        .post(format!("{base}/api/v1/models/{model}/runs"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = r.status();
    let created: serde_json::Value = r.json().await?;
    if !status.is_success() {
        return Err(format!("start refused: {status} {created}").into());
    }
    let id = created["id"].as_i64().ok_or("no run id")?;
    loop {
        let r: serde_json::Value = client
            .get(format!("{base}/api/v1/runs/{id}"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        let s = r["status"].as_str().unwrap_or_default().to_string();
        if !matches!(s.as_str(), "queued" | "running") {
            println!(
                "run {id} {s} in {:?} (from POST to the end seen by polling every 5 ms)",
                started.elapsed()
            );
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
