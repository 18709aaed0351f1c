//! `laniakea book`: the Generator's accounting views on a script's (or a run database's) final state (SPEC §4.6,
//! issue 10 item 6), as human tables or `--json`. Presentation only: the figures are the
//! engine's `generator` views (`book`, `debtLocations`, `compatibilitySet`, `liquidityBuffer`).

use anyhow::{anyhow, Context};
use laniakea_chain::families::generator::{
    Book, BufferStatus, DebtLocation, GeneratorAnswer, GeneratorView,
};
use laniakea_chain::{Answer, Engine, Query};
use laniakea_units::human::{self, Align, Table};
use laniakea_units::Wad;

/// The four views, read from the contract `generator` of the final state.
pub struct Views {
    pub at: laniakea_units::Timestamp,
    pub book: Book,
    pub debt: Vec<DebtLocation>,
    pub compat: Vec<String>,
    pub buffer: BufferStatus,
}

fn ask(
    e: &Engine,
    at: alloy_primitives::Address,
    v: GeneratorView,
) -> anyhow::Result<GeneratorAnswer> {
    match e.view(at, &Query::GeneratorRegistry(v)) {
        Ok(Answer::GeneratorRegistry(a)) => Ok(a),
        Ok(other) => Err(anyhow!("unexpected answer {other:?}")),
        Err(r) => Err(anyhow!("{} ({})", r, r.code())),
    }
}

/// Runs `text` on a fresh engine and reads the views of the contract named `name`.
pub fn views(text: &str, name: &str) -> anyhow::Result<Views> {
    let script = laniakea_chain::script::parse(text)?;
    let at = script
        .address(name)
        .with_context(|| format!("the script declares no contract named '{name}'"))?;
    let mut e = Engine::new(script.genesis());
    script.run_on(&mut e);
    views_on(&e, at)
}

/// Reads the views of the Generator registry at `at` on `e` (a script's or a run's final state).
pub fn views_on(e: &Engine, at: alloy_primitives::Address) -> anyhow::Result<Views> {
    let book = match ask(e, at, GeneratorView::Book)? {
        GeneratorAnswer::Book(b) => b,
        a => return Err(anyhow!("unexpected answer {a:?}")),
    };
    let debt = match ask(e, at, GeneratorView::DebtLocations)? {
        GeneratorAnswer::DebtLocations { primes } => primes,
        a => return Err(anyhow!("unexpected answer {a:?}")),
    };
    let compat = match ask(e, at, GeneratorView::CompatibilitySet)? {
        GeneratorAnswer::CompatibilitySet { ilks } => ilks,
        a => return Err(anyhow!("unexpected answer {a:?}")),
    };
    let buffer = match ask(e, at, GeneratorView::LiquidityBuffer)? {
        GeneratorAnswer::LiquidityBuffer(b) => b,
        a => return Err(anyhow!("unexpected answer {a:?}")),
    };
    Ok(Views {
        at: e.now(),
        book,
        debt,
        compat,
        buffer,
    })
}

/// `--json`: one object with the exact machine forms.
pub fn to_json(v: &Views) -> serde_json::Value {
    serde_json::json!({
        "block_time": v.at.0,
        "book": v.book,
        "debt_locations": v.debt,
        "compatibility_set": v.compat,
        "liquidity_buffer": v.buffer,
    })
}

fn wad(w: Wad) -> String {
    human::amount(w.raw(), Wad::DECIMALS)
}

/// The human tables.
pub fn render(v: &Views) -> String {
    let b = &v.book;
    let mut out = format!("Generator book at {}\n\n", human::utc(v.at));
    let mut t = Table::new(&[("", Align::Left), ("USDS", Align::Right)]);
    for h in &b.vaults {
        t.row(vec![
            format!("  vault {} ({} shares)", h.prime, wad(h.shares_wad)),
            wad(h.value_wad),
        ]);
    }
    t.row(vec!["  idle USDS".into(), wad(b.idle_usds_wad)]);
    t.row(vec!["  receivables".into(), wad(b.receivables_wad)]);
    t.row(vec!["assets".into(), wad(b.total_assets_wad)]);
    t.row(vec![
        "liabilities: Generator ilk debt".into(),
        wad(b.ilk_debt_wad),
    ]);
    if b.shortfall_wad.is_zero() {
        t.row(vec!["surplus".into(), wad(b.surplus_wad)]);
    } else {
        t.row(vec![
            "shortfall".into(),
            format!("-{}", wad(b.shortfall_wad)),
        ]);
    }
    out.push_str(&t.render());
    out.push_str("\nWhere each Prime's debt sits\n\n");
    let mut t = Table::new(&[
        ("prime", Align::Left),
        ("legacy ilk", Align::Left),
        ("legacy debt USDS", Align::Right),
        ("vault principal USDS", Align::Right),
        ("total USDS", Align::Right),
        ("migration", Align::Left),
    ]);
    for d in &v.debt {
        t.row(vec![
            d.prime.clone(),
            if d.legacy_ilk.is_empty() {
                "-".into()
            } else {
                d.legacy_ilk.clone()
            },
            wad(d.legacy_debt_wad),
            wad(d.vault_principal_wad),
            wad(d.total_wad),
            d.migration.to_string(),
        ]);
    }
    out.push_str(&t.render());
    out.push_str(&format!(
        "\nTemporary compatibility set: {}\n",
        if v.compat.is_empty() {
            "(empty)".to_string()
        } else {
            v.compat.join(", ")
        }
    ));
    let f = &v.buffer;
    out.push_str(&format!(
        "Liquidity buffer (epoch {}): required {} USDS, idle {} USDS: {}\n",
        f.epoch,
        wad(f.required_wad),
        wad(f.idle_usds_wad),
        if f.holds {
            format!("holds (headroom {})", wad(f.headroom_wad))
        } else {
            format!("BREACHED (short {})", wad(f.shortfall_wad))
        }
    ));
    out
}
