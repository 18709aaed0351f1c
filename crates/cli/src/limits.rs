//! `laniakea limits (SCRIPT | --db RUN_DB) --configurator NAME [--pau NAME] [--json]`: runs a
//! transaction script on a fresh engine (or replays a run's database), then lists, for each PAU of that Configurator's scope, every rate limit with
//! its current headroom, its init, the last raise and the earliest next raise, and the scope's
//! timelock queue with each operation's ready time.
//!
//! Presentation only: the figures are the engine's typed view answers (`getScope`,
//! `getRateLimits`, `getQueue`) read through the chain seam, untouched. Human output follows
//! `laniakea_units::human` (UTC date-times, exact amounts grouped in thousands); `--json` prints
//! the answers' exact machine forms.

use alloy_primitives::{Address, B256, U256};
use anyhow::Context;
use laniakea_chain::families::beam_timelock::{BeamTimeLockAnswer, BeamTimeLockView, TimelockOp};
use laniakea_chain::families::configurator::{ConfiguratorAnswer, ConfiguratorView, LimitStatus};
use laniakea_chain::rate_limits::{limit_id, names};
use laniakea_chain::{Answer, Engine, Query};
use laniakea_units::human::{self, Align, Table};
use laniakea_units::Wad;

fn view(e: &Engine, to: Address, q: Query) -> anyhow::Result<Answer> {
    e.view(to, &q)
        .map_err(|r| anyhow::anyhow!("view on {to} reverted: {}: {r}", r.code()))
}

fn amount(w: Wad) -> String {
    if w.raw() == U256::MAX {
        "unlimited".to_string()
    } else {
        human::amount(w.raw(), Wad::DECIMALS)
    }
}

/// The PAU's own key names (other keys print as their bytes32).
fn key_name(k: B256) -> String {
    [
        names::USDS_MINT,
        names::DEPOSIT_4626,
        names::WITHDRAW_4626,
        names::ASSET_TRANSFER,
        names::VAULT_DRAW,
        names::VAULT_REPAY,
    ]
    .into_iter()
    .find(|n| limit_id(n) == k)
    .map(str::to_string)
    .unwrap_or_else(|| k.to_string())
}

fn op_text(op: &TimelockOp, name: &dyn Fn(Address) -> String) -> String {
    match op {
        TimelockOp::RegisterPau { pau, .. } => format!("registerPau {}", name(*pau)),
        TimelockOp::AddRateLimitInit {
            key,
            pau,
            max_amount,
            slope,
            ..
        } => format!(
            "addRateLimitInit {} for {} max {} slope {}/s",
            key_name(key.0),
            pau.map(name).unwrap_or_else(|| "any PAU".into()),
            amount(*max_amount),
            amount(*slope)
        ),
        TimelockOp::AddControllerAction {
            pau,
            function,
            target,
            ..
        } => format!(
            "addControllerAction {function:?} on {} for {}",
            name(*target),
            pau.map(name).unwrap_or_else(|| "any PAU".into())
        ),
        TimelockOp::GrantCbeam { pau, govops, .. } => {
            format!("grantCbeam {} on {}", name(*govops), name(*pau))
        }
        TimelockOp::SetHop { hop_s, .. } => format!("setHop {} s", human::count(*hop_s)),
        TimelockOp::SetMaxChange { max_change_bps, .. } => {
            format!("setMaxChange {} bps", human::count(*max_change_bps))
        }
        TimelockOp::SetDelay { delay_s } => format!("setDelay {} s", human::count(*delay_s)),
    }
}

fn limits_table(limits: &[LimitStatus], now: laniakea_units::Timestamp) -> String {
    let mut t = Table::new(&[
        ("key", Align::Left),
        ("max amount", Align::Right),
        ("slope /s", Align::Right),
        ("headroom", Align::Right),
        ("init max", Align::Right),
        ("init slope /s", Align::Right),
        ("init for", Align::Left),
        ("last raise", Align::Left),
        ("earliest next raise", Align::Left),
    ]);
    for l in limits {
        let (im, is, scope) = match &l.init {
            Some(i) => (
                amount(i.max_amount_wad),
                amount(i.slope_wad_per_s),
                if i.pau.is_some() {
                    "this PAU"
                } else {
                    "any PAU"
                }
                .to_string(),
            ),
            None => ("-".into(), "-".into(), "no init".into()),
        };
        let next = match l.earliest_next_raise {
            Some(t) if t > now => human::utc(t),
            Some(_) => "now".into(),
            None if l.configured => "now".into(),
            None => "after a first set".into(),
        };
        t.row(vec![
            key_name(l.key),
            amount(l.max_amount_wad),
            amount(l.slope_wad_per_s),
            amount(l.headroom_wad),
            im,
            is,
            scope,
            l.last_raise.map(human::utc).unwrap_or_else(|| "-".into()),
            next,
        ]);
    }
    t.render()
}

/// Lists the scope on the final state of `src` (a script's or a run database's).
pub fn run(
    src: &crate::ops::Source,
    configurator: &str,
    pau: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let engine = src.engine();
    let name = |a: Address| src.name_of(a);
    let cfg = src.address(configurator).ok_or_else(|| {
        anyhow::anyhow!(
            "invalid --configurator '{configurator}': no such name in {}",
            src.what()
        )
    })?;
    let Answer::Configurator(ConfiguratorAnswer::Scope {
        state,
        timelock,
        hop_s,
        max_change_bps,
        paus,
    }) = view(engine, cfg, Query::Configurator(ConfiguratorView::Scope))
        .with_context(|| format!("invalid --configurator '{configurator}'"))?
    else {
        anyhow::bail!("invalid --configurator '{configurator}': not a configurator");
    };
    let only = match pau {
        Some(p) => Some(src.address(p).ok_or_else(|| {
            anyhow::anyhow!("invalid --pau '{p}': no such name in {}", src.what())
        })?),
        None => None,
    };
    if let Some(p) = only {
        if !paus.iter().any(|x| x.pau == p) {
            anyhow::bail!(
                "invalid --pau '{}': not registered in the scope of '{configurator}'",
                name(p)
            );
        }
    }
    let mut listed = Vec::new();
    for p in paus.iter().filter(|p| only.is_none_or(|o| o == p.pau)) {
        let a = view(
            engine,
            cfg,
            Query::Configurator(ConfiguratorView::RateLimits { pau: p.pau }),
        )?;
        listed.push((p, a));
    }
    let queue = view(
        engine,
        timelock,
        Query::BeamTimeLock(BeamTimeLockView::Queue),
    )?;
    if json {
        let out = serde_json::json!({
            "configurator": cfg,
            "state": state,
            "timelock": timelock,
            "hop_s": hop_s,
            "max_change_bps": max_change_bps,
            "now": engine.now(),
            "paus": listed.iter().map(|(p, a)| serde_json::json!({
                "pau": p.pau,
                "name": name(p.pau),
                "controller": p.controller,
                "govops": p.govops,
                "rate_limits": a,
            })).collect::<Vec<_>>(),
            "timelock_queue": queue,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let now = engine.now();
    let mut out = format!(
        "configurator {} (state {}, timelock {})  now {}\nSORL: hop {} s, maxChange {} bps\n",
        name(cfg),
        name(state),
        name(timelock),
        human::utc(now),
        human::count(hop_s),
        human::count(max_change_bps),
    );
    for (p, a) in &listed {
        let govops: Vec<String> = p.govops.iter().map(|g| name(*g)).collect();
        out.push_str(&format!(
            "\nPAU {} (controller {}), accordant GovOps: {}\n",
            name(p.pau),
            name(p.controller),
            if govops.is_empty() {
                "none".to_string()
            } else {
                govops.join(", ")
            }
        ));
        if let Answer::Configurator(ConfiguratorAnswer::RateLimits { limits, .. }) = a {
            out.push_str(&limits_table(limits, now));
        }
    }
    if let Answer::BeamTimeLock(BeamTimeLockAnswer::Queue {
        delay_s,
        paused,
        operations,
        ..
    }) = &queue
    {
        out.push_str(&format!(
            "\ntimelock {}: delay {} s{}, {} pending\n",
            name(timelock),
            human::count(*delay_s),
            if *paused { ", PAUSED" } else { "" },
            operations.len()
        ));
        if !operations.is_empty() {
            let mut t = Table::new(&[
                ("id", Align::Left),
                ("operation", Align::Left),
                ("ready at", Align::Left),
                ("ready", Align::Left),
            ]);
            for o in operations {
                t.row(vec![
                    o.id.to_string(),
                    op_text(&o.operation, &name),
                    human::utc(o.ready_at),
                    if o.ready && !paused { "yes" } else { "no" }.to_string(),
                ]);
            }
            out.push_str(&t.render());
        }
    }
    out.push_str("amounts exact, in the limited token's units\n");
    out!("{out}");
    Ok(())
}
