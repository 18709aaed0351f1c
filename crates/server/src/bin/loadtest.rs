//! `loadtest`: a bounded loopback load test of a running `laniakea serve`.
//!
//! ```text
//! loadtest --url http://127.0.0.1:8080 [--pid PID] [--path P]... [--connections N]
//!          [--duration-s S] [--max-requests N] [--threads T]
//! ```
//!
//! N keep-alive HTTP/1.1 connections each send GET requests back to back, cycling through the
//! paths, until the duration or the request budget is used up (both bounded: the test always
//! stops by itself). Only loopback URLs are accepted. Prints requests/s, latency p50/p99/max,
//! non-200 answers, and — with `--pid` — the server's resident memory (VmRSS now, VmHWM peak,
//! from /proc) sampled every 100 ms during the run. Last line: the same figures as JSON.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `println!` that never panics: a closed pipe (`loadtest … | head`) just ends the output.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

struct Args {
    url: String,
    pid: Option<u32>,
    paths: Vec<String>,
    connections: usize,
    duration: Duration,
    max_requests: u64,
    threads: usize,
}

fn usage(msg: &str) -> ! {
    eprintln!("loadtest: {msg}\nusage: loadtest --url http://127.0.0.1:PORT [--pid PID] [--path P]... [--connections N] [--duration-s S] [--max-requests N] [--threads T]");
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        url: String::new(),
        pid: None,
        paths: Vec::new(),
        connections: 32,
        duration: Duration::from_secs(10),
        max_requests: 2_000_000,
        threads: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        let num = |v: String, f: &str| -> u64 {
            v.parse()
                .unwrap_or_else(|_| usage(&format!("invalid {f} '{v}': not a number")))
        };
        match flag.as_str() {
            "--url" => a.url = val(),
            "--pid" => a.pid = Some(num(val(), "--pid") as u32),
            "--path" => a.paths.push(val()),
            "--connections" => a.connections = num(val(), "--connections").clamp(1, 1024) as usize,
            "--duration-s" => {
                a.duration = Duration::from_secs(num(val(), "--duration-s").clamp(1, 300))
            }
            "--max-requests" => a.max_requests = num(val(), "--max-requests").max(1),
            "--threads" => a.threads = num(val(), "--threads").clamp(1, 16) as usize,
            _ => usage(&format!("unknown argument '{flag}'")),
        }
    }
    let loopback = ["http://127.", "http://localhost:", "http://[::1]:"];
    if !loopback.iter().any(|p| a.url.starts_with(p)) {
        usage("--url must be a loopback http:// URL (127.0.0.0/8, localhost, [::1])");
    }
    if a.paths.is_empty() {
        a.paths = vec!["/api/v1/epochs".into()];
    }
    a
}

/// `(VmRSS, VmHWM)` of a process, in KiB.
fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let a = parse_args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.threads)
        .enable_all()
        .build()
        .unwrap_or_else(|e| usage(&format!("cannot start a runtime: {e}")));
    rt.block_on(run(a));
}

async fn run(a: Args) {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(a.connections)
        .build_http();
    let uris: Vec<hyper::Uri> = a
        .paths
        .iter()
        .map(|p| {
            format!("{}{p}", a.url)
                .parse()
                .unwrap_or_else(|e| usage(&format!("invalid --path '{p}': {e}")))
        })
        .collect();
    // Warm-up: one request per path (fills the server's cache), checked.
    for u in &uris {
        match client.get(u.clone()).await {
            Ok(r) if r.status() == 200 => {
                let _ = r.into_body().collect().await;
            }
            Ok(r) => usage(&format!("{u} answered {} during warm-up", r.status())),
            Err(e) => usage(&format!("{u}: {e}")),
        }
    }
    let mem_before = a.pid.and_then(memory_kib);
    let stop = Arc::new(AtomicBool::new(false));
    let issued = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let peak_rss = Arc::new(AtomicU64::new(0));
    let sampler = a.pid.map(|pid| {
        let (stop, peak) = (stop.clone(), peak_rss.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if let Some((rss, _)) = memory_kib(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    });
    let start = Instant::now();
    let deadline = start + a.duration;
    let mut tasks = Vec::new();
    for c in 0..a.connections {
        let (client, uris) = (client.clone(), uris.clone());
        let (stop, issued, errors) = (stop.clone(), issued.clone(), errors.clone());
        let max = a.max_requests;
        tasks.push(tokio::spawn(async move {
            let mut lat_us = Vec::with_capacity(100_000);
            let mut i = c;
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                if issued.fetch_add(1, Ordering::Relaxed) >= max {
                    break;
                }
                let t = Instant::now();
                let ok = match client.get(uris[i % uris.len()].clone()).await {
                    Ok(r) => {
                        let good = r.status() == 200;
                        good && r.into_body().collect().await.is_ok()
                    }
                    Err(_) => false,
                };
                lat_us.push(t.elapsed().as_micros() as u64);
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
            lat_us
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        if let Ok(mut v) = t.await {
            lat.append(&mut v);
        }
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    if let Some(s) = sampler {
        let _ = s.await;
    }
    lat.sort_unstable();
    let n = lat.len() as u64;
    let rps = n as f64 / elapsed.as_secs_f64();
    let (p50, p99, max) = (
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0),
    );
    let mem_after = a.pid.and_then(memory_kib);
    say!(
        "{n} requests in {:.2} s over {} connections: {rps:.0} req/s; latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; {} non-200",
        elapsed.as_secs_f64(),
        a.connections,
        p50 as f64 / 1000.0,
        p99 as f64 / 1000.0,
        max as f64 / 1000.0,
        errors.load(Ordering::Relaxed)
    );
    if let (Some(pid), Some((rss, hwm))) = (a.pid, mem_after) {
        say!(
            "server pid {pid}: RSS before {} KiB, peak during the run {} KiB, after {rss} KiB (VmHWM {hwm} KiB)",
            mem_before.map(|m| m.0).unwrap_or(0),
            peak_rss.load(Ordering::Relaxed),
        );
    }
    say!(
        "{}",
        serde_json::json!({
            "requests": n,
            "elapsed_s": elapsed.as_secs_f64(),
            "connections": a.connections,
            "client_threads": a.threads,
            "paths": a.paths,
            "requests_per_s": rps.round(),
            "p50_ms": p50 as f64 / 1000.0,
            "p99_ms": p99 as f64 / 1000.0,
            "max_ms": max as f64 / 1000.0,
            "non_200": errors.load(Ordering::Relaxed),
            "server_rss_kib_before": mem_before.map(|m| m.0),
            "server_rss_kib_peak": a.pid.map(|_| peak_rss.load(Ordering::Relaxed)),
            "server_rss_kib_after": mem_after.map(|m| m.0),
            "server_vmhwm_kib": mem_after.map(|m| m.1),
        })
    );
}
