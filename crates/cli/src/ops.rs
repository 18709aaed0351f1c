//! Operator commands over a run's database (issue 14 item 6): `calendar`, `runbook` (derived
//! flags), `check`, `report`, `migration`, and the `--db` source of `book`, `limits`, `lcts`.
//!
//! Contract: a run's database is one SQLite file holding the chain journal
//! (`laniakea_journal`) and the Synome. Opening it is read-only: the journal is replayed into a
//! detached engine (every row's hash checked) and the Synome is opened without writing; a
//! missing file is an error and is never created. What the commands need beyond the flags is
//! derived from the database: the deployment start (`run_meta.deployment_start` if the run
//! stored it, else the block time at the end of the genesis), the Primes and their legacy ilks
//! (the Generator registry's `debtLocations`), the addresses (the genesis names). The chain's
//! current block time is "now". Presentation only: every figure is an engine view, a stored
//! Synome record or an operator's read-only recomputation; human output follows
//! `laniakea_units::human` (UTC date-times, exact grouped amounts), `--json` keeps the exact
//! machine forms (Unix seconds, decimal strings).

use alloy_primitives::Address;
use anyhow::{anyhow, bail, Context};
use laniakea_chain::families::generator::{
    DebtLocation, GeneratorAnswer, GeneratorView, MigrationView,
};
use laniakea_chain::{Answer, Chain, Engine, Query};
use laniakea_journal::JournaledChain;
use laniakea_operators::checker::{Checker, Finding};
use laniakea_operators::governance::{self, all_of};
use laniakea_operators::reader::{Deployment, PrimeAccounts};
use laniakea_operators::runbook::{self, Status as StepStatus};
use laniakea_settlement::EpochId;
use laniakea_synome::sqlite::SqliteStore;
use laniakea_synome::{Kind, Role, SignedRecord, Signer, Synome, Writer};
use laniakea_units::human::{self, Align, Table};
use laniakea_units::{Timestamp, Wad};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The `run_meta` key a run may set to name its deployment start (Unix seconds).
pub const META_DEPLOYMENT_START: &str = "deployment_start";

/// A run's database, opened read-only.
pub struct RunDb {
    pub path: PathBuf,
    pub chain: JournaledChain,
    by_address: BTreeMap<Address, String>,
}

impl RunDb {
    /// Replays the chain journal of `path` (never creating the file).
    pub fn open(path: &Path) -> anyhow::Result<RunDb> {
        if !path.is_file() {
            bail!(
                "invalid --db {}: no such file (a run database is created by `laniakea run`; read commands never create one)",
                path.display()
            );
        }
        let chain = JournaledChain::open_read_only(path)
            .map_err(|e| anyhow!("invalid --db {}: {e} [{}]", path.display(), e.code()))?;
        let mut by_address = BTreeMap::new();
        for (n, a) in chain.names() {
            by_address.entry(*a).or_insert_with(|| n.clone());
        }
        Ok(RunDb {
            path: path.to_path_buf(),
            chain,
            by_address,
        })
    }

    /// The run's Synome (the same file).
    pub fn synome(&self) -> anyhow::Result<Synome<SqliteStore>> {
        let p = self
            .path
            .to_str()
            .ok_or_else(|| anyhow!("--db path is not UTF-8"))?;
        let store = SqliteStore::open(p)
            .map_err(|e| anyhow!("invalid --db {p}: it holds no readable Synome: {e}"))?;
        Ok(Synome::new(store))
    }

    pub fn engine(&self) -> &Engine {
        self.chain.engine()
    }

    pub fn now(&self) -> Timestamp {
        self.chain.now()
    }

    /// A genesis name's address.
    pub fn address(&self, name: &str) -> Option<Address> {
        self.chain.address(name)
    }

    /// The genesis name of an address (its hex form if it has none).
    pub fn name_of(&self, a: Address) -> String {
        self.by_address
            .get(&a)
            .cloned()
            .unwrap_or_else(|| a.to_string())
    }

    /// `run_meta.deployment_start`, else the block time at the end of the genesis.
    pub fn deployment_start(&self) -> anyhow::Result<Timestamp> {
        match self.chain.meta_get(META_DEPLOYMENT_START) {
            Some(v) => v.parse().map(Timestamp).map_err(|_| {
                anyhow!(
                    "invalid --db {}: run_meta.{META_DEPLOYMENT_START} '{v}' is not Unix seconds",
                    self.path.display()
                )
            }),
            None => Ok(self.chain.genesis_time()),
        }
    }

    fn need(&self, name: &str) -> anyhow::Result<Address> {
        self.address(name).ok_or_else(|| {
            anyhow!(
                "invalid --db {}: its genesis declares no '{name}' (not a standard system run)",
                self.path.display()
            )
        })
    }

    fn generator(&self, v: GeneratorView) -> anyhow::Result<GeneratorAnswer> {
        let at = self.need("generator")?;
        match self.engine().view(at, &Query::GeneratorRegistry(v)) {
            Ok(Answer::GeneratorRegistry(a)) => Ok(a),
            Ok(other) => Err(anyhow!("unexpected answer {other:?}")),
            Err(r) => Err(anyhow!("generator view: {r} ({})", r.code())),
        }
    }

    /// Every Prime registered with the Generator, with where its debt sits.
    pub fn debt_locations(&self) -> anyhow::Result<Vec<DebtLocation>> {
        match self.generator(GeneratorView::DebtLocations)? {
            GeneratorAnswer::DebtLocations { primes } => Ok(primes),
            a => Err(anyhow!("unexpected answer {a:?}")),
        }
    }

    /// The Primes' names, in the registry's order.
    pub fn primes(&self) -> anyhow::Result<Vec<String>> {
        Ok(self
            .debt_locations()?
            .into_iter()
            .map(|d| d.prime)
            .collect())
    }

    /// The operators' view of the deployment (the system builder's names).
    pub fn deployment(&self) -> anyhow::Result<Deployment> {
        let primes = self
            .debt_locations()?
            .into_iter()
            .map(|d| {
                Ok(PrimeAccounts {
                    legacy_ilk: if d.legacy_ilk.is_empty() {
                        format!("ALLOCATOR-{}-A", d.prime.to_ascii_uppercase())
                    } else {
                        d.legacy_ilk.clone()
                    },
                    alm_proxy: self.need(&format!("{}_proxy", d.prime))?,
                    rate_limits: self.need(&format!("{}_rl", d.prime))?,
                    prime: d.prime,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Deployment {
            vat: self.need("vat")?,
            usds: self.need("usds")?,
            susds: self.need("susds")?,
            generator_proxy: self.need("gen_proxy")?,
            primes,
        })
    }
}

/// `--epoch`, naming the flag on a bad value.
pub fn parse_epoch(flag: &str, v: &str) -> anyhow::Result<EpochId> {
    EpochId::parse(v).map_err(|e| anyhow!("invalid {flag} '{v}': {e} (expected YYYY-MM-DD)"))
}

fn print(text: &str) {
    out!("{text}");
}

fn print_json(v: &impl Serialize) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

// ---- calendar ---------------------------------------------------------------------------------

/// One epoch of the calendar.
#[derive(Debug, Serialize)]
pub struct CalendarLine {
    pub epoch: EpochId,
    pub seq: u64,
    pub lock: Timestamp,
    pub moment: Timestamp,
    /// `None` for a skipped epoch.
    pub window: Option<laniakea_settlement::Window>,
    /// `executed` (every runbook step done), `skipped`, `in-progress`, `overdue`, `pending`.
    pub status: &'static str,
    pub steps_done: usize,
    pub steps: usize,
}

/// Which chain state a command read: the replayed journal.
#[derive(Debug, Serialize)]
pub struct ChainRef {
    /// Journaled transactions (and clock moves).
    pub journal_rows: u64,
    pub journal_head: alloy_primitives::B256,
    pub state_digest: alloy_primitives::B256,
}

impl RunDb {
    pub fn chain_ref(&self) -> ChainRef {
        ChainRef {
            journal_rows: self.chain.len(),
            journal_head: self.chain.head(),
            state_digest: self.chain.digest(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CalendarOut {
    pub chain: ChainRef,
    pub as_of: Timestamp,
    pub deployment_start: Timestamp,
    pub first_epoch: EpochId,
    pub skips: Vec<EpochId>,
    pub epochs: Vec<CalendarLine>,
}

/// `laniakea calendar --db F [--from D] [--days N]`.
pub fn calendar(db: &Path, from: Option<&str>, days: u32, json_out: bool) -> anyhow::Result<()> {
    if days == 0 || days > 3660 {
        bail!("invalid --days {days}: between 1 and 3,660");
    }
    let run = RunDb::open(db)?;
    let mut syn = run.synome()?;
    let start = run.deployment_start()?;
    let now = run.now();
    let primes = run.primes()?;
    let (cal, skips) =
        governance::calendar(&mut syn, start).map_err(|e| anyhow!("{}: {e}", e.code()))?;
    let first = cal.first_epoch();
    let mut d = match from {
        Some(f) => parse_epoch("--from", f)?,
        None => EpochId::date_of(now).map_err(|e| anyhow!("chain time: {e}"))?,
    };
    if d < first {
        if from.is_some() {
            bail!(
                "invalid --from {d}: before the deployment's first epoch {first} (deployment start {})",
                human::utc(start)
            );
        }
        d = first;
    }
    let mut epochs = Vec::new();
    for _ in 0..days {
        let info = cal.info(d).map_err(|e| anyhow!("epoch {d}: {e}"))?;
        let rb = runbook::runbook(&mut syn, start, &primes, d, now)
            .map_err(|e| anyhow!("{}: {e}", e.code()))?;
        let done = rb
            .steps
            .iter()
            .filter(|s| s.status == StepStatus::Done)
            .count();
        let status = if rb.skipped {
            "skipped"
        } else if done == rb.steps.len() {
            "executed"
        } else if rb.steps.iter().any(|s| s.status == StepStatus::Overdue) {
            "overdue"
        } else if done > 0 {
            "in-progress"
        } else {
            "pending"
        };
        epochs.push(CalendarLine {
            epoch: d,
            seq: info.seq,
            lock: info.lock,
            moment: info.moment,
            window: info.window,
            status,
            steps_done: if rb.skipped { 0 } else { done },
            steps: rb.steps.len(),
        });
        d = d.next().map_err(|e| anyhow!("{e}"))?;
    }
    let out = CalendarOut {
        chain: run.chain_ref(),
        as_of: now,
        deployment_start: start,
        first_epoch: first,
        skips,
        epochs,
    };
    if json_out {
        return print_json(&out);
    }
    let mut t = Table::new(&[
        ("epoch", Align::Left),
        ("seq", Align::Right),
        ("measurement window", Align::Left),
        ("Processing Window", Align::Left),
        ("status", Align::Left),
        ("runbook", Align::Right),
    ]);
    for l in &out.epochs {
        t.row(vec![
            l.epoch.to_string(),
            human::count(l.seq),
            match l.window {
                Some(w) => format!("{} → {}", human::utc(w.start), human::utc(w.end)),
                None => "— (skipped: measured by the next executed epoch)".into(),
            },
            format!(
                "{} → {}",
                human::utc(l.lock),
                human::utc(l.moment).trim_start_matches(&format!("{} ", l.epoch))
            ),
            l.status.to_string(),
            if l.status == "skipped" {
                "—".into()
            } else {
                format!("{}/{} done", l.steps_done, l.steps)
            },
        ]);
    }
    print(&format!(
        "Settlement calendar of {} as of {} (deployment start {}, first epoch {})\nchain: {} journal rows, state digest {}\n{}skips: {}\n",
        run.path.display(),
        human::utc(now),
        human::utc(start),
        first,
        human::count(out.chain.journal_rows),
        out.chain.state_digest,
        t.render(),
        if out.skips.is_empty() {
            "none".to_string()
        } else {
            out.skips
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
    Ok(())
}

// ---- runbook ----------------------------------------------------------------------------------

/// What `laniakea runbook --db F` derives when `--at`, `--deployment-start` or `--prime` is not
/// given: the chain's time, the deployment start and the registered Primes.
pub struct RunbookDefaults {
    pub at: Timestamp,
    pub deployment_start: Timestamp,
    pub primes: Vec<String>,
}

pub fn runbook_defaults(db: &Path) -> anyhow::Result<RunbookDefaults> {
    let run = RunDb::open(db).context(
        "without --at, --deployment-start and --prime the runbook derives them from a run database",
    )?;
    Ok(RunbookDefaults {
        at: run.now(),
        deployment_start: run.deployment_start()?,
        primes: run.primes()?,
    })
}

// ---- check ------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct StoredReport {
    pub id: String,
    pub author: Address,
    pub created_at: Timestamp,
    pub findings: Vec<Value>,
}

#[derive(Debug, Serialize)]
pub struct CheckOut {
    pub epoch: EpochId,
    pub as_of: Timestamp,
    pub stored: Vec<StoredReport>,
    /// Per status code: how many findings (over the stored reports, or the recomputation).
    pub by_status: BTreeMap<String, usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recomputed: Option<Vec<Value>>,
    /// Whether the recomputed findings equal the latest stored report's (as a set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recomputed_matches_stored: Option<bool>,
    /// When they differ: findings only in the latest stored report, and only in the
    /// recomputation (a report is judged at its time; the chain may have moved on since, e.g. a
    /// late payment turns `missing` into `late`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub only_stored: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub only_recomputed: Vec<Value>,
}

fn finding_json(f: &Finding) -> Value {
    let status: &'static str = f.status.into();
    json!({"check": f.check, "status": status, "subject": f.subject, "detail": f.evidence})
}

/// `laniakea check --db F --epoch D [--recompute]`.
pub fn check(db: &Path, epoch: &str, recompute: bool, json_out: bool) -> anyhow::Result<()> {
    let epoch = parse_epoch("--epoch", epoch)?;
    let run = RunDb::open(db)?;
    let mut syn = run.synome()?;
    let stored: Vec<StoredReport> = all_of(&mut syn, Kind::VerificationReport, Some(epoch))?
        .into_iter()
        .map(|r| StoredReport {
            id: r.id.to_string(),
            author: r.content.author,
            created_at: r.content.created_at,
            findings: r.content.payload["findings"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    let recomputed = if recompute {
        let checker = Checker {
            deployment_start: run.deployment_start()?,
            deployment: run.deployment()?,
            // `check` only reads; the writer is never used.
            writer: Writer::new(Signer::demo("lpla-checker"), Role::Checker),
        };
        let fs = checker
            .check(&run.chain as &dyn Chain, &mut syn, epoch)
            .map_err(|e| anyhow!("{}: {e}", e.code()))?;
        Some(fs.iter().map(finding_json).collect::<Vec<_>>())
    } else {
        None
    };
    let counted: Vec<&Value> = match &recomputed {
        Some(r) => r.iter().collect(),
        None => stored.iter().flat_map(|s| s.findings.iter()).collect(),
    };
    let mut by_status = BTreeMap::new();
    for f in &counted {
        *by_status
            .entry(f["status"].as_str().unwrap_or("?").to_string())
            .or_insert(0) += 1;
    }
    // The same findings as a set: their order follows the deployment's Prime order, which a
    // run and this replay need not share.
    let sorted = |v: &[Value]| {
        let mut k: Vec<String> = v.iter().map(|f| f.to_string()).collect();
        k.sort();
        k
    };
    let matches = recomputed
        .as_ref()
        .and_then(|r| stored.last().map(|s| sorted(&s.findings) == sorted(r)));
    let (mut only_stored, mut only_recomputed) = (Vec::new(), Vec::new());
    if let (Some(r), Some(s), Some(false)) = (&recomputed, stored.last(), matches) {
        only_stored = s
            .findings
            .iter()
            .filter(|f| !r.contains(f))
            .cloned()
            .collect();
        only_recomputed = r
            .iter()
            .filter(|f| !s.findings.contains(f))
            .cloned()
            .collect();
    }
    let out = CheckOut {
        epoch,
        as_of: run.now(),
        stored,
        by_status,
        recomputed,
        recomputed_matches_stored: matches,
        only_stored,
        only_recomputed,
    };
    if json_out {
        return print_json(&out);
    }
    let mut text = format!(
        "lpla-checker verification of epoch {} as of {}\n",
        epoch,
        human::utc(out.as_of)
    );
    if out.stored.is_empty() {
        text.push_str("stored reports: none\n");
    }
    for s in &out.stored {
        text.push_str(&format!(
            "stored report {} by {} at {}: {} finding(s)\n",
            s.id,
            run.name_of(s.author),
            human::utc(s.created_at),
            s.findings.len()
        ));
    }
    let table = |fs: &[&Value]| {
        let mut t = Table::new(&[
            ("status", Align::Left),
            ("check", Align::Left),
            ("subject", Align::Left),
            ("evidence", Align::Left),
        ]);
        let mut sorted: Vec<&&Value> = fs.iter().collect();
        // Problems first (by code), then the ok findings; store order within a code.
        sorted.sort_by_key(|f| {
            let s = f["status"].as_str().unwrap_or("");
            (s == "ok", s.to_string())
        });
        for f in sorted {
            t.row(
                ["status", "check", "subject", "detail"]
                    .iter()
                    .map(|k| f[*k].as_str().unwrap_or("").to_string())
                    .collect(),
            );
        }
        t.render()
    };
    match &out.recomputed {
        Some(r) => {
            text.push_str(&format!(
                "recomputed now (read-only): {}\n",
                match out.recomputed_matches_stored {
                    Some(true) => "identical to the latest stored report",
                    Some(false) => "DIFFERS from the latest stored report",
                    None => "no stored report to compare with",
                }
            ));
            text.push_str(&table(&r.iter().collect::<Vec<_>>()));
            if !out.only_stored.is_empty() || !out.only_recomputed.is_empty() {
                text.push_str("only in the stored report (as judged then):\n");
                text.push_str(&table(&out.only_stored.iter().collect::<Vec<_>>()));
                text.push_str("only in the recomputation (as judged now):\n");
                text.push_str(&table(&out.only_recomputed.iter().collect::<Vec<_>>()));
            }
        }
        None => {
            if let Some(s) = out.stored.last() {
                text.push_str(&table(&s.findings.iter().collect::<Vec<_>>()));
            }
        }
    }
    let counts: Vec<String> = out
        .by_status
        .iter()
        .map(|(k, n)| format!("{k} {}", human::count(*n as u64)))
        .collect();
    text.push_str(&format!(
        "findings by code: {}\n",
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        }
    ));
    print(&text);
    Ok(())
}

// ---- report -----------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct PrimeReportOut {
    pub prime: String,
    pub id: String,
    pub created_at: Timestamp,
    pub summary: Value,
}

/// A summary value for people: `*_wad` amounts grouped, instants as UTC.
fn human_value(key: &str, v: &Value) -> String {
    match v {
        Value::String(s) if key.ends_with("_wad") => human::group_decimal(s),
        Value::String(s) => s.clone(),
        Value::Number(n) if key.ends_with("_start") || key.ends_with("_at") => n
            .as_u64()
            .map(|t| human::utc(Timestamp(t)))
            .unwrap_or_else(|| n.to_string()),
        Value::Number(n) => n.to_string(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// `laniakea report --db F --epoch D [--prime P]`: the stored lpha-report summaries.
pub fn report(db: &Path, epoch: &str, prime: Option<&str>, json_out: bool) -> anyhow::Result<()> {
    let epoch = parse_epoch("--epoch", epoch)?;
    let run = RunDb::open(db)?;
    let primes = run.primes()?;
    if let Some(p) = prime {
        if !primes.iter().any(|x| x == p) {
            bail!(
                "invalid --prime '{p}': not a Prime of this run ({})",
                primes.join(", ")
            );
        }
    }
    let mut syn = run.synome()?;
    let recs: Vec<SignedRecord> = all_of(&mut syn, Kind::PrimeReport, Some(epoch))?;
    let mut out: Vec<PrimeReportOut> = recs
        .into_iter()
        .filter_map(|r| {
            let p = r.content.payload["prime"].as_str()?.to_string();
            Some(PrimeReportOut {
                prime: p,
                id: r.id.to_string(),
                created_at: r.content.created_at,
                summary: r.content.payload["summary"].clone(),
            })
        })
        .filter(|r| prime.is_none_or(|p| p == r.prime))
        .collect();
    out.sort_by(|a, b| a.prime.cmp(&b.prime).then(a.created_at.cmp(&b.created_at)));
    if json_out {
        return print_json(&json!({"epoch": epoch, "as_of": run.now(), "reports": out}));
    }
    let mut text = format!(
        "lpha-report Prime reports for epoch {} as of {}\n",
        epoch,
        human::utc(run.now())
    );
    if out.is_empty() {
        text.push_str("none stored (reports are written after the Moment of Settlement)\n");
    }
    for r in &out {
        text.push_str(&format!(
            "\nPrime {} (record {} at {})\n",
            r.prime,
            r.id,
            human::utc(r.created_at)
        ));
        let mut t = Table::new(&[("", Align::Left), ("value", Align::Right)]);
        if let Value::Object(m) = &r.summary {
            for (k, v) in m {
                t.row(vec![k.clone(), human_value(k, v)]);
            }
        }
        text.push_str(&t.render());
    }
    print(&text);
    Ok(())
}

// ---- migration --------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct MigrationLine {
    /// Where the debt sits (`migration`: `none` or the status).
    #[serde(flatten)]
    pub debt: DebtLocation,
    /// The registry's migration view (plan, tranches done, moved).
    pub detail: MigrationView,
}

/// `laniakea migration --db F`: per Prime, legacy vs vault debt and the migration plan's
/// phase; the temporary compatibility set.
pub fn migration(db: &Path, json_out: bool) -> anyhow::Result<()> {
    let run = RunDb::open(db)?;
    let mut lines = Vec::new();
    for d in run.debt_locations()? {
        let m = match run.generator(GeneratorView::Migration {
            prime: d.prime.clone(),
        })? {
            GeneratorAnswer::Migration(m) => m,
            a => bail!("unexpected answer {a:?}"),
        };
        lines.push(MigrationLine { debt: d, detail: m });
    }
    let compat = match run.generator(GeneratorView::CompatibilitySet)? {
        GeneratorAnswer::CompatibilitySet { ilks } => ilks,
        a => bail!("unexpected answer {a:?}"),
    };
    if json_out {
        return print_json(&json!({
            "block_time": run.now(),
            "primes": lines,
            "compatibility_set": compat,
        }));
    }
    let wad = |w: Wad| human::amount(w.raw(), Wad::DECIMALS);
    let mut t = Table::new(&[
        ("prime", Align::Left),
        ("legacy ilk", Align::Left),
        ("legacy debt USDS", Align::Right),
        ("vault principal USDS", Align::Right),
        ("total USDS", Align::Right),
        ("migration", Align::Left),
        ("phase", Align::Left),
        ("moved USDS", Align::Right),
    ]);
    for l in &lines {
        let m = &l.detail;
        let phase = match &m.plan {
            None => "no plan".to_string(),
            Some(p) => format!(
                "tranche {} of {}, cutover {}",
                m.tranches_done,
                p.tranches.len(),
                human::utc(p.cutover_at)
            ),
        };
        t.row(vec![
            l.debt.prime.clone(),
            if l.debt.legacy_ilk.is_empty() {
                "-".into()
            } else {
                l.debt.legacy_ilk.clone()
            },
            wad(l.debt.legacy_debt_wad),
            wad(l.debt.vault_principal_wad),
            wad(l.debt.total_wad),
            m.status.to_string(),
            phase,
            wad(m.moved_wad),
        ]);
    }
    let mut text = format!(
        "Migration status at {}\n{}",
        human::utc(run.now()),
        t.render()
    );
    for l in &lines {
        if let Some(p) = &l.detail.plan {
            text.push_str(&format!(
                "\nplan of {}: tranches {}; min idle {} bps; draw limit {}; buffer schedule {}\n",
                l.debt.prime,
                p.tranches
                    .iter()
                    .map(|w| wad(*w))
                    .collect::<Vec<_>>()
                    .join(" + "),
                human::count(u64::from(p.min_idle_bps)),
                match &p.draw_limit {
                    Some(lim) => format!("max {} slope {}/s", wad(lim.max_amount), wad(lim.slope)),
                    None => "none".into(),
                },
                if p.buffer_schedule.is_empty() {
                    "none".to_string()
                } else {
                    p.buffer_schedule
                        .iter()
                        .map(|w| wad(*w))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
        }
    }
    text.push_str(&format!(
        "\nTemporary compatibility set: {}\n",
        if compat.is_empty() {
            "(empty)".to_string()
        } else {
            compat.join(", ")
        }
    ));
    print(&text);
    Ok(())
}

// ---- the source of book / limits / lcts -------------------------------------------------------

/// Where `book`, `limits` and `lcts` read the final state from: a script run on a fresh engine,
/// or a run's database.
pub enum Source {
    Script {
        script: Box<laniakea_chain::script::Script>,
        engine: Box<Engine>,
    },
    Db(Box<RunDb>),
}

impl Source {
    /// Exactly one of a script path and `--db`.
    pub fn open(script: Option<&Path>, db: Option<&Path>) -> anyhow::Result<Source> {
        match (script, db) {
            (Some(p), None) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read script {}", p.display()))?;
                let parsed = laniakea_chain::script::parse(&text)
                    .with_context(|| format!("invalid script {}", p.display()))?;
                let mut engine = Engine::new(parsed.genesis());
                parsed.run_on(&mut engine);
                Ok(Source::Script {
                    script: Box::new(parsed),
                    engine: Box::new(engine),
                })
            }
            (None, Some(d)) => Ok(Source::Db(Box::new(RunDb::open(d)?))),
            (Some(_), Some(_)) => bail!("give a script or --db, not both"),
            (None, None) => bail!("give a script file or --db RUN_DB"),
        }
    }

    pub fn engine(&self) -> &Engine {
        match self {
            Source::Script { engine, .. } => engine,
            Source::Db(r) => r.engine(),
        }
    }

    pub fn address(&self, name: &str) -> Option<Address> {
        match self {
            Source::Script { script, .. } => script.address(name),
            Source::Db(r) => r.address(name),
        }
    }

    pub fn name_of(&self, a: Address) -> String {
        match self {
            Source::Script { script, .. } => script.name_of(a),
            Source::Db(r) => r.name_of(a),
        }
    }

    /// What the names come from, for error messages (`the script` / `the run database`).
    pub fn what(&self) -> &'static str {
        match self {
            Source::Script { .. } => "the script",
            Source::Db(_) => "the run database",
        }
    }
}

// ---- rate limits of every PAU -----------------------------------------------------------------

/// One rate limit of a PAU.
#[derive(Debug, Serialize)]
pub struct LimitLine {
    pub key: alloy_primitives::B256,
    /// `LIMIT_…` or `LIMIT_…⊕name[⊕name]` when the key is one the genesis names explain.
    pub name: String,
    /// `2^256−1` = unlimited.
    pub max_amount_wad: Wad,
    pub slope_wad_per_s: Wad,
    pub last_amount_wad: Wad,
    pub last_updated: Timestamp,
    /// What can be used now (`currentRateLimit`).
    pub headroom_wad: Wad,
}

#[derive(Debug, Serialize)]
pub struct PauLimits {
    pub pau: String,
    pub rate_limits: Address,
    pub limits: Vec<LimitLine>,
}

/// Labels of every key the genesis names can form (base ids, per-address and per-pair keys).
fn key_labels(run: &RunDb) -> BTreeMap<alloy_primitives::B256, String> {
    use laniakea_chain::rate_limits::{address_key, address_pair_key, limit_id, names};
    let bases = [
        names::USDS_MINT,
        names::DEPOSIT_4626,
        names::WITHDRAW_4626,
        names::ASSET_TRANSFER,
        names::VAULT_DRAW,
        names::VAULT_REPAY,
    ];
    let mut out = BTreeMap::new();
    let usds = run.address("usds");
    for n in bases {
        let id = limit_id(n);
        out.insert(id, n.to_string());
        for (name, a) in run.chain.names() {
            out.entry(address_key(id, *a))
                .or_insert_with(|| format!("{n}⊕{name}"));
            if let (Some(u), true) = (usds, n == names::ASSET_TRANSFER) {
                out.entry(address_pair_key(id, u, *a))
                    .or_insert_with(|| format!("{n}⊕usds⊕{name}"));
            }
        }
    }
    out
}

/// Every PAU's rate limits (the Generator's, then each Prime's): every key its RateLimits
/// contract ever set (from the event log), with the current data and headroom.
pub fn pau_limits(run: &RunDb) -> anyhow::Result<Vec<PauLimits>> {
    use laniakea_chain::families::rate_limits::{
        RateLimitsAnswer, RateLimitsEvent, RateLimitsView,
    };
    use laniakea_chain::EventKind;
    let labels = key_labels(run);
    let mut paus = vec!["gen".to_string()];
    paus.extend(run.primes()?);
    let log = run.chain.events_since(0);
    let mut out = Vec::new();
    for p in paus {
        let rl = run.need(&format!("{p}_rl"))?;
        let mut keys: Vec<alloy_primitives::B256> = Vec::new();
        for ev in log.iter().filter(|e| e.contract == rl) {
            if let EventKind::RateLimits(RateLimitsEvent::RateLimitDataSet { key, .. }) = &ev.kind {
                if !keys.contains(key) {
                    keys.push(*key);
                }
            }
        }
        let mut limits = Vec::new();
        for key in keys {
            let ask = |v: RateLimitsView| match run.engine().view(rl, &Query::RateLimits(v)) {
                Ok(Answer::RateLimits(a)) => Ok(a),
                Ok(other) => Err(anyhow!("unexpected answer {other:?}")),
                Err(r) => Err(anyhow!("rate limits {p}_rl: {r} ({})", r.code())),
            };
            let key_arg = laniakea_chain::call::Key(key);
            let RateLimitsAnswer::Data {
                max_amount,
                slope,
                last_amount,
                last_updated,
            } = ask(RateLimitsView::RateLimitData { key: key_arg })?
            else {
                bail!("unexpected answer to getRateLimitData");
            };
            let RateLimitsAnswer::Current { current_rate_limit } =
                ask(RateLimitsView::CurrentRateLimit { key: key_arg })?
            else {
                bail!("unexpected answer to getCurrentRateLimit");
            };
            limits.push(LimitLine {
                key,
                name: labels.get(&key).cloned().unwrap_or_else(|| key.to_string()),
                max_amount_wad: max_amount,
                slope_wad_per_s: slope,
                last_amount_wad: last_amount,
                last_updated,
                headroom_wad: current_rate_limit,
            });
        }
        out.push(PauLimits {
            pau: p,
            rate_limits: rl,
            limits,
        });
    }
    Ok(out)
}

/// `laniakea limits --db F` without `--configurator`: every PAU's rate limits with headroom.
pub fn limits(db: &Path, json_out: bool) -> anyhow::Result<()> {
    let run = RunDb::open(db)?;
    let paus = pau_limits(&run)?;
    if json_out {
        return print_json(&json!({"block_time": run.now(), "paus": paus}));
    }
    let amount = |w: Wad| {
        if w == Wad::MAX {
            "unlimited".to_string()
        } else {
            human::amount(w.raw(), Wad::DECIMALS)
        }
    };
    let mut text = format!("Rate limits of every PAU at {}\n", human::utc(run.now()));
    for p in &paus {
        text.push_str(&format!("\nPAU {} ({}_rl)\n", p.pau, p.pau));
        let mut t = Table::new(&[
            ("key", Align::Left),
            ("max amount", Align::Right),
            ("slope /s", Align::Right),
            ("headroom", Align::Right),
            ("last updated", Align::Left),
        ]);
        for l in &p.limits {
            t.row(vec![
                l.name.clone(),
                amount(l.max_amount_wad),
                amount(l.slope_wad_per_s),
                amount(l.headroom_wad),
                human::utc(l.last_updated),
            ]);
        }
        text.push_str(&t.render());
    }
    text.push_str("amounts exact, in the limited token's units\n");
    print(&text);
    Ok(())
}
