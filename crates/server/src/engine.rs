//! Engine-state view models: the Generator book, Prime vaults and liquidity, rate limits with
//! headroom, the Configurators' timelock queues, LCTS queues with the srUSDS exchange-rate
//! history, and migration status — each read through the chain seam's typed views.
//!
//! Contract: presentation only. Every figure is a typed view answer (or an event) serialised
//! untouched, so amounts are the engine's exact decimal strings with the unit in the field name
//! (`*_wad`, `*_apr`) and field names equal the CLI's `--json` (`laniakea book`, `limits`,
//! `lcts`). A view that reverts is reported with its revert code, never guessed.

use crate::deployment::Deployment;
use crate::error::ApiError;
use alloy_primitives::{Address, B256};
use laniakea_chain::families::beam_timelock::BeamTimeLockView;
use laniakea_chain::families::configurator::{ConfiguratorAnswer, ConfiguratorView};
use laniakea_chain::families::generator::GeneratorView;
use laniakea_chain::families::holding_system::{
    HoldingEvent, HoldingSystemAnswer, HoldingSystemView,
};
use laniakea_chain::families::lcts_queue::{LctsQueueAnswer, LctsQueueView};
use laniakea_chain::families::prime_vault::PrimeVaultView;
use laniakea_chain::rate_limits::{
    address_key, address_pair_key, limit_id, names, RateLimitsAnswer, RateLimitsView,
};
use laniakea_chain::{Answer, Chain, EventKind, Query};
use serde_json::{json, Value};

fn view(chain: &dyn Chain, to: Address, q: Query) -> Result<Answer, ApiError> {
    chain.view(to, &q).map_err(|r| {
        ApiError::internal(format!(
            "view on {to} reverted {}: {r} (the engine state is not what the deployment says)",
            r.code()
        ))
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn one(dep: &Deployment, kind: &str, what: &str) -> Result<Address, ApiError> {
    dep.of(kind).first().copied().ok_or_else(|| {
        ApiError::not_found(
            "api/not-deployed",
            format!("no {what} is deployed on this chain (no `{kind}` contract)"),
        )
    })
}

fn named(dep: &Deployment, a: Address) -> Value {
    match dep.name(a) {
        Some(n) => json!(n),
        None => Value::Null,
    }
}

/// `GET /generator/book`: the same object as `laniakea book --json`, plus the registry address.
pub fn book(chain: &dyn Chain, dep: &Deployment) -> Result<Value, ApiError> {
    let g = one(dep, "generator", "Generator registry")?;
    let ask = |v: GeneratorView| view(chain, g, Query::GeneratorRegistry(v)).map(|a| to_json(&a));
    let debt = ask(GeneratorView::DebtLocations)?;
    let compat = ask(GeneratorView::CompatibilitySet)?;
    Ok(json!({
        "generator": g,
        "block_time": chain.now(),
        "book": ask(GeneratorView::Book)?,
        "debt_locations": debt.get("primes").cloned().unwrap_or(Value::Null),
        "compatibility_set": compat.get("ilks").cloned().unwrap_or(Value::Null),
        "liquidity_buffer": ask(GeneratorView::LiquidityBuffer)?,
    }))
}

/// `GET /vaults`: every Prime vault's position (idle, drawn, written down, min idle, pause)
/// and the Generator's liquidity buffer.
pub fn vaults(chain: &dyn Chain, dep: &Deployment) -> Result<Value, ApiError> {
    let mut vaults = Vec::new();
    let registered: Vec<(Option<String>, Address)> = if dep.primes.is_empty() {
        dep.of("prime-vault").iter().map(|a| (None, *a)).collect()
    } else {
        dep.primes
            .iter()
            .map(|(p, a)| (Some(p.clone()), *a))
            .collect()
    };
    for (prime, v) in registered {
        let pos = view(chain, v, Query::PrimeVault(PrimeVaultView::Position))?;
        vaults.push(json!({
            "prime": prime,
            "vault": v,
            "name": named(dep, v),
            "position": pos,
        }));
    }
    let buffer = match dep.of("generator").first() {
        Some(g) => to_json(&view(
            chain,
            *g,
            Query::GeneratorRegistry(GeneratorView::LiquidityBuffer),
        )?),
        None => Value::Null,
    };
    Ok(json!({
        "block_time": chain.now(),
        "vaults": vaults,
        "liquidity_buffer": buffer,
    }))
}

/// Readable names of the keys the standard system uses (others print as their bytes32).
fn key_name(dep: &Deployment, key: B256) -> Option<String> {
    let plain = [
        names::USDS_MINT,
        names::DEPOSIT_4626,
        names::WITHDRAW_4626,
        names::ASSET_TRANSFER,
        names::VAULT_DRAW,
        names::VAULT_REPAY,
    ];
    if let Some(n) = plain.iter().find(|n| limit_id(n) == key) {
        return Some(n.to_string());
    }
    let label = |a: Address| dep.name(a).map(str::to_string).unwrap_or(a.to_string());
    let contracts: Vec<Address> = dep.by_kind.values().flatten().copied().collect();
    let mut known: Vec<Address> = contracts.clone();
    known.extend(dep.named_addresses());
    for n in plain {
        for a in &contracts {
            if address_key(limit_id(n), *a) == key {
                return Some(format!("{n}⊕{}", label(*a)));
            }
        }
    }
    let tokens: Vec<Address> = dep
        .of("erc20")
        .iter()
        .chain(dep.of("savings"))
        .copied()
        .collect();
    for t in &tokens {
        for a in &known {
            if address_pair_key(limit_id(names::ASSET_TRANSFER), *t, *a) == key {
                return Some(format!(
                    "{}⊕{}⊕{}",
                    names::ASSET_TRANSFER,
                    label(*t),
                    label(*a)
                ));
            }
        }
    }
    None
}

/// `GET /rate-limits`: every rate-limit entry ever set, with its data and current headroom
/// (`getCurrentRateLimit`), grouped by RateLimits contract.
pub fn rate_limits(chain: &dyn Chain, dep: &Deployment) -> Result<Value, ApiError> {
    let mut out = Vec::new();
    for (rl, keys) in &dep.rate_limit_keys {
        let mut entries = Vec::new();
        for key in keys {
            let k = laniakea_chain::call::Key(*key);
            let data = view(
                chain,
                *rl,
                Query::RateLimits(RateLimitsView::RateLimitData { key: k }),
            )?;
            let current = view(
                chain,
                *rl,
                Query::RateLimits(RateLimitsView::CurrentRateLimit { key: k }),
            )?;
            let (
                Answer::RateLimits(RateLimitsAnswer::Data {
                    max_amount,
                    slope,
                    last_amount,
                    last_updated,
                }),
                Answer::RateLimits(RateLimitsAnswer::Current { current_rate_limit }),
            ) = (data, current)
            else {
                return Err(ApiError::internal(format!(
                    "{rl}: unexpected rate-limit answers"
                )));
            };
            let unlimited = max_amount == laniakea_units::Wad::MAX;
            entries.push(json!({
                "key": key,
                "key_name": key_name(dep, *key),
                "configured": !max_amount.is_zero(),
                "unlimited": unlimited,
                "max_amount_wad": max_amount,
                "slope_wad_per_s": slope,
                "last_amount_wad": last_amount,
                "last_updated": last_updated,
                "headroom_wad": current_rate_limit,
            }));
        }
        out.push(json!({
            "rate_limits": rl,
            "name": named(dep, *rl),
            "entries": entries,
        }));
    }
    Ok(json!({ "now": chain.now(), "contracts": out }))
}

/// `GET /configurators`: each Configurator scope as `laniakea limits --json` shows it (SORL
/// parameters, every PAU's limits with init, last raise and earliest next raise) and its
/// timelock queue.
pub fn configurators(chain: &dyn Chain, dep: &Deployment) -> Result<Value, ApiError> {
    let mut out = Vec::new();
    for cfg in dep.of("configurator") {
        let Answer::Configurator(ConfiguratorAnswer::Scope {
            state,
            timelock,
            hop_s,
            max_change_bps,
            paus,
        }) = view(chain, *cfg, Query::Configurator(ConfiguratorView::Scope))?
        else {
            return Err(ApiError::internal(format!("{cfg}: not a configurator")));
        };
        let mut listed = Vec::new();
        for p in &paus {
            let a = view(
                chain,
                *cfg,
                Query::Configurator(ConfiguratorView::RateLimits { pau: p.pau }),
            )?;
            listed.push(json!({
                "pau": p.pau,
                "name": named(dep, p.pau),
                "controller": p.controller,
                "govops": p.govops,
                "rate_limits": a,
            }));
        }
        let queue = view(
            chain,
            timelock,
            Query::BeamTimeLock(BeamTimeLockView::Queue),
        )?;
        out.push(json!({
            "configurator": cfg,
            "name": named(dep, *cfg),
            "state": state,
            "timelock": timelock,
            "hop_s": hop_s,
            "max_change_bps": max_change_bps,
            "now": chain.now(),
            "paus": listed,
            "timelock_queue": queue,
        }));
    }
    Ok(json!({ "configurators": out }))
}

/// `GET /timelock`: every BEAMTimeLock's queue (delay, pause, pending operations with their
/// ready time).
pub fn timelocks(chain: &dyn Chain, dep: &Deployment) -> Result<Value, ApiError> {
    let mut out = Vec::new();
    for tl in dep.of("beam-timelock") {
        let queue = view(chain, *tl, Query::BeamTimeLock(BeamTimeLockView::Queue))?;
        out.push(json!({ "timelock": tl, "name": named(dep, *tl), "queue": queue }));
    }
    Ok(json!({ "now": chain.now(), "timelocks": out }))
}

/// `GET /lcts`: every Holding System as `laniakea lcts --json` shows it (rate, backing, queues
/// and positions), plus its exchange-rate history from the event log.
pub fn lcts(chain: &dyn Chain, dep: &Deployment) -> Result<Value, ApiError> {
    let mut out = Vec::new();
    let events = chain.events_since(0);
    for hs in dep.of("holding-system") {
        let info = match view(chain, *hs, Query::HoldingSystem(HoldingSystemView::Info))? {
            Answer::HoldingSystem(HoldingSystemAnswer::Info(i)) => *i,
            _ => return Err(ApiError::internal(format!("{hs}: not a Holding System"))),
        };
        let mut queues = Vec::new();
        for q in [info.subscribe_queue, info.redeem_queue]
            .into_iter()
            .flatten()
        {
            let queue = match view(chain, q, Query::LctsQueue(LctsQueueView::Queue))? {
                Answer::LctsQueue(LctsQueueAnswer::Queue(i)) => to_json(&*i),
                _ => return Err(ApiError::internal(format!("{q}: not an LCTS queue"))),
            };
            let positions = view(chain, q, Query::LctsQueue(LctsQueueView::Positions))?;
            let mut entry = json!({ "name": named(dep, q), "address": q });
            if let (Some(m), Value::Object(qm)) = (entry.as_object_mut(), queue) {
                m.extend(qm);
                m.insert(
                    "position_list".into(),
                    to_json(&positions)
                        .get("positions")
                        .cloned()
                        .unwrap_or(Value::Null),
                );
            }
            queues.push(entry);
        }
        let history: Vec<Value> = events
            .iter()
            .filter(|e| e.contract == *hs)
            .filter_map(|e| match &e.kind {
                EventKind::HoldingSystem(HoldingEvent::SrusdsRateUpdated(u)) => Some(json!({
                    "block_time": e.block_time,
                    "tx_index": e.tx_index,
                    "event": "SrusdsRateUpdated",
                    "exchange_rate_before_wad": u.exchange_rate_before_wad,
                    "exchange_rate_wad": u.exchange_rate_wad,
                    "premium_apr": u.premium_apr,
                })),
                EventKind::HoldingSystem(HoldingEvent::SrusdsHaircut(h)) => Some(json!({
                    "block_time": e.block_time,
                    "tx_index": e.tx_index,
                    "event": "SrusdsHaircut",
                    "exchange_rate_before_wad": h.exchange_rate_before_wad,
                    "exchange_rate_wad": h.exchange_rate_wad,
                    "reason": h.reason,
                })),
                _ => None,
            })
            .collect();
        out.push(json!({
            "block_time": chain.now(),
            "holding_name": named(dep, *hs),
            "holding": hs,
            "holding_system": info,
            "queues": queues,
            "exchange_rate_history": history,
        }));
    }
    Ok(json!({ "holding_systems": out }))
}

/// `GET /migration`: where each Prime's debt sits, the temporary compatibility set, and every
/// registered Prime's migration (status, plan, tranches done, amount moved).
pub fn migration(chain: &dyn Chain, dep: &Deployment) -> Result<Value, ApiError> {
    let g = one(dep, "generator", "Generator registry")?;
    let ask = |v: GeneratorView| view(chain, g, Query::GeneratorRegistry(v)).map(|a| to_json(&a));
    let debt = ask(GeneratorView::DebtLocations)?;
    let compat = ask(GeneratorView::CompatibilitySet)?;
    let mut migrations = Vec::new();
    for (p, _) in &dep.primes {
        migrations.push(ask(GeneratorView::Migration { prime: p.clone() })?);
    }
    Ok(json!({
        "block_time": chain.now(),
        "debt_locations": debt.get("primes").cloned().unwrap_or(Value::Null),
        "compatibility_set": compat.get("ilks").cloned().unwrap_or(Value::Null),
        "migrations": migrations,
    }))
}
