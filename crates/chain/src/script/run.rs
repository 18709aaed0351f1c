//! Running a validated script on an engine and producing its JSON output lines.

use super::{Script, Step};
use crate::engine::Engine;
use crate::families::vat::ilk_name;
use alloy_primitives::{Address, B256};
use laniakea_units::{Timestamp, Wad};
use serde_json::{json, Map, Value as Json};

/// Engine values always serialise (string keys, no floats); a failure is a bug.
fn to_json<T: serde::Serialize>(v: T) -> Json {
    let j = serde_json::to_value(v);
    assert!(j.is_ok(), "engine value failed to serialise: {j:?}");
    j.unwrap_or(Json::Null)
}

/// The output of a run.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// One JSON value per transaction, view and summary line, in script order.
    pub lines: Vec<Json>,
    /// Lines whose `expect` did not match (line number, expected, actual).
    pub unmet_expectations: Vec<(usize, String, String)>,
    pub digest: B256,
}

impl Script {
    /// The address a name resolves to (accounts and deployments).
    pub fn address(&self, name: &str) -> Option<Address> {
        self.names
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(a, _)| *a)
    }

    /// The block time of the script's first transaction.
    pub fn genesis(&self) -> Timestamp {
        self.genesis
    }

    /// The script name of an address (its hex form if it has none).
    pub fn name_of(&self, a: Address) -> String {
        self.names.get(&a).cloned().unwrap_or_else(|| a.to_string())
    }

    /// Runs the script on a fresh engine starting at the first line's block time.
    pub fn run(&self) -> RunOutput {
        let mut engine = Engine::new(self.genesis);
        self.run_on(&mut engine)
    }

    /// Runs on an existing engine (its time must not be after the script's first line).
    pub fn run_on(&self, engine: &mut Engine) -> RunOutput {
        let mut lines = Vec::new();
        let mut unmet = Vec::new();
        for step in &self.steps {
            match step {
                Step::Tx {
                    line,
                    tx,
                    to_name,
                    func,
                    alias,
                    expect,
                } => {
                    let mut out = Map::new();
                    out.insert("line".into(), json!(line));
                    out.insert("at".into(), json!(tx.at.0));
                    out.insert("from".into(), json!(self.name_of(tx.from)));
                    out.insert("to".into(), json!(to_name));
                    out.insert("fn".into(), json!(func));
                    let actual = match engine.execute(tx.clone()) {
                        Err(e) => {
                            out.insert("status".into(), json!("rejected"));
                            out.insert("reason".into(), json!(e.to_string()));
                            "rejected".to_string()
                        }
                        Ok(r) => {
                            out.insert("tx".into(), json!(r.tx_index));
                            match &r.outcome {
                                Ok(ret) => {
                                    out.insert("status".into(), json!("ok"));
                                    out.insert("returns".into(), to_json(ret));
                                    if let Some(a) = alias {
                                        out.insert("as".into(), json!(a));
                                    }
                                    let evs: Vec<Json> = engine.log()[r.events.clone()]
                                        .iter()
                                        .map(|e| {
                                            let mut v = to_json(e);
                                            if let Some(m) = v.as_object_mut() {
                                                m.insert(
                                                    "contract".into(),
                                                    json!(self.name_of(e.contract)),
                                                );
                                                if let Some(Json::String(ilk)) = m.get("ilk") {
                                                    if let Ok(id) = ilk.parse::<B256>() {
                                                        m.insert("ilk".into(), json!(ilk_name(id)));
                                                    }
                                                }
                                            }
                                            v
                                        })
                                        .collect();
                                    out.insert("events".into(), Json::Array(evs));
                                    "ok".to_string()
                                }
                                Err(rev) => {
                                    out.insert("status".into(), json!("reverted"));
                                    out.insert("code".into(), json!(rev.code()));
                                    out.insert("reason".into(), json!(rev.to_string()));
                                    rev.code().to_string()
                                }
                            }
                        }
                    };
                    if let Some(exp) = expect {
                        let met = *exp == actual;
                        out.insert("expect".into(), json!(exp));
                        out.insert("expect_met".into(), json!(met));
                        if !met {
                            unmet.push((*line, exp.clone(), actual));
                        }
                    }
                    lines.push(Json::Object(out));
                }
                Step::View {
                    line,
                    to,
                    to_name,
                    func,
                    view,
                } => {
                    let mut out = Map::new();
                    out.insert("line".into(), json!(line));
                    out.insert("view".into(), json!(to_name));
                    out.insert("fn".into(), json!(func));
                    match engine.view(*to, view) {
                        Ok(r) => {
                            out.insert("status".into(), json!("ok"));
                            out.insert("returns".into(), to_json(&r));
                        }
                        Err(rev) => {
                            out.insert("status".into(), json!("reverted"));
                            out.insert("code".into(), json!(rev.code()));
                            out.insert("reason".into(), json!(rev.to_string()));
                        }
                    }
                    lines.push(Json::Object(out));
                }
                Step::Summary { line, balances } => {
                    let bals: Vec<Json> = balances
                        .iter()
                        .map(|(tn, t, an, a)| json!({"token": tn, "account": an, "balance_wad": Wad::from_raw(engine.state_ref().balance_of(*t, *a))}))
                        .collect();
                    lines.push(json!({
                        "line": line,
                        "summary": {
                            "block_time": engine.now().0,
                            "tx_count": engine.tx_count(),
                            "events": engine.log().len(),
                            "state_digest": engine.digest().to_string(),
                            "balances": bals,
                            "invariant_violations": engine.invariant_violations(),
                        }
                    }));
                }
            }
        }
        RunOutput {
            lines,
            unmet_expectations: unmet,
            digest: engine.digest(),
        }
    }
}
