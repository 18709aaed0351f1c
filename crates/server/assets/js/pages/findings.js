//! Checker findings: every verification report, its findings, and links to the records they
//! are about. Data: `GET /api/v1/ui/findings`.

import { get } from "../api.js";
import { barChart } from "../chart.js";
import { h, badge, figure, recordLink, section, table } from "../dom.js";

export const NAME = "findings";
export const TITLE = "Checker findings";

export async function render() {
  const f = await get("/ui/findings");
  const reports = f.reports;
  const rows = [];
  for (const r of reports) {
    for (const x of r.findings) {
      rows.push([r.epoch, recordLink(r.record, "report"), x.check, badge(x.status), x.subject ?? "—", x.detail ?? "", x.records.length ? h("span", { class: "links" }, x.records.map((id) => recordLink(id))) : "—"]);
    }
  }
  return h(
    "div",
    {},
    h("h1", {}, "Checker findings"),
    h("div", { class: "figures" },
      figure("reports", "Verification reports", String(reports.length)),
      figure("findings-ok", "Findings ok", String(f.ok)),
      figure("findings-flagged", "Findings flagged", String(f.flagged))),
    barChart("findings-by-epoch", "Findings per epoch", reports.map((r) => r.epoch), [
      { label: "ok", values: reports.map((r) => String(r.ok)), colour: "#16a34a" },
      { label: "flagged", values: reports.map((r) => String(r.flagged)), colour: "#dc2626" },
    ], "findings", { stacked: true }),
    section("All findings", table("findings", ["epoch", "report", "check", "status", "subject", "detail", "records"], rows)),
  );
}
