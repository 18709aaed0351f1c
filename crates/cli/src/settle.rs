//! `laniakea settle`'s human table. Presentation only: the figures come from
//! `laniakea_settlement::inputs::EpochResult` untouched; the conventions (UTC date-times, amounts
//! exact and grouped in thousands, columns sized to their content) are `laniakea_units::human`'s,
//! shared with every human output. `--json` does not come through here.

use laniakea_settlement::inputs::EpochResult;
use laniakea_units::human::{self, Align, Table};
use laniakea_units::Wad;

fn wad(w: Wad) -> String {
    human::amount(w.raw(), Wad::DECIMALS)
}

/// The epoch's statements and distributions as text tables.
pub fn render_table(r: &EpochResult) -> String {
    let mut out = format!(
        "epoch {} (seq {})  convention {}\nwindow {} → {} ({} s)  due {}\n",
        r.epoch,
        r.seq,
        r.convention,
        human::utc(r.window_start),
        human::utc(r.window_end),
        human::count(r.window_end.0.saturating_sub(r.window_start.0)),
        human::utc(r.due),
    );
    let mut t = Table::new(&[
        ("prime", Align::Left),
        ("F debt fees", Align::Right),
        ("I idle reimb.", Align::Right),
        ("P sUSDS spread", Align::Right),
        ("D sky direct", Align::Right),
        ("N net", Align::Right),
        ("R OSRC prem.", Align::Right),
        ("carried pen.", Align::Right),
        ("total", Align::Right),
        ("direction", Align::Left),
    ]);
    for s in &r.statements {
        t.row(vec![
            s.prime.clone(),
            wad(s.max_debt_fees_wad),
            wad(s.idle_usds_reimbursement_wad),
            human::group_decimal(&s.susds_spread_profit_wad.to_string()),
            wad(s.sky_direct_reimbursement_wad),
            human::group_decimal(&s.net_wad.to_string()),
            wad(s.osrc_premium_wad),
            wad(s.carried_penalties_wad),
            human::group_decimal(&s.total_wad.to_string()),
            s.direction.to_string(),
        ]);
    }
    out.push_str(&t.render());
    if !r.distributions.is_empty() {
        out.push_str("distributions (Generator → Prime, USDS):\n");
        let mut d = Table::new(&[
            ("address", Align::Left),
            ("asset", Align::Left),
            ("tier", Align::Right),
            ("bps", Align::Right),
            ("prime", Align::Left),
            ("reward", Align::Right),
            ("", Align::Left),
        ]);
        for l in &r.distributions {
            d.row(vec![
                l.address.to_string(),
                l.asset.to_string(),
                l.tier.to_string(),
                l.tier_bps.to_string(),
                l.prime.clone(),
                wad(l.reward_wad),
                if l.eligible {
                    String::new()
                } else {
                    "tagged this epoch: earns from the next".to_string()
                },
            ]);
        }
        out.push_str(&d.render());
    }
    out.push_str(&format!(
        "amounts in USDS, exact; input digests: epoch {}, distributions {}\n",
        r.epoch_input_digest, r.distributions_input_digest
    ));
    out
}
