//! The genesis of a persistent chain: what builds its state before the first journaled
//! transaction, and its stored form.
//!
//! Contract: [`Genesis::build`] is deterministic (same genesis ⇒ same engine digest and names);
//! [`Genesis::encode`]/[`Genesis::decode`] round-trip exactly (`kind` `system` with body
//! `{"at", "config"}`, or `script` with the script text as body). A genesis that cannot build is
//! a [`JournalError::Genesis`] naming the problem.

use crate::error::JournalError;
use alloy_primitives::Address;
use laniakea_chain::system::{self, SystemConfig};
use laniakea_chain::{script, Engine};
use laniakea_units::Timestamp;
use std::collections::BTreeMap;

/// What the chain starts from. (Unboxed on purpose: built once per open, and the variants are
/// the agreed construction API.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Genesis {
    /// A standard system from the builder (`laniakea_chain::system::build`) at block time `at`.
    System { config: SystemConfig, at: Timestamp },
    /// A transaction script (`docs/scripts.md`), run on a fresh engine.
    Script { text: String },
}

/// A built genesis: the engine and every name's address.
pub(crate) struct Built {
    pub engine: Engine,
    pub names: BTreeMap<String, Address>,
}

fn bad(reason: impl Into<String>) -> JournalError {
    JournalError::Genesis {
        reason: reason.into(),
    }
}

impl Genesis {
    /// Builds the genesis state.
    pub(crate) fn build(&self) -> Result<Built, JournalError> {
        match self {
            Genesis::System { config, at } => {
                let (engine, sys) = system::build(config, *at).map_err(|e| bad(e.to_string()))?;
                Ok(Built {
                    engine,
                    names: sys.names().map(|(n, a)| (n.to_string(), a)).collect(),
                })
            }
            Genesis::Script { text } => {
                let s = script::parse(text).map_err(|e| bad(format!("script {e}")))?;
                let mut engine = Engine::new(s.genesis());
                s.run_on(&mut engine);
                Ok(Built {
                    engine,
                    names: s.names_map(),
                })
            }
        }
    }

    /// The stored form: `(kind, body)`.
    pub(crate) fn encode(&self) -> (&'static str, String) {
        match self {
            Genesis::System { config, at } => (
                "system",
                serde_json::json!({"at": at.0, "config": config}).to_string(),
            ),
            Genesis::Script { text } => ("script", text.clone()),
        }
    }

    /// Reads [`Genesis::encode`]'s form.
    pub(crate) fn decode(kind: &str, body: &str) -> Result<Genesis, JournalError> {
        match kind {
            "system" => {
                #[derive(serde::Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Stored {
                    at: u64,
                    config: SystemConfig,
                }
                let s: Stored = serde_json::from_str(body)
                    .map_err(|e| bad(format!("stored system genesis: {e}")))?;
                Ok(Genesis::System {
                    config: s.config,
                    at: Timestamp(s.at),
                })
            }
            "script" => Ok(Genesis::Script {
                text: body.to_string(),
            }),
            other => Err(bad(format!(
                "stored genesis kind '{other}' is neither 'system' nor 'script'"
            ))),
        }
    }

    /// The builder config, for a system genesis.
    pub fn system_config(&self) -> Option<&SystemConfig> {
        match self {
            Genesis::System { config, .. } => Some(config),
            Genesis::Script { .. } => None,
        }
    }
}
