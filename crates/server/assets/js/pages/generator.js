//! Generator book over time: assets (Prime-vault shares, idle USDS, receivables) against the
//! Generator ilk debt, sampled at each epoch's Moment of Settlement.
//! Data: `GET /api/v1/ui/generator`.

import { get } from "../api.js";
import { barChart, lineChart } from "../chart.js";
import { h, amountEl, figure, section, table, timeEl } from "../dom.js";

export const NAME = "generator";
export const TITLE = "Generator";

export async function render() {
  const g = await get("/ui/generator");
  const pts = g.points;
  const labels = pts.map((p) => p.epoch);
  const last = g.latest;
  return h(
    "div",
    {},
    h("h1", {}, "Generator book"),
    last ? h("p", {}, "As of ", timeEl(last.at), ".") : h("p", {}, "No Generator in this run's chain."),
    h("div", { class: "figures" },
      figure("total-assets", "Total assets", amountEl(last?.total_assets_wad, "USDS")),
      figure("ilk-debt", "Generator ilk debt", amountEl(last?.ilk_debt_wad, "USDS")),
      figure("idle-usds", "Idle USDS", amountEl(last?.idle_usds_wad, "USDS")),
      figure("surplus", "Surplus", amountEl(last?.surplus_wad, "USDS")),
      figure("shortfall", "Shortfall", amountEl(last?.shortfall_wad, "USDS"))),
    section("Assets and liabilities over time",
      lineChart("generator-book", "Total assets vs Generator ilk debt", labels, [
        { label: "total assets", values: pts.map((p) => p.total_assets_wad) },
        { label: "ilk debt", values: pts.map((p) => p.ilk_debt_wad) },
      ], "USDS", { step: true }),
      barChart("generator-assets", "What the assets are", labels, [
        { label: "Prime-vault shares", values: pts.map((p) => p.vault_shares_value_wad) },
        { label: "idle USDS", values: pts.map((p) => p.idle_usds_wad) },
        { label: "receivables", values: pts.map((p) => p.receivables_wad) },
      ], "USDS", { stacked: true })),
    section("Samples", table("generator-points", ["epoch", "at", "total assets", "ilk debt", "vault shares", "idle", "receivables"],
      pts.map((p) => [p.epoch, timeEl(p.at), amountEl(p.total_assets_wad, "USDS"), amountEl(p.ilk_debt_wad, "USDS"), amountEl(p.vault_shares_value_wad, "USDS"), amountEl(p.idle_usds_wad, "USDS"), amountEl(p.receivables_wad, "USDS")]))),
  );
}
