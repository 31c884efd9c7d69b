//! Who runs a run: a worker id (`host:pid@start`) that a later process given the same
//! PID cannot fake, and whether that worker still runs on this machine.

/// A run on another host that wrote nothing for this long is taken as crashed.
pub const STALE_AFTER_SECS: i64 = 600;

/// This machine's name (for worker ids).
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// `host:pid@start` of process `pid` on this machine: who runs a run. `start` says
/// when the process started (see `process_start`), so a later process that is given
/// the same PID is not taken for it; it is left out (`host:pid`) where the start time
/// cannot be read.
pub fn worker_id(pid: u32) -> String {
    match process_start(pid) {
        Some(start) => format!("{}:{pid}@{start}", host_name()),
        None => format!("{}:{pid}", host_name()),
    }
}

/// Host, PID and (when recorded) start of a worker id; `None` when it is not one.
pub(crate) fn parse_worker(worker: &str) -> Option<(&str, u32, Option<&str>)> {
    let (base, start) = match worker.rsplit_once('@') {
        Some((base, start)) => (base, Some(start)),
        None => (worker, None),
    };
    let (host, pid) = base.rsplit_once(':')?;
    Some((host, pid.parse().ok()?, start))
}

/// When process `pid` started, as `TICKS-BOOT`: its start time in clock ticks since
/// boot (field 22 of `/proc/PID/stat`) and the first 8 characters of this boot's id,
/// which no process started later (in this boot or the next) has. `None` without
/// `/proc` or when the process does not exist.
fn process_start(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 2 (the command name) is in parentheses and may hold spaces and ')':
    // the fields after the last ')' start with field 3.
    let rest = &stat[stat.rfind(')')? + 1..];
    let ticks: u64 = rest.split_whitespace().nth(22 - 3)?.parse().ok()?;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    let boot: String = boot.trim().chars().take(8).collect();
    Some(format!("{ticks}-{boot}"))
}

/// Whether the worker that recorded `pid` (started at `start`, when recorded) still
/// runs on this machine. A process with the same PID but another start is a new one:
/// the worker is gone.
pub(crate) fn worker_alive(pid: u32, start: Option<&str>) -> bool {
    if !cfg!(target_os = "linux") {
        // Without /proc, assume alive: a stale run is then caught by its age instead.
        return true;
    }
    match start {
        Some(recorded) => process_start(pid).is_some_and(|now| now == recorded),
        None => pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_ids_parse_with_and_without_a_start() {
        assert_eq!(parse_worker("box:42"), Some(("box", 42, None)));
        assert_eq!(
            parse_worker("box:42@1234-abcdef01"),
            Some(("box", 42, Some("1234-abcdef01")))
        );
        assert_eq!(parse_worker("box:x"), None);
        assert_eq!(parse_worker("nohost"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_a_start_and_is_alive_only_with_it() {
        let me = std::process::id();
        let start = process_start(me).expect("a start time from /proc");
        assert!(worker_alive(me, Some(&start)));
        assert!(!worker_alive(me, Some("1-00000000")));
        assert!(worker_id(me).ends_with(&format!(":{me}@{start}")));
    }
}
