//! srUSDS: exchange rate, backing (Holding System sUSDS vs what srUSDS is worth) and the LCTS
//! queue sizes over time, plus the lpha-lcts settlement records.
//! Data: `GET /api/v1/ui/srusds`.

import { get } from "../api.js";
import { barChart, lineChart } from "../chart.js";
import { h, amountEl, figure, section, table, recordLink } from "../dom.js";

export const NAME = "srusds";
export const TITLE = "srUSDS";

export async function render() {
  const d = await get("/ui/srusds");
  const pts = d.points;
  const labels = pts.map((p) => p.epoch);
  const last = d.latest;
  return h(
    "div",
    {},
    h("h1", {}, "srUSDS"),
    h("div", { class: "figures" },
      figure("exchange-rate", "Exchange rate", amountEl(last?.exchange_rate_wad, "sUSDS per srUSDS", 6)),
      figure("holding-susds", "Holding System", amountEl(last?.holding_susds_wad, "sUSDS")),
      figure("srusds-supply", "srUSDS supply", amountEl(last?.srusds_supply_wad, "srUSDS")),
      figure("backing-ratio", "Backing ratio", amountEl(last?.backing_ratio_wad, "", 4))),
    section("Exchange rate",
      lineChart("srusds-rate", "Exchange rate (sUSDS per srUSDS)", labels, [{ label: "exchange rate", values: pts.map((p) => p.exchange_rate_wad) }], "sUSDS per srUSDS", { step: true, range: rateRange(pts) })),
    section("Backing",
      lineChart("srusds-backing", "Holding System sUSDS vs the sUSDS all srUSDS is worth", labels, [
        { label: "Holding System sUSDS", values: pts.map((p) => p.holding_susds_wad) },
        { label: "srUSDS value", values: pts.map((p) => p.srusds_value_susds_wad) },
      ], "sUSDS", { step: true })),
    section("Queues",
      barChart("srusds-queues", "Waiting in the current generation of each queue", labels, [
        { label: "subscribe (sUSDS)", values: pts.map((p) => p.subscribe_waiting_wad) },
        { label: "redeem (srUSDS)", values: pts.map((p) => p.redeem_waiting_wad) },
      ], "")),
    section("LCTS settlements",
      d.settlements.length
        ? table("lcts-settlements", ["record", "epoch", "rate before", "rate after", "subscribed", "srUSDS out", "redeemed", "sUSDS out", "fallback"], d.settlements.map((s) => [
            recordLink(s.record), s.epoch, amountEl(s.rate_before_wad, "", 6), amountEl(s.rate_after_wad, "", 6),
            amountEl(s.subscribe_converted_susds_wad, "sUSDS"), amountEl(s.subscribe_output_srusds_wad, "srUSDS"),
            amountEl(s.redeem_converted_srusds_wad, "srUSDS"), amountEl(s.redeem_output_susds_wad, "sUSDS"), s.fallback_used]))
        : h("p", {}, "No lcts-settlement records.")),
  );
}

/** A rate stays near 1: zoom the axis on its own range rather than from 0. */
function rateRange(pts) {
  const v = pts.map((p) => Number(p.exchange_rate_wad)).filter(Number.isFinite);
  if (!v.length) return undefined;
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.001 || 1;
  return [lo - pad, hi + pad];
}
