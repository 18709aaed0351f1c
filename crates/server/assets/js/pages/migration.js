//! Migration progress: per Prime its plan (cutover, planned tranches), the steps executed, and
//! where its debt sits now; the temporary compatibility set of legacy ilks.
//! Data: `GET /api/v1/ui/migration`.

import { get } from "../api.js";
import { barChart } from "../chart.js";
import { h, amountEl, badge, figure, link, recordLink, section, table } from "../dom.js";

export const NAME = "migration";
export const TITLE = "Migration";

export async function render() {
  const m = await get("/ui/migration");
  const primes = m.primes;
  return h(
    "div",
    {},
    h("h1", {}, "Migration progress"),
    h("div", { class: "figures" },
      figure("compatibility-set", "Temporary compatibility set", m.compatibility_set.length ? m.compatibility_set.join(", ") : "empty"),
      figure("migrated", "Primes fully on the vault", `${m.completed} of ${primes.length}`)),
    section("Debt moved per Prime",
      barChart("migration-progress", "Legacy ilk vs vault debt per Prime (latest Prime report)", primes.map((p) => p.prime), [
        { label: "legacy ilk", values: primes.map((p) => p.debt_legacy_wad) },
        { label: "vault", values: primes.map((p) => p.debt_vault_wad) },
      ], "USDS", { stacked: true }),
      table("migration", ["Prime", "legacy ilk", "plan", "cutover", "planned tranches", "moved by steps", "status"], primes.map((p) => [
        link(`/ui/primes/${encodeURIComponent(p.prime)}`, p.prime),
        p.legacy_ilk ?? "—",
        p.plan ? recordLink(p.plan, "plan") : "—",
        p.cutover_epoch ?? "—",
        amountEl(p.planned_wad, "USDS"),
        amountEl(p.moved_wad, "USDS"),
        badge(p.status),
      ]))),
    section("Steps", table("migration-steps", ["record", "epoch", "Prime", "step", "amount"], m.steps.map((s) => [recordLink(s.record), s.epoch ?? "—", s.prime, s.step, amountEl(s.amount_wad, "USDS")]))),
  );
}
