//! The dashboard in a real browser (issue 15 item 4): a short scenario's run database is served
//! on 127.0.0.1 by the in-process server, headless Chromium loads every dashboard page, and the
//! DOM after the scripts ran is checked — each key figure shows what the JSON API returns
//! (formatted for people: grouped, truncated, with the exact value and unit in its tooltip) and
//! each chart drew at least one data mark. A screenshot of every page is kept under
//! `target/test-artifacts/dashboard/`.
//!
//! Chromium: `LANIAKEA_CHROMIUM` or the first of `chromium`, `chromium-browser`,
//! `google-chrome` on the PATH. Without one the test prints a SKIP line and passes — unless
//! `LANIAKEA_REQUIRE_BROWSER` is set (`.ci/run` sets it and installs Chromium), then it fails.
#![allow(clippy::unwrap_used)]

mod dashboard_scenario;

use laniakea_server::{AppState, ServeConfig, SharedChain, SynomePool};
use laniakea_units::human;
use laniakea_units::Timestamp;
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

// ---- the browser ------------------------------------------------------------------------------

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LANIAKEA_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn browser_required() -> bool {
    std::env::var("LANIAKEA_REQUIRE_BROWSER").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Chromium, or `None` after printing why the test is skipped (panics when it is required).
fn chromium_or_skip(test: &str) -> Option<Browser> {
    match find_chromium() {
        Some(bin) => Some(Browser {
            bin,
            profile: tempfile::tempdir().unwrap(),
        }),
        None if browser_required() => panic!(
            "{test}: LANIAKEA_REQUIRE_BROWSER is set but no Chromium was found \
             (install the Debian package `chromium`, or set LANIAKEA_CHROMIUM)"
        ),
        None => {
            eprintln!(
                "SKIP {test}: no Chromium on this machine (apt-get install chromium); \
                 set LANIAKEA_REQUIRE_BROWSER=1 to make this a failure"
            );
            None
        }
    }
}

struct Browser {
    bin: PathBuf,
    profile: tempfile::TempDir,
}

impl Browser {
    fn command(&self, extra: &[&str], url: &str) -> std::process::Output {
        let out = Command::new(&self.bin)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", self.profile.path().display()))
            // Virtual time waits for pending fetches, so the DOM is the one after the page's
            // data arrived and rendered.
            .arg("--virtual-time-budget=20000")
            .args(extra)
            .arg(url)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin.display()));
        assert!(
            out.status.success(),
            "{} failed on {url}: {}\n{}",
            self.bin.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// The DOM after the page's scripts ran.
    fn dom(&self, url: &str) -> Html {
        let out = self.command(&["--dump-dom"], url);
        Html::parse_document(&String::from_utf8_lossy(&out.stdout))
    }

    /// A PNG screenshot of the page at 1280×900, kept at `path`.
    fn screenshot(&self, url: &str, path: &Path) {
        let _ = std::fs::remove_file(path);
        self.command(
            &[
                &format!("--screenshot={}", path.display()),
                "--window-size=1280,900",
            ],
            url,
        );
        let bytes =
            std::fs::read(path).unwrap_or_else(|e| panic!("no screenshot {}: {e}", path.display()));
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 2_000,
            "{} is not a real PNG screenshot ({} bytes)",
            path.display(),
            bytes.len()
        );
    }
}

fn artifacts() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp: keep the screenshots beside it.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("test-artifacts")
        .join("dashboard");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---- the server -------------------------------------------------------------------------------

struct Server {
    base: String,
    rt: tokio::runtime::Runtime,
    _stop: tokio::sync::oneshot::Sender<()>,
    _scenario_dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let s = dashboard_scenario::build();
        let chain: SharedChain = Arc::new(s.engine);
        let config = ServeConfig {
            names: s.script.names_map(),
            ..ServeConfig::default()
        };
        let pool = SynomePool::new(laniakea_server::sqlite_opener(&s.db_path), 4);
        let state = Arc::new(AppState::new(pool, Some(chain), config).with_history(s.history));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        rt.spawn(laniakea_server::serve(listener, state, async {
            let _ = rx.await;
        }));
        Server {
            base,
            rt,
            _stop: stop,
            _scenario_dir: s.dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET → (status, headers, body).
    fn get(&self, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let url = self.url(path);
        self.rt.block_on(async {
            let r = reqwest::get(&url).await.unwrap();
            let status = r.status().as_u16();
            let headers = r.headers().clone();
            (status, headers, r.text().await.unwrap())
        })
    }

    fn api(&self, path: &str) -> Value {
        let (status, _, body) = self.get(&format!("/api/v1{path}"));
        assert_eq!(status, 200, "GET /api/v1{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }
}

// ---- what a person should see -----------------------------------------------------------------

/// The dashboard's rule for an amount, restated: the exact decimal truncated (never rounded)
/// to `decimals`, grouped in thousands as the CLI groups (`laniakea_units::human`), then the
/// unit; a value whose shown digits are all zero has no sign.
fn people(exact: &str, unit: &str, decimals: usize) -> String {
    let (neg, digits) = match exact.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, exact),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let frac: String = frac
        .chars()
        .chain(std::iter::repeat('0'))
        .take(decimals)
        .collect();
    let zero = int == "0" && frac.chars().all(|c| c == '0');
    let body = if decimals > 0 {
        format!("{int}.{frac}")
    } else {
        int.to_string()
    };
    let sign = if neg && !zero { "-" } else { "" };
    let shown = format!("{sign}{}", human::group_decimal(&body));
    if unit.is_empty() {
        shown
    } else {
        format!("{shown} {unit}")
    }
}

/// The dashboard's rule for a duration, restated.
fn duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if h > 0 {
        format!("{h} h {m:02} min")
    } else if m > 0 {
        format!("{m} min {s:02} s")
    } else {
        format!("{s} s")
    }
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|e| panic!("selector {s}: {e:?}"))
}

fn text(e: ElementRef) -> String {
    e.text().collect::<String>().trim().to_string()
}

struct Page {
    name: &'static str,
    dom: Html,
}

impl Page {
    fn load(b: &Browser, srv: &Server, name: &'static str, path: &str) -> Page {
        let url = srv.url(path);
        let dom = b.dom(&url);
        let view = dom
            .select(&sel("#view"))
            .next()
            .unwrap_or_else(|| panic!("{name}: no #view in the DOM"));
        let state = view.value().attr("data-state").unwrap_or("");
        assert_eq!(
            state,
            "ready",
            "{name} ({path}) did not render: {}",
            text(view)
        );
        b.screenshot(&url, &artifacts().join(format!("{name}.png")));
        Page { name, dom }
    }

    fn figure(&self, name: &str) -> ElementRef<'_> {
        self.dom
            .select(&sel(&format!("[data-figure=\"{name}\"]")))
            .next()
            .unwrap_or_else(|| panic!("{}: no figure {name}", self.name))
    }

    fn figure_text(&self, name: &str) -> String {
        text(self.figure(name))
    }

    /// A figure showing an amount: its text is the people's form, its tooltip the exact value.
    fn amount(&self, name: &str, exact: &Value, unit: &str, decimals: usize) {
        let f = self.figure(name);
        match exact.as_str() {
            Some(x) => {
                let a = f
                    .select(&sel(".amount"))
                    .next()
                    .unwrap_or_else(|| panic!("{}: figure {name} holds no amount", self.name));
                let want_title = if unit.is_empty() {
                    x.to_string()
                } else {
                    format!("{x} {unit}")
                };
                assert_eq!(
                    a.value().attr("title"),
                    Some(want_title.as_str()),
                    "{}: {name} tooltip",
                    self.name
                );
                assert_eq!(
                    text(a),
                    people(x, unit, decimals),
                    "{}: {name} text",
                    self.name
                );
            }
            None => assert_eq!(
                text(f),
                "—",
                "{}: {name} has no value in the API",
                self.name
            ),
        }
    }

    /// Every named chart drew an `<svg>` with at least one data mark.
    fn charts(&self, names: &[&str]) {
        for name in names {
            let fig = self
                .dom
                .select(&sel(&format!("[data-chart=\"{name}\"]")))
                .next()
                .unwrap_or_else(|| panic!("{}: no chart {name}", self.name));
            let marks = fig.select(&sel("svg .mark")).count();
            assert!(
                marks >= 1,
                "{}: chart {name} drew no data mark ({})",
                self.name,
                text(fig)
            );
        }
    }

    /// Cells of the table `data-table=name`, row by row.
    fn table(&self, name: &str) -> Vec<Vec<ElementRef<'_>>> {
        let t = self
            .dom
            .select(&sel(&format!("table[data-table=\"{name}\"]")))
            .next()
            .unwrap_or_else(|| panic!("{}: no table {name}", self.name));
        t.select(&sel("tbody tr"))
            .map(|r| r.select(&sel("td")).collect())
            .collect()
    }
}

/// The amount inside a table cell: (text, tooltip).
fn cell_amount(c: &ElementRef) -> (String, Option<String>) {
    match c.select(&sel(".amount")).next() {
        Some(a) => (text(a), a.value().attr("title").map(str::to_string)),
        None => (text(*c), None),
    }
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

// ---- the test ---------------------------------------------------------------------------------

#[test]
fn every_dashboard_page_shows_the_apis_figures_and_draws_its_charts() {
    let Some(b) =
        chromium_or_skip("every_dashboard_page_shows_the_apis_figures_and_draws_its_charts")
    else {
        return;
    };
    let srv = Server::start();

    // Overview: the clock from the server's "now" (the chain's last block time).
    let o = srv.api("/ui/overview");
    let p = Page::load(&b, &srv, "overview", "/");
    assert_eq!(p.figure_text("current-epoch"), s(&o["current_epoch"]));
    let window = match s(&o["window"]) {
        "processing" => "Processing Window",
        _ => "Active Window",
    };
    assert_eq!(p.figure_text("window"), window);
    assert_eq!(
        p.figure_text("time-to-settlement"),
        duration(o["seconds_to_settlement"].as_u64().unwrap())
    );
    let now = o["now"].as_u64().unwrap();
    assert_eq!(p.figure_text("now"), human::utc(Timestamp(now)));
    let health = srv.api("/health");
    assert_eq!(
        Some(now),
        health["chain"]["block_time"].as_u64(),
        "overview's now is the chain's time"
    );
    for k in ["epochs_settled", "epochs_skipped", "findings_flagged"] {
        assert_eq!(
            p.figure_text(&k.replace('_', "-")),
            o["totals"][k].to_string(),
            "overview {k}"
        );
    }
    let rows = p.table("today");
    let primes = o["today"]["primes"].as_array().unwrap();
    assert_eq!(rows.len(), primes.len());
    assert!(!primes.is_empty(), "the scenario has Primes");
    for (row, api) in rows.iter().zip(primes) {
        assert_eq!(text(row[0]), s(&api["prime"]));
        let (shown, title) = cell_amount(&row[2]);
        let total = s(&api["total_wad"]);
        assert_eq!(title.as_deref(), Some(format!("{total} USDS").as_str()));
        assert_eq!(shown, people(total, "USDS", 2));
        assert_eq!(text(row[5]), s(&api["payment"]));
    }
    p.charts(&["clock", "recent-obligations"]);

    // Primes table.
    let api = srv.api("/ui/primes");
    let list = api["primes"].as_array().unwrap();
    let p = Page::load(&b, &srv, "primes", "/ui/primes");
    assert_eq!(p.figure_text("prime-count"), list.len().to_string());
    let rows = p.table("primes");
    assert_eq!(rows.len(), list.len());
    for (row, a) in rows.iter().zip(list) {
        assert_eq!(text(row[0]), s(&a["prime"]));
        for (col, field) in [
            (2, "debt_legacy_wad"),
            (3, "debt_vault_wad"),
            (7, "paid_wad"),
            (8, "penalties_wad"),
            (9, "forgiven_wad"),
        ] {
            let (shown, title) = cell_amount(&row[col]);
            let x = s(&a[field]);
            assert_eq!(
                title.as_deref(),
                Some(format!("{x} USDS").as_str()),
                "primes {field}"
            );
            assert_eq!(shown, people(x, "USDS", 2), "primes {field}");
        }
    }
    p.charts(&["primes-debt"]);

    // Prime detail of the Prime that paid late (penalty and forgiveness).
    let d = srv.api("/ui/primes/spark");
    let p = Page::load(&b, &srv, "prime-spark", "/ui/primes/spark");
    assert_eq!(p.figure_text("prime"), "spark");
    let last = d["epochs"].as_array().unwrap().last().unwrap().clone();
    p.amount("debt-legacy", &last["debt_legacy_wad"], "USDS", 2);
    p.amount("debt-vault", &last["debt_vault_wad"], "USDS", 2);
    p.amount("paid-total", &d["totals"]["paid_wad"], "USDS", 2);
    p.amount("penalties-total", &d["totals"]["penalties_wad"], "USDS", 2);
    p.amount("forgiven-total", &d["totals"]["forgiven_wad"], "USDS", 2);
    assert!(
        !d["penalties"].as_array().unwrap().is_empty(),
        "spark's late payment is penalised"
    );
    assert_eq!(
        p.table("penalties").len(),
        d["penalties"].as_array().unwrap().len()
    );
    let rows = p.table("prime-epochs");
    let epochs = d["epochs"].as_array().unwrap();
    assert_eq!(rows.len(), epochs.len());
    for (row, e) in rows.iter().zip(epochs) {
        assert_eq!(text(row[0]), s(&e["epoch"]));
        assert_eq!(
            text(row[5]),
            s(&e["payment"]),
            "payment status of {}",
            e["epoch"]
        );
        if let Some(total) = e["total_wad"].as_str() {
            assert_eq!(
                cell_amount(&row[2]),
                (people(total, "USDS", 2), Some(format!("{total} USDS")))
            );
        }
    }
    assert!(
        epochs.iter().any(|e| e["payment"] == "late"),
        "spark's late payment shows as late: {epochs:?}"
    );
    p.charts(&[
        "prime-obligations",
        "prime-debt-location",
        "prime-penalties",
    ]);

    // Generator book over time.
    let g = srv.api("/ui/generator");
    assert!(
        g["points"].as_array().unwrap().len() >= 2,
        "one sample per executed epoch"
    );
    let p = Page::load(&b, &srv, "generator", "/ui/generator");
    for (fig, field) in [
        ("total-assets", "total_assets_wad"),
        ("ilk-debt", "ilk_debt_wad"),
        ("idle-usds", "idle_usds_wad"),
        ("surplus", "surplus_wad"),
        ("shortfall", "shortfall_wad"),
    ] {
        p.amount(fig, &g["latest"][field], "USDS", 2);
    }
    p.charts(&["generator-book", "generator-assets"]);

    // srUSDS.
    let r = srv.api("/ui/srusds");
    let p = Page::load(&b, &srv, "srusds", "/ui/srusds");
    p.amount(
        "exchange-rate",
        &r["latest"]["exchange_rate_wad"],
        "sUSDS per srUSDS",
        6,
    );
    p.amount(
        "holding-susds",
        &r["latest"]["holding_susds_wad"],
        "sUSDS",
        2,
    );
    p.amount(
        "srusds-supply",
        &r["latest"]["srusds_supply_wad"],
        "srUSDS",
        2,
    );
    p.amount("backing-ratio", &r["latest"]["backing_ratio_wad"], "", 4);
    assert_eq!(
        p.table("lcts-settlements").len(),
        r["settlements"].as_array().unwrap().len()
    );
    p.charts(&["srusds-rate", "srusds-backing", "srusds-queues"]);

    // Migration progress.
    let m = srv.api("/ui/migration");
    let p = Page::load(&b, &srv, "migration", "/ui/migration");
    let set: Vec<&str> = m["compatibility_set"]
        .as_array()
        .unwrap()
        .iter()
        .map(s)
        .collect();
    let want = if set.is_empty() {
        "empty".to_string()
    } else {
        set.join(", ")
    };
    assert_eq!(p.figure_text("compatibility-set"), want);
    assert_eq!(
        p.figure_text("migrated"),
        format!(
            "{} of {}",
            m["completed"],
            m["primes"].as_array().unwrap().len()
        )
    );
    assert_eq!(
        p.table("migration-steps").len(),
        m["steps"].as_array().unwrap().len()
    );
    p.charts(&["migration-progress"]);

    // Checker findings, with links to the records they are about.
    let f = srv.api("/ui/findings");
    let p = Page::load(&b, &srv, "findings", "/ui/findings");
    assert_eq!(
        p.figure_text("reports"),
        f["reports"].as_array().unwrap().len().to_string()
    );
    assert_eq!(p.figure_text("findings-ok"), f["ok"].to_string());
    assert_eq!(p.figure_text("findings-flagged"), f["flagged"].to_string());
    p.charts(&["findings-by-epoch"]);
    let links: Vec<String> = p
        .dom
        .select(&sel(
            "table[data-table=\"findings\"] a[href^=\"/ui/records/\"]",
        ))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    let want_links: usize = f["reports"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap())
        .map(|x| 1 + x["records"].as_array().unwrap().len())
        .sum();
    assert_eq!(
        links.len(),
        want_links,
        "one link per report row plus one per related record"
    );
    let related = links
        .iter()
        .find(|l| {
            f["reports"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| !l.ends_with(s(&r["record"])))
        })
        .expect("some finding links to a record it is about");

    // A record's detail view, reached through a finding's link.
    let id = related.trim_start_matches("/ui/records/");
    let rec = srv.api(&format!("/records/{id}"));
    let p = Page::load(&b, &srv, "record", related);
    assert_eq!(p.figure_text("record-id"), s(&rec["id"]));
    assert_eq!(p.figure_text("record-kind"), s(&rec["kind"]));
    assert_eq!(
        p.figure_text("record-epoch"),
        rec["epoch"].as_str().unwrap_or("—")
    );
    assert_eq!(p.figure_text("record-subject"), s(&rec["subject"]));
    let payload: Value = serde_json::from_str(&p.figure_text("payload")).unwrap();
    assert_eq!(
        payload, rec["payload"],
        "the record view shows the stored payload"
    );
}

#[test]
fn a_page_that_cannot_load_its_data_says_which_request_failed() {
    let Some(b) = chromium_or_skip("a_page_that_cannot_load_its_data_says_which_request_failed")
    else {
        return;
    };
    let srv = Server::start();
    let dom = b.dom(&srv.url("/ui/primes/nobody"));
    let view = dom.select(&sel("#view")).next().unwrap();
    assert_eq!(view.value().attr("data-state"), Some("error"));
    let msg = text(view);
    assert!(
        msg.contains("/api/v1/ui/primes/nobody")
            && msg.contains("404")
            && msg.contains("api/unknown-prime"),
        "{msg}"
    );
}

#[test]
fn dashboard_assets_are_served_from_the_binary_under_a_same_origin_policy() {
    // No browser needed: plain HTTP.
    let srv = Server::start();
    for path in ["/", "/ui", "/ui/", "/ui/primes", "/ui/records/0xabc"] {
        let (status, headers, body) = srv.get(path);
        assert_eq!(status, 200, "{path}");
        assert!(
            body.contains("<main id=\"view\""),
            "{path} is the dashboard page"
        );
        let csp = headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
            "{path}: {csp}"
        );
    }
    let (status, headers, body) = srv.get("/ui/static/js/app.js");
    assert_eq!(status, 200);
    assert!(headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(body.contains("data-state") || body.contains("dataset.state"));
    let (status, _, body) = srv.get("/ui/static/js/nothing.js");
    assert_eq!(status, 404);
    assert!(body.contains("ui/no-such-asset"), "{body}");
    // Paths are names in the embedded table, never files: nothing outside it is reachable.
    for path in [
        "/ui/static/../Cargo.toml",
        "/ui/static/%2e%2e/Cargo.toml",
        "/ui/static/js/../../../Cargo.toml",
    ] {
        let (_, _, body) = srv.get(path);
        assert!(!body.contains("[package]"), "{path} leaked a file");
    }
    // Every dashboard endpoint is in the OpenAPI document.
    let doc = srv.api("/openapi.json");
    for p in [
        "/api/v1/ui/overview",
        "/api/v1/ui/primes",
        "/api/v1/ui/primes/{prime}",
        "/api/v1/ui/generator",
        "/api/v1/ui/srusds",
        "/api/v1/ui/migration",
        "/api/v1/ui/findings",
    ] {
        assert!(doc["paths"].get(p).is_some(), "OpenAPI lacks {p}");
    }
}
