//! Script grammar and name resolution: JSON lines → a validated [`Script`]. Nothing runs here.

use super::parse_util::{err, typed, ScriptError};
use super::{account_address, Script, Step};
use crate::call::*;
use alloy_primitives::Address;
use laniakea_units::Timestamp;
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    #[serde(default)]
    accounts: Option<Json>,
    #[serde(default)]
    at: Option<u64>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    view: Option<String>,
    #[serde(default, rename = "fn")]
    func: Option<String>,
    #[serde(default)]
    args: Option<Json>,
    #[serde(default)]
    deploy: Option<Json>,
    #[serde(default, rename = "as")]
    alias: Option<String>,
    #[serde(default)]
    expect: Option<String>,
    #[serde(default)]
    summary: Option<SummaryRaw>,
    /// A whole standard system (`crate::system::SystemConfig`), expanded into its lines.
    #[serde(default)]
    system: Option<Json>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryRaw {
    #[serde(default)]
    balances: Vec<BalanceRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BalanceRaw {
    token: String,
    account: String,
}

struct Parser {
    names: BTreeMap<String, Address>,
    kinds: BTreeMap<Address, &'static str>,
    nonces: BTreeMap<Address, u64>,
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        && !n.starts_with("0x")
}

impl Parser {
    fn resolve(&self, line: usize, field: &str, text: &str) -> Result<Address, ScriptError> {
        let t = text.strip_prefix('@').unwrap_or(text);
        if t.starts_with("0x") {
            return t.parse().map_err(|_| {
                err(
                    line,
                    field,
                    format!("'{text}' is not a 20-byte hex address"),
                )
            });
        }
        self.names.get(t).copied().ok_or_else(|| {
            err(
                line,
                field,
                format!(
                    "unknown name '{t}': declare it in an accounts line or deploy it with \"as\""
                ),
            )
        })
    }

    /// Replaces `@name` strings anywhere inside `v` with hex addresses.
    fn resolve_args(&self, line: usize, path: &str, v: &mut Json) -> Result<(), ScriptError> {
        match v {
            Json::String(s) if s.starts_with('@') => {
                *s = self.resolve(line, path, s)?.to_string();
            }
            Json::String(s) if s.starts_with("0x") && s.len() != 42 && s.len() != 66 => {
                return Err(err(
                    line,
                    path,
                    format!("'{s}' is not a 20-byte address or a 32-byte hex value"),
                ));
            }
            Json::String(s) if s == "max" => {
                // `"max"` is 2^256−1 base units (the infinite allowance / unlimited amount).
                *s = laniakea_units::format_decimal(alloy_primitives::U256::MAX, 18);
            }
            Json::Object(m) => {
                for (k, x) in m.iter_mut() {
                    self.resolve_args(line, &format!("{path}.{k}"), x)?;
                }
            }
            Json::Array(a) => {
                for (i, x) in a.iter_mut().enumerate() {
                    self.resolve_args(line, &format!("{path}[{i}]"), x)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn declare(&mut self, line: usize, name: &str, a: Address) -> Result<(), ScriptError> {
        if !valid_name(name) {
            return Err(err(
                line,
                "as",
                format!("'{name}' is not a valid name (letters, digits, _ - ., not starting 0x)"),
            ));
        }
        if self.names.insert(name.to_string(), a).is_some() {
            return Err(err(line, "as", format!("name '{name}' is already taken")));
        }
        Ok(())
    }
}

/// Validates a whole script. Nothing runs.
pub fn parse(text: &str) -> Result<Script, ScriptError> {
    let mut p = Parser {
        names: BTreeMap::new(),
        kinds: BTreeMap::new(),
        nonces: BTreeMap::new(),
    };
    let mut steps = Vec::new();
    let mut last_at: Option<u64> = None;
    let mut genesis: Option<u64> = None;
    let mut summary_seen = false;
    let mut queue: std::collections::VecDeque<(usize, String)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect();
    while let Some((line, raw_line)) = queue.pop_front() {
        let t = raw_line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if summary_seen {
            return Err(err(line, "-", "nothing may follow the summary line"));
        }
        let raw: RawLine = serde_json::from_str::<Json>(t)
            .map_err(|e| err(line, "-", format!("not valid JSON: {e}")))
            .and_then(|v| {
                typed(line, v, "-").map_err(|mut e| {
                    e.field = e.field.trim_start_matches("-.").to_string();
                    e
                })
            })?;
        if let Some(cfg) = raw.system {
            for l in expand_system(line, cfg, raw.at, &p)?.into_iter().rev() {
                queue.push_front((line, l));
            }
            continue;
        }
        if let Some(acc) = raw.accounts {
            match acc {
                Json::Array(names) => {
                    for (k, n) in names.into_iter().enumerate() {
                        let n = n.as_str().map(str::to_string).ok_or_else(|| {
                            err(line, format!("accounts[{k}]"), "expected a name string")
                        })?;
                        p.declare(line, &n, account_address(&n)).map_err(|mut e| {
                            e.field = format!("accounts[{k}]");
                            e
                        })?;
                    }
                }
                Json::Object(m) => {
                    for (n, a) in m {
                        let field = format!("accounts.{n}");
                        let a = a
                            .as_str()
                            .ok_or_else(|| err(line, &field, "expected a 0x address string"))?;
                        let addr = a.parse().map_err(|_| {
                            err(line, &field, format!("'{a}' is not a 20-byte hex address"))
                        })?;
                        p.declare(line, &n, addr).map_err(|mut e| {
                            e.field = field.clone();
                            e
                        })?;
                    }
                }
                _ => {
                    return Err(err(
                        line,
                        "accounts",
                        "expected a list of names or a map name → address",
                    ))
                }
            }
            continue;
        }
        if let Some(s) = raw.summary {
            let mut balances = Vec::new();
            for (k, b) in s.balances.into_iter().enumerate() {
                let token = p.resolve(line, &format!("summary.balances[{k}].token"), &b.token)?;
                if !p
                    .kinds
                    .get(&token)
                    .is_some_and(|k| *k == "erc20" || *k == "savings")
                {
                    return Err(err(
                        line,
                        format!("summary.balances[{k}].token"),
                        format!("'{}' is not a token deployed by this script", b.token),
                    ));
                }
                let acct =
                    p.resolve(line, &format!("summary.balances[{k}].account"), &b.account)?;
                balances.push((b.token, token, b.account, acct));
            }
            steps.push(Step::Summary { line, balances });
            summary_seen = true;
            continue;
        }
        if let Some(v) = raw.view {
            if raw.at.is_some() {
                return Err(err(
                    line,
                    "at",
                    "a view line takes no \"at\": it reads the state left by the previous transaction line",
                ));
            }
            if raw.expect.is_some() {
                return Err(err(line, "expect", "a view line takes no \"expect\""));
            }
            let to = p.resolve(line, "view", &v)?;
            let kind = p.kinds.get(&to).ok_or_else(|| {
                err(
                    line,
                    "view",
                    format!("'{v}' is not a contract deployed by this script"),
                )
            })?;
            let func = raw
                .func
                .clone()
                .ok_or_else(|| err(line, "fn", "a view line needs \"fn\""))?;
            let mut call = json!({"fn": func});
            if let Some(mut a) = raw.args {
                p.resolve_args(line, "args", &mut a)?;
                call["args"] = a;
            }
            let view = crate::families::parse_view(line, kind, call)?;
            steps.push(Step::View {
                line,
                to,
                to_name: v,
                func,
                view,
            });
            continue;
        }
        // A transaction line.
        let at = match (raw.at, last_at) {
            (Some(a), Some(prev)) if a < prev => {
                return Err(err(line, "at", format!("block time {a} is before the previous line's {prev}; time never goes backwards")))
            }
            (Some(a), _) => a,
            (None, Some(prev)) => prev,
            (None, None) => 0,
        };
        last_at = Some(at);
        genesis.get_or_insert(at);
        let from_name = raw.from.ok_or_else(|| {
            err(
                line,
                "from",
                "a transaction line needs \"from\" (or use accounts/view/summary)",
            )
        })?;
        let from = p.resolve(line, "from", &from_name)?;
        let nonce = *p.nonces.get(&from).unwrap_or(&0);
        let (call, to_name, func, alias) = if let Some(mut d) = raw.deploy {
            if raw.to.is_some() || raw.func.is_some() {
                return Err(err(line, "deploy", "a deploy line has no \"to\" or \"fn\""));
            }
            p.resolve_args(line, "deploy", &mut d)?;
            let dep: Deploy = crate::families::parse_deploy(line, d)?;
            let addr = from.create(nonce);
            let alias = raw.alias.clone().ok_or_else(|| {
                err(
                    line,
                    "as",
                    "a deploy line needs \"as\": the name to call it by",
                )
            })?;
            p.declare(line, &alias, addr)?;
            p.kinds.insert(addr, dep.kind());
            for (name, a, kind) in crate::families::script_names(dep.kind(), &alias, addr) {
                p.declare(line, &name, a)?;
                p.kinds.insert(a, kind);
            }
            let kind = dep.kind().to_string();
            (
                Call::Deploy(dep),
                alias.clone(),
                format!("deploy:{kind}"),
                Some(alias),
            )
        } else {
            if raw.alias.is_some() {
                return Err(err(
                    line,
                    "as",
                    "\"as\" names a deployment; this line deploys nothing",
                ));
            }
            let to_name = raw
                .to
                .ok_or_else(|| err(line, "to", "a call needs \"to\" (or \"deploy\")"))?;
            let to = p.resolve(line, "to", &to_name)?;
            let kind = *p.kinds.get(&to).ok_or_else(|| {
                err(
                    line,
                    "to",
                    format!("'{to_name}' is not a contract deployed by this script"),
                )
            })?;
            let func = raw
                .func
                .ok_or_else(|| err(line, "fn", "a call needs \"fn\""))?;
            let mut call = json!({"fn": func});
            if let Some(mut a) = raw.args {
                p.resolve_args(line, "args", &mut a)?;
                call["args"] = a;
            }
            (
                crate::families::parse_call(line, kind, to, call)?,
                to_name,
                func,
                None,
            )
        };
        p.nonces.insert(from, nonce + 1);
        steps.push(Step::Tx {
            line,
            tx: Tx {
                from,
                at: Timestamp(at),
                call,
            },
            to_name,
            func,
            alias,
            expect: match raw.expect {
                Some(e)
                    if e == "ok"
                        || e == "rejected"
                        || crate::families::all_revert_codes().contains(&e.as_str()) =>
                {
                    Some(e)
                }
                Some(e) => {
                    return Err(err(
                        line,
                        "expect",
                        format!(
                            "'{e}' is not \"ok\", \"rejected\" or a revert code of this engine"
                        ),
                    ))
                }
                None => None,
            },
        });
    }
    let names = p.names.iter().map(|(n, a)| (*a, n.clone())).collect();
    Ok(Script {
        steps,
        names,
        genesis: Timestamp(genesis.unwrap_or(0)),
    })
}

/// Expands a `{"system": {…}}` line into the builder's lines (accounts already declared by the
/// script are kept; `at` goes to the first transaction).
fn expand_system(
    line: usize,
    cfg: Json,
    at: Option<u64>,
    p: &Parser,
) -> Result<Vec<String>, ScriptError> {
    let cfg: crate::system::SystemConfig = typed(line, cfg, "system")?;
    cfg.validate()
        .map_err(|e| err(line, format!("system.{}", e.field), e.message))?;
    let mut out = Vec::new();
    for mut l in cfg.script_lines() {
        if let Some(Json::Array(names)) = l.get_mut("accounts") {
            names.retain(|n| n.as_str().is_some_and(|n| !p.names.contains_key(n)));
            if names.is_empty() {
                continue;
            }
        } else if let (Some(a), true) = (
            at,
            out.iter().all(|x: &String| x.starts_with("{\"accounts\"")),
        ) {
            l["at"] = json!(a);
        }
        out.push(l.to_string());
    }
    Ok(out)
}
