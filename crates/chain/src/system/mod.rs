//! The system builder: a plain [`SystemConfig`] → a whole standard system on a fresh engine.
//!
//! Contract: [`SystemConfig::script_lines`] turns the config into ordinary transaction-script
//! lines (deploys, role grants, rate limits, legacy debt) that name every contract by a fixed
//! scheme (below); [`build`] validates the config, runs those lines on a fresh engine and returns
//! the engine with a typed address book ([`System`]). The script form is one line
//! `{"system": {…config…}}`, expanded by the script parser into exactly the same lines, so Rust,
//! scripts and the scenario runner share one builder. A bad config is a [`ConfigError`] naming
//! the field (nothing runs); a setup line that reverts is a [`BuildError::Setup`] naming the line.
//!
//! Extending: the build is the ordered list [`STEPS`]; a new family (Configurator, LCTS) adds one
//! step function there (and, if it needs settings, one optional field in [`SystemConfig`]).
//!
//! Names: accounts `admin` (governance: ADMIN/ward of everything), `freezer`, `vow`, `surplus`,
//! `holding`, `gen_relayer`, `<prime>_relayer`; contracts `usds`, `vat`, `jug`, `join`, `susds`,
//! the Generator's `gen_vault` (+ `gen_vault.buffer`), `gen_rl`, `gen_proxy`, `gen_ctrl`, and per
//! Prime `<prime>_rl`, `<prime>_proxy`, `<prime>_ctrl`, `<prime>_pv` (its Prime vault) and, with a
//! legacy ilk, `<prime>_vault` (+ `.buffer`); the Generator registry `generator` (book,
//! liquidity buffer, migration); unless `scopes` is `null`, the Configurator scopes
//! `gen_timelock`, `gen_state`, `gen_cfg` (GovOps `gen_govops`) and `main_timelock`,
//! `main_state`, `main_cfg` (GovOps `main_govops`).

use crate::engine::Engine;
use crate::script::{self, ScriptError};
use alloy_primitives::Address;
use laniakea_units::{Rad, Ray, Timestamp, Wad, U256};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

/// One rate limit: `max_amount` (`Wad::MAX` = unlimited) refilled at `slope` per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub max_amount: Wad,
    pub slope: Wad,
}

impl Limit {
    pub const UNLIMITED: Limit = Limit {
        max_amount: Wad::MAX,
        slope: Wad::ZERO,
    };
    /// `max` whole USDS, refilled at `per_s` whole USDS per second.
    pub fn whole(max: u64, per_s: u64) -> Limit {
        Limit {
            max_amount: Wad::from_raw(U256::from(max) * laniakea_units::WAD),
            slope: Wad::from_raw(U256::from(per_s) * laniakea_units::WAD),
        }
    }
}

impl Default for Limit {
    fn default() -> Self {
        Limit::UNLIMITED
    }
}

/// The whole standard system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemConfig {
    /// Vat `Line` [rad, whole units].
    #[serde(default = "default_vat_line")]
    pub vat_line: Rad,
    /// sUSDS savings rate per second (1 = 0%).
    #[serde(default = "default_ssr")]
    pub ssr: Ray,
    #[serde(default)]
    pub generator: GeneratorConfig,
    #[serde(default)]
    pub primes: Vec<PrimeConfig>,
    /// The two Configurator scopes (Generator, Mainnet), deployed by default (SPEC §4.10; absent
    /// = the defaults). `null` builds without them: a test or tool that changes PAU limits and
    /// roles directly as `admin` (once a scope manages a PAU only its Configurator may; see
    /// `docs/architecture.md`, "The system builder and the Configurator scopes").
    #[serde(default = "default_scopes")]
    pub scopes: Option<ScopesConfig>,
}

/// The Configurator scopes' settings (defaults: SPEC §4.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopesConfig {
    /// the BEAMTimeLock delay [s] (default 14 days)
    #[serde(default = "default_delay_s")]
    pub delay_s: u64,
    /// SORL hop [s] (default 18 h)
    #[serde(default = "default_hop_s")]
    pub hop_s: u64,
    /// SORL maxChange [bps] (default 2500)
    #[serde(default = "default_max_change_bps")]
    pub max_change_bps: u64,
}

fn default_delay_s() -> u64 {
    crate::families::beam_timelock::DEFAULT_DELAY_S
}
fn default_hop_s() -> u64 {
    crate::families::beam_state::DEFAULT_HOP_S
}
fn default_max_change_bps() -> u64 {
    crate::families::beam_state::DEFAULT_MAX_CHANGE_BPS
}

fn default_scopes() -> Option<ScopesConfig> {
    Some(ScopesConfig::default())
}

impl Default for ScopesConfig {
    fn default() -> Self {
        ScopesConfig {
            delay_s: default_delay_s(),
            hop_s: default_hop_s(),
            max_change_bps: default_max_change_bps(),
        }
    }
}

/// The Generator: its ilk, ilk vault and PAU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorConfig {
    #[serde(default = "default_gen_ilk")]
    pub ilk: String,
    /// the Generator ilk's `line` [rad, whole units]
    #[serde(default = "default_gen_line")]
    pub line: Rad,
    /// `LIMIT_USDS_MINT`
    #[serde(default)]
    pub mint_limit: Limit,
    /// `LIMIT_ASSET_TRANSFER⊕usds⊕{holding, surplus, each Prime proxy}`
    #[serde(default)]
    pub transfer_limit: Limit,
    /// max exchange rate set for every Prime vault: `max_expected_assets` per 1 share
    #[serde(default = "default_max_rate")]
    pub max_assets_per_share: Wad,
}

/// One Prime: PAU, Prime vault, optional legacy ilk with debt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrimeConfig {
    /// lower-case letters and digits, 1–10 characters (names `<name>_ctrl`, …)
    pub name: String,
    #[serde(default)]
    pub decimals_offset: u8,
    #[serde(default)]
    pub min_idle_bps: u16,
    /// Generator side `LIMIT_4626_DEPOSIT⊕vault`
    #[serde(default)]
    pub deposit_limit: Limit,
    /// Generator side `LIMIT_4626_WITHDRAW⊕vault`
    #[serde(default)]
    pub withdraw_limit: Limit,
    /// Prime side `LIMIT_VAULT_DRAW⊕vault`
    #[serde(default)]
    pub draw_limit: Limit,
    /// Prime side `LIMIT_VAULT_REPAY⊕vault`
    #[serde(default)]
    pub repay_limit: Limit,
    /// Prime side `LIMIT_ASSET_TRANSFER⊕usds⊕gen_proxy` (settlement payments)
    #[serde(default)]
    pub transfer_limit: Limit,
    #[serde(default)]
    pub legacy: Option<LegacyConfig>,
}

/// A legacy per-Prime ilk (`ALLOCATOR-<NAME>-A`) with its ilk vault and existing debt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyConfig {
    /// default `ALLOCATOR-<NAME>-A`
    #[serde(default)]
    pub ilk: Option<String>,
    /// its `line` [rad, whole units]
    pub line: Rad,
    /// debt minted to the Prime's proxy at build time [wad]
    #[serde(default)]
    pub debt: Wad,
}

fn default_vat_line() -> Rad {
    Rad::from_raw(U256::from(10u64).pow(U256::from(10u8)) * crate_rad())
}
fn crate_rad() -> U256 {
    laniakea_units::math::RAD
}
fn default_ssr() -> Ray {
    Ray::from_raw(laniakea_units::RAY)
}
fn default_gen_ilk() -> String {
    "GEN-USDS-A".into()
}
fn default_gen_line() -> Rad {
    Rad::from_raw(U256::from(10u64).pow(U256::from(9u8)) * crate_rad())
}
fn default_max_rate() -> Wad {
    Wad::from_raw(U256::from(11u8) * laniakea_units::WAD / U256::from(10u8))
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            ilk: default_gen_ilk(),
            line: default_gen_line(),
            mint_limit: Limit::UNLIMITED,
            transfer_limit: Limit::UNLIMITED,
            max_assets_per_share: default_max_rate(),
        }
    }
}

impl Default for SystemConfig {
    fn default() -> Self {
        SystemConfig {
            vat_line: default_vat_line(),
            ssr: default_ssr(),
            generator: GeneratorConfig::default(),
            primes: Vec::new(),
            scopes: default_scopes(),
        }
    }
}

impl PrimeConfig {
    /// A Prime with default (unlimited) limits and no legacy ilk.
    pub fn new(name: &str) -> PrimeConfig {
        PrimeConfig {
            name: name.into(),
            decimals_offset: 0,
            min_idle_bps: 0,
            deposit_limit: Limit::UNLIMITED,
            withdraw_limit: Limit::UNLIMITED,
            draw_limit: Limit::UNLIMITED,
            repay_limit: Limit::UNLIMITED,
            transfer_limit: Limit::UNLIMITED,
            legacy: None,
        }
    }

    /// The legacy ilk's name (`ALLOCATOR-<NAME>-A` unless configured).
    pub fn legacy_ilk(&self) -> Option<String> {
        self.legacy.as_ref().map(|l| {
            l.ilk
                .clone()
                .unwrap_or_else(|| format!("ALLOCATOR-{}-A", self.name.to_ascii_uppercase()))
        })
    }
}

/// A config that cannot describe a system: the field at fault and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("system config, field `{field}`: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

/// Why [`build`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("system script: {0}")]
    Script(#[from] ScriptError),
    /// A setup transaction reverted (e.g. legacy debt above its line): line, code, reason.
    #[error("system setup line {line} reverted {code}: {reason}")]
    Setup {
        line: usize,
        code: String,
        reason: String,
    },
}

fn cfg_err(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        message: message.into(),
    }
}

impl SystemConfig {
    /// Checks every rule a config must meet (names, ilks, bps, offsets, debt within line).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if crate::families::vat::ilk_id(&self.generator.ilk).is_none() {
            return Err(cfg_err("generator.ilk", "not an ilk name (1–32 ASCII)"));
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut ilks = std::collections::BTreeSet::from([self.generator.ilk.clone()]);
        for (i, p) in self.primes.iter().enumerate() {
            let f = |x: &str| format!("primes[{i}].{x}");
            if p.name.is_empty()
                || p.name.len() > 10
                || !p
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                || p.name == "gen"
            {
                return Err(cfg_err(
                    f("name"),
                    format!(
                        "'{}' is not a Prime name (1–10 lower-case letters/digits, not 'gen')",
                        p.name
                    ),
                ));
            }
            if !seen.insert(p.name.clone()) {
                return Err(cfg_err(f("name"), format!("'{}' appears twice", p.name)));
            }
            if p.decimals_offset > crate::families::prime_vault::MAX_DECIMALS_OFFSET {
                return Err(cfg_err(f("decimals_offset"), "above the maximum 18"));
            }
            if p.min_idle_bps > crate::families::prime_vault::BPS {
                return Err(cfg_err(f("min_idle_bps"), "above 10000"));
            }
            if let (Some(l), Some(ilk)) = (&p.legacy, p.legacy_ilk()) {
                if crate::families::vat::ilk_id(&ilk).is_none() {
                    return Err(cfg_err(f("legacy.ilk"), "not an ilk name (1–32 ASCII)"));
                }
                if !ilks.insert(ilk.clone()) {
                    return Err(cfg_err(
                        f("legacy.ilk"),
                        format!("ilk '{ilk}' is used twice"),
                    ));
                }
                let debt_rad = l.debt.raw().checked_mul(laniakea_units::RAY);
                if debt_rad.is_none_or(|d| d > l.line.raw()) {
                    return Err(cfg_err(
                        f("legacy.debt"),
                        format!("debt {} is above the line {}", l.debt, l.line),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The transaction-script lines that build this system (names: see the module doc). The
    /// first line has no `at`: it runs at the script's current time.
    pub fn script_lines(&self) -> Vec<Json> {
        let mut out = Lines::default();
        for step in STEPS {
            step(self, &mut out);
        }
        out.0
    }

    /// All names the built system declares as accounts (test accounts derived from the name).
    pub fn account_names(&self) -> Vec<String> {
        let mut v: Vec<String> = [
            "admin",
            "freezer",
            "vow",
            "surplus",
            "holding",
            "gen_relayer",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(self.primes.iter().map(|p| format!("{}_relayer", p.name)));
        if self.scopes.is_some() {
            v.extend(["gen_govops".to_string(), "main_govops".to_string()]);
        }
        v
    }
}

/// Lines under construction.
#[derive(Default)]
pub struct Lines(pub Vec<Json>);

impl Lines {
    /// A transaction by `admin`.
    pub fn admin(&mut self, to: &str, f: &str, args: Json) {
        self.0
            .push(json!({"from": "admin", "to": to, "fn": f, "args": args}));
    }
    /// A transaction by any sender.
    pub fn tx(&mut self, from: &str, to: &str, f: &str, args: Json) {
        self.0
            .push(json!({"from": from, "to": to, "fn": f, "args": args}));
    }
    /// A deployment by `admin`.
    pub fn deploy(&mut self, kind: &str, mut fields: Json, alias: &str) {
        if let Some(m) = fields.as_object_mut() {
            m.insert("kind".into(), json!(kind));
        }
        self.0
            .push(json!({"from": "admin", "deploy": fields, "as": alias}));
    }
    /// Sets `key` on `rl` to `limit` (unlimited → `setUnlimitedRateLimitData`).
    pub fn limit(&mut self, rl: &str, key: Json, limit: &Limit) {
        if limit.max_amount == Wad::MAX {
            self.admin(rl, "setUnlimitedRateLimitData", json!({"key": key}));
        } else {
            self.admin(
                rl,
                "setRateLimit",
                json!({"key": key, "max_amount": limit.max_amount, "slope": limit.slope}),
            );
        }
    }
}

/// One build step.
pub type Step = fn(&SystemConfig, &mut Lines);

/// The build, in order. A new family adds its step here.
pub const STEPS: &[Step] = &[
    step_accounts,
    step_mcd,
    step_generator,
    step_primes,
    step_legacy_debt,
    step_generator_registry,
    step_configurator_scopes,
];

fn step_accounts(c: &SystemConfig, out: &mut Lines) {
    out.0.push(json!({ "accounts": c.account_names() }));
}

/// USDS, Vat, Jug, join, sUSDS and the Vat's global line.
fn step_mcd(c: &SystemConfig, out: &mut Lines) {
    out.deploy("erc20", json!({"symbol": "USDS"}), "usds");
    out.deploy("vat", json!({}), "vat");
    out.deploy("jug", json!({"vat": "@vat", "vow": "@vow"}), "jug");
    out.deploy("join", json!({"vat": "@vat", "usds": "@usds"}), "join");
    out.admin("usds", "rely", json!({"usr": "@join"}));
    out.admin("vat", "rely", json!({"usr": "@jug"}));
    out.deploy(
        "savings",
        json!({"symbol": "sUSDS", "usds": "@usds", "join": "@join", "vow": "@vow"}),
        "susds",
    );
    out.admin("vat", "rely", json!({"usr": "@susds"}));
    out.admin("vat", "fileLine", json!({ "data": c.vat_line }));
    if c.ssr.raw() != laniakea_units::RAY {
        out.admin("susds", "fileSsr", json!({ "ssr": c.ssr }));
    }
}

/// An ilk with its ilk vault (+ buffer) wired to a PAU proxy.
fn ilk_with_vault(out: &mut Lines, ilk: &str, line: Rad, vault: &str) {
    out.admin("vat", "init", json!({ "ilk": ilk }));
    out.admin("vat", "fileIlkLine", json!({"ilk": ilk, "data": line}));
    out.admin("vat", "fileSpot", json!({"ilk": ilk, "data": "1"}));
    out.admin("jug", "init", json!({ "ilk": ilk }));
    out.deploy(
        "ilk-vault",
        json!({"ilk": ilk, "jug": "@jug", "join": "@join", "usds": "@usds"}),
        vault,
    );
}

/// A PAU: rate limits, proxy, controller (with or without an ilk vault) and its roles.
fn pau(out: &mut Lines, p: &str, ilk_vault: Option<&str>, relayer: &str) {
    let (rl, proxy, ctrl) = (format!("{p}_rl"), format!("{p}_proxy"), format!("{p}_ctrl"));
    out.deploy("rate-limits", json!({}), &rl);
    out.deploy("alm-proxy", json!({}), &proxy);
    let mut d = json!({"proxy": format!("@{proxy}"), "rate_limits": format!("@{rl}")});
    match ilk_vault {
        Some(v) => d["ilk_vault"] = json!(format!("@{v}")),
        None => d["usds"] = json!("@usds"),
    }
    out.deploy("controller", d, &ctrl);
    out.admin(
        &proxy,
        "grantRole",
        json!({"role": "CONTROLLER", "account": format!("@{ctrl}")}),
    );
    out.admin(
        &rl,
        "grantRole",
        json!({"role": "CONTROLLER", "account": format!("@{ctrl}")}),
    );
    if let Some(v) = ilk_vault {
        out.admin(v, "rely", json!({ "usr": format!("@{proxy}") }));
        out.admin(
            &format!("{v}.buffer"),
            "approve",
            json!({"asset": "@usds", "spender": format!("@{proxy}"), "amount": "max"}),
        );
    }
    out.admin(
        &ctrl,
        "grantRole",
        json!({"role": "RELAYER", "account": format!("@{relayer}")}),
    );
    out.admin(
        &ctrl,
        "grantRole",
        json!({"role": "FREEZER", "account": "@freezer"}),
    );
}

fn transfer_key(to: &str) -> Json {
    json!({"name": "LIMIT_ASSET_TRANSFER", "address": "@usds", "address2": format!("@{to}")})
}

fn vault_key(name: &str, vault: &str) -> Json {
    json!({"name": name, "address": format!("@{vault}")})
}

/// The Generator ilk, its ilk vault and PAU, mint limit and its configured transfers.
fn step_generator(c: &SystemConfig, out: &mut Lines) {
    let g = &c.generator;
    ilk_with_vault(out, &g.ilk, g.line, "gen_vault");
    pau(out, "gen", Some("gen_vault"), "gen_relayer");
    out.limit("gen_rl", json!("LIMIT_USDS_MINT"), &g.mint_limit);
    out.limit("gen_rl", transfer_key("holding"), &g.transfer_limit);
    out.limit("gen_rl", transfer_key("surplus"), &g.transfer_limit);
}

/// Per Prime: legacy ilk (if any), PAU, Prime vault, both sides' keys.
fn step_primes(c: &SystemConfig, out: &mut Lines) {
    for p in &c.primes {
        let n = &p.name;
        let legacy_vault = format!("{n}_vault");
        if let (Some(l), Some(ilk)) = (&p.legacy, p.legacy_ilk()) {
            ilk_with_vault(out, &ilk, l.line, &legacy_vault);
        }
        let relayer = format!("{n}_relayer");
        pau(
            out,
            n,
            p.legacy.as_ref().map(|_| legacy_vault.as_str()),
            &relayer,
        );
        let pv = format!("{n}_pv");
        out.deploy(
            "prime-vault",
            json!({
                "symbol": format!("pv{}", n.to_ascii_uppercase()),
                "usds": "@usds",
                "generator": "@gen_proxy",
                "prime": format!("@{n}_proxy"),
                "decimals_offset": p.decimals_offset,
                "min_idle_bps": p.min_idle_bps,
            }),
            &pv,
        );
        out.admin(
            &pv,
            "grantRole",
            json!({"role": "FREEZER", "account": "@freezer"}),
        );
        // Generator side.
        out.limit(
            "gen_rl",
            vault_key("LIMIT_4626_DEPOSIT", &pv),
            &p.deposit_limit,
        );
        out.limit(
            "gen_rl",
            vault_key("LIMIT_4626_WITHDRAW", &pv),
            &p.withdraw_limit,
        );
        out.limit(
            "gen_rl",
            transfer_key(&format!("{n}_proxy")),
            &c.generator.transfer_limit,
        );
        out.admin(
            "gen_ctrl",
            "setMaxExchangeRate",
            json!({"vault": format!("@{pv}"), "shares": "1", "max_expected_assets": c.generator.max_assets_per_share}),
        );
        // Prime side.
        let rl = format!("{n}_rl");
        out.limit(&rl, vault_key("LIMIT_VAULT_DRAW", &pv), &p.draw_limit);
        out.limit(&rl, vault_key("LIMIT_VAULT_REPAY", &pv), &p.repay_limit);
        out.limit(&rl, transfer_key("gen_proxy"), &p.transfer_limit);
    }
}

/// Legacy debt: each Prime mints its configured debt from its legacy ilk (mint key = the debt,
/// so the legacy ilk mints nothing more unless governance raises it).
fn step_legacy_debt(c: &SystemConfig, out: &mut Lines) {
    for p in &c.primes {
        if let Some(l) = &p.legacy {
            let n = &p.name;
            out.limit(
                &format!("{n}_rl"),
                json!("LIMIT_USDS_MINT"),
                &Limit {
                    max_amount: l.debt,
                    slope: Wad::ZERO,
                },
            );
            if !l.debt.is_zero() {
                out.tx(
                    &format!("{n}_relayer"),
                    &format!("{n}_ctrl"),
                    "mintUSDS",
                    json!({"amount": l.debt}),
                );
            }
        }
    }
}

/// The Generator registry (`generator`): book, buffer, migration executor. It gets RELAYER on
/// every controller, ADMIN on every rate limits and Prime vault, and Vat ward (see
/// `families/generator`).
fn step_generator_registry(c: &SystemConfig, out: &mut Lines) {
    out.deploy(
        "generator",
        json!({"proxy": "@gen_proxy", "controller": "@gen_ctrl"}),
        "generator",
    );
    let grant = |out: &mut Lines, to: &str, role: &str| {
        out.admin(
            to,
            "grantRole",
            json!({"role": role, "account": "@generator"}),
        );
    };
    grant(out, "gen_ctrl", "RELAYER");
    grant(out, "gen_rl", "ADMIN");
    out.admin("vat", "rely", json!({"usr": "@generator"}));
    for p in &c.primes {
        let n = &p.name;
        let mut args = json!({
            "name": n,
            "controller": format!("@{n}_ctrl"),
            "vault": format!("@{n}_pv"),
        });
        if p.legacy.is_some() {
            args["legacy_vault"] = json!(format!("@{n}_vault"));
        }
        out.admin("generator", "registerPrime", args);
        grant(out, &format!("{n}_ctrl"), "RELAYER");
        grant(out, &format!("{n}_rl"), "ADMIN");
        grant(out, &format!("{n}_pv"), "ADMIN");
    }
}

/// The rate-limit init a configured limit allows (the configured values), if it can be an init
/// (`max_amount > 0`, `slope ≤ max_amount·86400`; otherwise the key gets no init and the scope
/// cannot set it until governance adds one through the timelock).
fn init_of(limit: &Limit) -> Option<(Wad, Wad)> {
    let max = limit.max_amount.raw();
    let ok = !max.is_zero()
        && max
            .checked_mul(U256::from(86_400u32))
            .is_none_or(|m| limit.slope.raw() <= m);
    ok.then_some((limit.max_amount, limit.slope))
}

/// With [`SystemConfig::scopes`]: the Generator scope (`gen_timelock`, `gen_state`, `gen_cfg`)
/// managing the Generator PAU, GovOps `gen_govops`; the Mainnet scope (`main_timelock`,
/// `main_state`, `main_cfg`) managing every Prime PAU, GovOps `main_govops` accordant to each.
/// Through the bootstrap each scope gets a PAU-restricted init for every key this builder
/// configures on its PAUs (the configured values; see [`init_of`]), the Generator scope the
/// `setMaxExchangeRate` action on every Prime vault, and the Generator registry is approved as
/// executor of exactly the keys its migration writes (Primes with a legacy ilk only): on the
/// Prime's PAU `LIMIT_VAULT_DRAW⊕vault` (start with a plan draw limit, completion, rollback),
/// `LIMIT_VAULT_REPAY⊕vault` and `LIMIT_USDS_MINT` (completion, rollback), and on the Generator
/// PAU `LIMIT_4626_WITHDRAW⊕vault` (rollback); then the bootstrap ends.
fn step_configurator_scopes(c: &SystemConfig, out: &mut Lines) {
    let Some(sc) = &c.scopes else {
        return;
    };
    let mut gen_keys = vec![
        (json!("LIMIT_USDS_MINT"), c.generator.mint_limit),
        (transfer_key("holding"), c.generator.transfer_limit),
        (transfer_key("surplus"), c.generator.transfer_limit),
    ];
    let mut actions = Vec::new();
    // (pau prefix, key) pairs the Generator registry writes during a migration
    let mut executor_keys: Vec<(String, Json)> = Vec::new();
    for p in &c.primes {
        let pv = format!("{}_pv", p.name);
        if p.legacy.is_some() {
            executor_keys.push(("gen".into(), vault_key("LIMIT_4626_WITHDRAW", &pv)));
            for name in ["LIMIT_VAULT_DRAW", "LIMIT_VAULT_REPAY"] {
                executor_keys.push((p.name.clone(), vault_key(name, &pv)));
            }
            executor_keys.push((p.name.clone(), json!("LIMIT_USDS_MINT")));
        }
        gen_keys.push((vault_key("LIMIT_4626_DEPOSIT", &pv), p.deposit_limit));
        gen_keys.push((vault_key("LIMIT_4626_WITHDRAW", &pv), p.withdraw_limit));
        gen_keys.push((
            transfer_key(&format!("{}_proxy", p.name)),
            c.generator.transfer_limit,
        ));
        actions.push(pv);
    }
    let gen = vec![("gen".to_string(), gen_keys)];
    let main: Vec<(String, Vec<(Json, Limit)>)> = c
        .primes
        .iter()
        .map(|p| {
            let pv = format!("{}_pv", p.name);
            let mut keys = vec![
                (vault_key("LIMIT_VAULT_DRAW", &pv), p.draw_limit),
                (vault_key("LIMIT_VAULT_REPAY", &pv), p.repay_limit),
                (transfer_key("gen_proxy"), p.transfer_limit),
            ];
            if let Some(l) = &p.legacy {
                keys.push((
                    json!("LIMIT_USDS_MINT"),
                    Limit {
                        max_amount: l.debt,
                        slope: Wad::ZERO,
                    },
                ));
            }
            (p.name.clone(), keys)
        })
        .collect();
    for (scope, paus, actions) in [("gen", gen, actions), ("main", main, Vec::new())] {
        let (tl, st, cfg) = (
            format!("{scope}_timelock"),
            format!("{scope}_state"),
            format!("{scope}_cfg"),
        );
        let (state, govops) = (format!("@{st}"), format!("@{scope}_govops"));
        out.deploy("beam-timelock", json!({"delay_s": sc.delay_s}), &tl);
        out.deploy(
            "beam-state",
            json!({"timelock": format!("@{tl}"), "hop_s": sc.hop_s, "max_change_bps": sc.max_change_bps}),
            &st,
        );
        out.deploy("configurator", json!({ "state": state }), &cfg);
        let boot = |out: &mut Lines, op: Json| {
            out.admin(&st, "bootstrap", json!({ "operation": op }));
        };
        for (p, keys) in &paus {
            for part in ["proxy", "ctrl", "rl"] {
                out.admin(
                    &format!("{p}_{part}"),
                    "grantRole",
                    json!({"role": "ADMIN", "account": format!("@{cfg}")}),
                );
            }
            let pau = format!("@{p}_proxy");
            boot(
                out,
                json!({"op": "registerPau", "state": state, "pau": pau,
                    "controller": format!("@{p}_ctrl"), "rate_limits": format!("@{p}_rl")}),
            );
            for (key, limit) in keys {
                if let Some((max, slope)) = init_of(limit) {
                    boot(
                        out,
                        json!({"op": "addRateLimitInit", "state": state, "key": key, "pau": pau,
                            "max_amount": max, "slope": slope}),
                    );
                }
            }
            for pv in &actions {
                boot(
                    out,
                    json!({"op": "addControllerAction", "state": state, "pau": pau,
                        "function": "setMaxExchangeRate", "target": format!("@{pv}")}),
                );
            }
            for (_, key) in executor_keys.iter().filter(|(x, _)| x == p) {
                boot(
                    out,
                    json!({"op": "approveExecutor", "state": state, "pau": pau, "key": key,
                        "executor": "@generator"}),
                );
            }
            boot(
                out,
                json!({"op": "grantCbeam", "state": state, "pau": pau, "govops": govops}),
            );
        }
        out.0
            .push(json!({"from": "admin", "to": st, "fn": "endBootstrap"}));
    }
}

/// A built system: its config and every name's address.
#[derive(Debug, Clone)]
pub struct System {
    pub config: SystemConfig,
    names: std::collections::BTreeMap<String, Address>,
}

impl System {
    /// The address of a name (see the module doc); panics on an unknown name (a caller bug).
    pub fn addr(&self, name: &str) -> Address {
        let a = self.names.get(name);
        assert!(a.is_some(), "the system has no name '{name}'");
        a.copied().unwrap_or_default()
    }
    /// The address of a name, if the system has it.
    pub fn get(&self, name: &str) -> Option<Address> {
        self.names.get(name).copied()
    }
    /// Every name and address, in name order.
    pub fn names(&self) -> impl Iterator<Item = (&str, Address)> {
        self.names.iter().map(|(n, a)| (n.as_str(), *a))
    }
    /// `<prime>_<part>`, e.g. `prime("spark", "pv")`.
    pub fn prime(&self, prime: &str, part: &str) -> Address {
        self.addr(&format!("{prime}_{part}"))
    }
}

/// Builds the system on a fresh engine starting at `genesis`.
pub fn build(config: &SystemConfig, genesis: Timestamp) -> Result<(Engine, System), BuildError> {
    config.validate()?;
    let mut text = String::new();
    for (i, l) in config.script_lines().into_iter().enumerate() {
        let mut l = l;
        if i == 1 {
            l["at"] = json!(genesis.0);
        }
        text.push_str(&l.to_string());
        text.push('\n');
    }
    let s = script::parse(&text)?;
    let mut e = Engine::new(genesis);
    let out = s.run_on(&mut e);
    for l in &out.lines {
        if l["status"] != "ok" {
            return Err(BuildError::Setup {
                line: l["line"].as_u64().unwrap_or(0) as usize,
                code: l["code"].as_str().unwrap_or("rejected").to_string(),
                reason: l["reason"].as_str().unwrap_or_default().to_string(),
            });
        }
    }
    let names = s.names_map();
    Ok((
        e,
        System {
            config: config.clone(),
            names,
        },
    ))
}
