//! Overview: the current epoch, the settlement clock (Active / Processing window, time to
//! 16:00 UTC from the server's "now"), and today's statuses per Prime. Data:
//! `GET /api/v1/ui/overview`.

import { get } from "../api.js";
import { clock, barChart } from "../chart.js";
import { h, figure, amountEl, timeEl, badge, link, recordLink, table, section } from "../dom.js";
import { duration } from "../fmt.js";

export const NAME = "overview";
export const TITLE = "Overview";

export async function render() {
  const o = await get("/ui/overview");
  const t = o.today;
  const windowName = o.window === "processing" ? "Processing Window" : "Active Window";
  const figures = h(
    "div",
    { class: "figures" },
    figure("current-epoch", "Current epoch (next settlement)", o.current_epoch),
    figure("window", "Window", windowName),
    figure("time-to-settlement", "Time to 16:00 UTC", duration(o.seconds_to_settlement)),
    figure("now", `Now (${o.now_source})`, timeEl(o.now)),
    figure("epochs-settled", "Epochs settled", String(o.totals.epochs_settled)),
    figure("epochs-skipped", "Epochs skipped", String(o.totals.epochs_skipped)),
    figure("findings-flagged", "Checker findings flagged", String(o.totals.findings_flagged)),
  );
  const rows = t.primes.map((p) => [
    link(`/ui/primes/${encodeURIComponent(p.prime)}`, p.prime),
    p.statement ? recordLink(p.statement, "posted") : badge(t.skip ? "skipped" : "pending"),
    amountEl(p.total_wad, "USDS"),
    p.direction ?? "—",
    amountEl(p.paid_wad, "USDS"),
    badge(p.payment),
    p.report ? recordLink(p.report, "report") : "—",
  ]);
  const verification = t.verification
    ? h("p", {}, "Checker: ", recordLink(t.verification.record, "verification report"), ` — ${t.verification.ok} ok, ${t.verification.flagged} flagged`)
    : h("p", {}, "Checker: no verification report for this epoch yet.");
  const skip = t.skip ? h("p", { class: "note" }, "Skipped: ", t.skip.reason, " (", recordLink(t.skip.record, "skip record"), ")") : null;
  const recent = o.recent;
  return h(
    "div",
    {},
    h("h1", {}, "Overview"),
    figures,
    h("div", { class: "row" },
      clock("clock", `${windowName} — ${duration(o.seconds_to_settlement)} to the Moment of Settlement`, o.second_of_day),
      barChart("recent-obligations", "Obligations of recent epochs, all Primes (positive: Prime pays)", recent.map((e) => e.epoch), [
        { label: "obligations", values: recent.map((e) => e.obligations_wad) },
        { label: "paid", values: recent.map((e) => e.paid_wad) },
      ], "USDS")),
    section(`Today: epoch ${t.epoch}`, skip, table("today", ["Prime", "statement", "obligation", "direction", "paid", "payment", "Prime report"], rows), verification),
  );
}
