//! Primes table: per Prime, where its debt sits now (legacy ilk vs vault), its latest
//! obligation and payment, penalties and forgiveness. Data: `GET /api/v1/ui/primes`.

import { get } from "../api.js";
import { barChart } from "../chart.js";
import { h, amountEl, badge, link, table, section, figure } from "../dom.js";

export const NAME = "primes";
export const TITLE = "Primes";

export async function render() {
  const { primes } = await get("/ui/primes");
  const rows = primes.map((p) => [
    link(`/ui/primes/${encodeURIComponent(p.prime)}`, p.prime),
    p.latest_epoch ?? "—",
    amountEl(p.debt_legacy_wad, "USDS"),
    amountEl(p.debt_vault_wad, "USDS"),
    amountEl(p.last_total_wad, "USDS"),
    p.last_direction ?? "—",
    badge(p.last_timeliness ?? "n/a"),
    amountEl(p.paid_wad, "USDS"),
    amountEl(p.penalties_wad, "USDS"),
    amountEl(p.forgiven_wad, "USDS"),
  ]);
  return h(
    "div",
    {},
    h("h1", {}, "Primes"),
    h("div", { class: "figures" }, figure("prime-count", "Primes", String(primes.length))),
    table("primes", ["Prime", "latest epoch", "legacy-ilk debt", "vault debt", "last obligation", "direction", "timeliness", "paid (all)", "penalties", "forgiven"], rows),
    section("Where the debt sits now",
      barChart("primes-debt", "Debt per Prime: legacy ilk vs Prime vault (latest Prime report)", primes.map((p) => p.prime), [
        { label: "legacy ilk", values: primes.map((p) => p.debt_legacy_wad) },
        { label: "vault", values: primes.map((p) => p.debt_vault_wad) },
      ], "USDS", { stacked: true })),
  );
}
