//! Counters for `/metrics` in the Prometheus text format: requests and their
//! latencies by route, runs by status, queue depth.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// Latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Latency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Counts {
    /// (method, route, status) → requests.
    requests: BTreeMap<(String, String, u16), u64>,
    /// (method, route) → latencies.
    latency: BTreeMap<(String, String), Latency>,
    runs_started: u64,
    /// Final status → runs.
    runs_ended: BTreeMap<String, u64>,
    /// Fills of ended runs.
    fills: u64,
    /// Rejected orders of ended runs, by reason (the rule or check that refused).
    rejections: BTreeMap<String, u64>,
    /// What language models cost the ended runs.
    llm_prompt_tokens: u64,
    llm_completion_tokens: u64,
    llm_cost_usd: f64,
}

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    counts: Mutex<Counts>,
}

/// Gauges read when the page is written.
pub struct Gauges {
    pub queue_depth: usize,
    pub running: usize,
    pub emergency_stop: bool,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a request to `route` (the matched path pattern, not the raw path).
    pub fn request(&self, method: &str, route: &str, status: u16, secs: f64) {
        let mut c = self.lock();
        *c.requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let l = c
            .latency
            .entry((method.to_string(), route.to_string()))
            .or_default();
        l.count += 1;
        l.sum += secs;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                l.buckets[i] += 1;
            }
        }
    }

    pub fn run_started(&self) {
        self.lock().runs_started += 1;
    }

    pub fn run_ended(&self, status: &str) {
        *self
            .lock()
            .runs_ended
            .entry(status.to_string())
            .or_default() += 1;
    }

    /// Adds what an ended run did: fills, rejections by reason, model tokens and cost.
    pub fn run_report(&self, report: &tradelab_engine::report::Report) {
        let mut c = self.lock();
        c.fills += report.fills as u64;
        for (reason, n) in &report.orders_rejected {
            *c.rejections.entry(reason.clone()).or_default() += *n as u64;
        }
        if let Some(u) = &report.model_usage {
            c.llm_prompt_tokens += u.prompt_tokens;
            c.llm_completion_tokens += u.completion_tokens;
            c.llm_cost_usd += u.cost_usd.unwrap_or(0.0);
        }
    }

    /// The page for Prometheus.
    pub fn render(&self, gauges: &Gauges) -> String {
        let c = self.lock();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP tradelab_http_requests_total HTTP requests by route and status."
        );
        let _ = writeln!(out, "# TYPE tradelab_http_requests_total counter");
        for ((method, route, status), n) in &c.requests {
            let _ = writeln!(
                out,
                "tradelab_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP tradelab_http_request_duration_seconds HTTP request latency by route."
        );
        let _ = writeln!(
            out,
            "# TYPE tradelab_http_request_duration_seconds histogram"
        );
        for ((method, route), l) in &c.latency {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "tradelab_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    l.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "tradelab_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                l.count
            );
            let _ = writeln!(
                out,
                "tradelab_http_request_duration_seconds_sum{{{labels}}} {}",
                l.sum
            );
            let _ = writeln!(
                out,
                "tradelab_http_request_duration_seconds_count{{{labels}}} {}",
                l.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP tradelab_runs_started_total Runs started by this server."
        );
        let _ = writeln!(out, "# TYPE tradelab_runs_started_total counter");
        let _ = writeln!(out, "tradelab_runs_started_total {}", c.runs_started);
        let _ = writeln!(
            out,
            "# HELP tradelab_runs_ended_total Runs ended, by final status."
        );
        let _ = writeln!(out, "# TYPE tradelab_runs_ended_total counter");
        for (status, n) in &c.runs_ended {
            let _ = writeln!(out, "tradelab_runs_ended_total{{status=\"{status}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP tradelab_fills_total Fills of the runs ended by this server."
        );
        let _ = writeln!(out, "# TYPE tradelab_fills_total counter");
        let _ = writeln!(out, "tradelab_fills_total {}", c.fills);
        let _ = writeln!(
            out,
            "# HELP tradelab_orders_rejected_total Orders rejected in the runs ended by this server, by reason."
        );
        let _ = writeln!(out, "# TYPE tradelab_orders_rejected_total counter");
        for (reason, n) in &c.rejections {
            let _ = writeln!(
                out,
                "tradelab_orders_rejected_total{{reason=\"{}\"}} {n}",
                escape(reason)
            );
        }
        let _ = writeln!(
            out,
            "# HELP tradelab_llm_tokens_total Language-model tokens used by ended runs."
        );
        let _ = writeln!(out, "# TYPE tradelab_llm_tokens_total counter");
        let _ = writeln!(
            out,
            "tradelab_llm_tokens_total{{kind=\"prompt\"}} {}",
            c.llm_prompt_tokens
        );
        let _ = writeln!(
            out,
            "tradelab_llm_tokens_total{{kind=\"completion\"}} {}",
            c.llm_completion_tokens
        );
        let _ = writeln!(
            out,
            "# HELP tradelab_llm_cost_usd_total What language models cost ended runs, in US dollars (priced calls only)."
        );
        let _ = writeln!(out, "# TYPE tradelab_llm_cost_usd_total counter");
        let _ = writeln!(out, "tradelab_llm_cost_usd_total {}", c.llm_cost_usd);
        let _ = writeln!(out, "# HELP tradelab_runs_running Runs running now.");
        let _ = writeln!(out, "# TYPE tradelab_runs_running gauge");
        let _ = writeln!(out, "tradelab_runs_running {}", gauges.running);
        let _ = writeln!(
            out,
            "# HELP tradelab_queue_depth Runs waiting for a worker."
        );
        let _ = writeln!(out, "# TYPE tradelab_queue_depth gauge");
        let _ = writeln!(out, "tradelab_queue_depth {}", gauges.queue_depth);
        let _ = writeln!(
            out,
            "# HELP tradelab_emergency_stop 1 while an admin's emergency stop is on."
        );
        let _ = writeln!(out, "# TYPE tradelab_emergency_stop gauge");
        let _ = writeln!(
            out,
            "tradelab_emergency_stop {}",
            u8::from(gauges.emergency_stop)
        );
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_requests_by_route_and_cumulative_buckets() {
        let m = Metrics::default();
        m.request("GET", "/api/v1/runs/{id}", 200, 0.002);
        m.request("GET", "/api/v1/runs/{id}", 200, 0.3);
        m.run_ended("completed");
        let page = m.render(&Gauges {
            queue_depth: 2,
            running: 1,
            emergency_stop: false,
        });
        assert!(page.contains(
            "tradelab_http_requests_total{method=\"GET\",route=\"/api/v1/runs/{id}\",status=\"200\"} 2"
        ), "{page}");
        assert!(page.contains("le=\"0.005\"} 1"), "{page}");
        assert!(page.contains("le=\"0.5\"} 2"), "{page}");
        assert!(page.contains("tradelab_runs_ended_total{status=\"completed\"} 1"));
        assert!(page.contains("tradelab_queue_depth 2"));
    }
}
