//! `laniakea lcts`: the srUSDS Holding System and its LCTS queues after a transaction script (or
//! on a run database) —
//! exchange rate, backing, each queue's current generation and totals, every position's
//! claimable amounts. Presentation only: every figure comes from the engine's views through the
//! typed chain seam (`laniakea_chain::Chain`); the human table follows `laniakea_units::human`,
//! `--json` keeps the exact machine forms.

use alloy_primitives::Address;
use laniakea_chain::call::{Answer, Query};
use laniakea_chain::families::holding_system::{
    HoldingInfo, HoldingSystemAnswer, HoldingSystemView,
};
use laniakea_chain::families::lcts_queue::{
    LctsQueueAnswer, LctsQueueView, PositionInfo, QueueInfo,
};
use laniakea_chain::Chain;
use laniakea_units::human::{self, Align, Table};
use laniakea_units::{Timestamp, Wad};
use serde::Serialize;

/// One queue with its positions.
#[derive(Debug, Serialize)]
pub struct QueueReport {
    pub name: String,
    pub address: Address,
    #[serde(flatten)]
    pub queue: QueueInfo,
    pub position_list: Vec<PositionInfo>,
}

/// The whole report (`--json` prints it as is).
#[derive(Debug, Serialize)]
pub struct LctsReport {
    pub block_time: Timestamp,
    pub holding_name: String,
    pub holding: Address,
    pub holding_system: HoldingInfo,
    pub queues: Vec<QueueReport>,
}

/// Reads the report from a chain through its views.
pub fn report(
    chain: &impl Chain,
    names: &dyn Fn(Address) -> String,
    holding: Address,
) -> anyhow::Result<LctsReport> {
    let info = match chain.view(holding, &Query::HoldingSystem(HoldingSystemView::Info)) {
        Ok(Answer::HoldingSystem(HoldingSystemAnswer::Info(i))) => *i,
        Ok(other) => anyhow::bail!("unexpected answer {other:?}"),
        Err(e) => anyhow::bail!("invalid --holding: {e} ({})", e.code()),
    };
    let mut queues = Vec::new();
    for q in [info.subscribe_queue, info.redeem_queue]
        .into_iter()
        .flatten()
    {
        let queue = match chain.view(q, &Query::LctsQueue(LctsQueueView::Queue)) {
            Ok(Answer::LctsQueue(LctsQueueAnswer::Queue(i))) => *i,
            other => anyhow::bail!("queue {q}: unexpected answer {other:?}"),
        };
        let positions = match chain.view(q, &Query::LctsQueue(LctsQueueView::Positions)) {
            Ok(Answer::LctsQueue(LctsQueueAnswer::Positions { positions })) => positions,
            other => anyhow::bail!("queue {q}: unexpected answer {other:?}"),
        };
        queues.push(QueueReport {
            name: names(q),
            address: q,
            queue,
            position_list: positions,
        });
    }
    Ok(LctsReport {
        block_time: chain.now(),
        holding_name: names(holding),
        holding,
        holding_system: info,
        queues,
    })
}

fn wad(w: Wad) -> String {
    human::amount(w.raw(), Wad::DECIMALS)
}

/// The report as text tables.
pub fn render_table(r: &LctsReport, names: &dyn Fn(Address) -> String) -> String {
    let h = &r.holding_system;
    let mut out = format!(
        "srUSDS Holding System {} at {}\n",
        r.holding_name,
        human::utc(r.block_time)
    );
    let mut t = Table::new(&[
        ("", Align::Left),
        ("value", Align::Right),
        ("unit", Align::Left),
    ]);
    let rows: Vec<(&str, String, &str)> = vec![
        (
            "exchange rate",
            wad(h.exchange_rate_wad),
            "sUSDS per srUSDS",
        ),
        ("premium", human::amount(h.premium_apr.raw(), 18), "APR"),
        ("last rate update", human::utc(h.last_update), ""),
        ("Holding System sUSDS", wad(h.holding_susds_wad), "sUSDS"),
        ("srUSDS supply", wad(h.srusds_supply_wad), "srUSDS"),
        ("srUSDS value", wad(h.srusds_value_susds_wad), "sUSDS"),
        (
            "backing ratio",
            h.backing_ratio_wad.map(wad).unwrap_or_else(|| "—".into()),
            "(1 = exactly backed)",
        ),
        ("backed (invariant 7)", yes(h.backed), ""),
        ("haircut open", yes(h.haircut_open), ""),
    ];
    for (k, v, u) in rows {
        t.row(vec![k.to_string(), v, u.to_string()]);
    }
    out.push_str(&t.render());
    let mut q = Table::new(&[
        ("queue", Align::Left),
        ("side", Align::Left),
        ("status", Align::Left),
        ("generation", Align::Right),
        ("waiting", Align::Right),
        ("shares", Align::Right),
        ("converted", Align::Right),
        ("rewards", Align::Right),
        ("positions", Align::Right),
        ("rewards minted", Align::Right),
        ("rewards paid", Align::Right),
    ]);
    for qr in &r.queues {
        let i = &qr.queue;
        let g = i.generation;
        q.row(vec![
            qr.name.clone(),
            side(i).to_string(),
            status(i).to_string(),
            i.current_generation
                .map(human::count)
                .unwrap_or_else(|| "—".into()),
            g.map(|g| wad(g.total_underlying_wad)).unwrap_or_default(),
            g.map(|g| wad(g.total_shares_wad)).unwrap_or_default(),
            g.map(|g| wad(g.converted_wad)).unwrap_or_default(),
            g.map(|g| wad(g.rewards_wad)).unwrap_or_default(),
            human::count(i.positions),
            wad(i.rewards_minted_wad),
            wad(i.rewards_paid_wad),
        ]);
    }
    out.push_str("\nqueues (subscribe: sUSDS waiting, srUSDS rewards; redeem: srUSDS waiting, sUSDS rewards)\n");
    out.push_str(&q.render());
    for qr in &r.queues {
        if qr.position_list.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\npositions in {} ({})\n",
            qr.name,
            side(&qr.queue)
        ));
        let mut p = Table::new(&[
            ("user", Align::Left),
            ("generation", Align::Right),
            ("status", Align::Left),
            ("shares", Align::Right),
            ("claimable reward", Align::Right),
            ("exit underlying", Align::Right),
        ]);
        for pi in &qr.position_list {
            p.row(vec![
                names(pi.user),
                human::count(pi.generation),
                serde_plain(&pi.generation_status),
                wad(pi.shares_wad),
                wad(pi.claimable_reward_wad),
                wad(pi.exit_underlying_wad),
            ]);
        }
        out.push_str(&p.render());
    }
    out
}

fn yes(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn side(i: &QueueInfo) -> &'static str {
    i.side.as_str()
}

fn status(i: &QueueInfo) -> String {
    serde_plain(&i.status)
}

/// The serde name of a unit enum (`"ACTIVE"` → `ACTIVE`).
fn serde_plain<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_default()
}
