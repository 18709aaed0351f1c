//! Prime detail: obligation and payment history, debt location (legacy ilk vs vault) over
//! time, penalties (with forgiveness) and receipts, each linked to its record.
//! Data: `GET /api/v1/ui/primes/{prime}`.

import { get } from "../api.js";
import { barChart } from "../chart.js";
import { h, amountEl, badge, figure, recordLink, table, section, timeEl } from "../dom.js";

export const NAME = "prime";
export const TITLE = "Prime";

export async function render(prime) {
  const p = await get(`/ui/primes/${encodeURIComponent(prime)}`);
  const labels = p.epochs.map((e) => e.epoch);
  const last = p.epochs.length ? p.epochs[p.epochs.length - 1] : null;
  const figures = h(
    "div",
    { class: "figures" },
    figure("prime", "Prime", p.prime),
    figure("debt-legacy", "Legacy-ilk debt (latest)", amountEl(last?.debt_legacy_wad, "USDS")),
    figure("debt-vault", "Vault debt (latest)", amountEl(last?.debt_vault_wad, "USDS")),
    figure("paid-total", "Paid (all receipts)", amountEl(p.totals.paid_wad, "USDS")),
    figure("penalties-total", "Penalties", amountEl(p.totals.penalties_wad, "USDS")),
    figure("forgiven-total", "Forgiven", amountEl(p.totals.forgiven_wad, "USDS")),
  );
  const penalties = p.penalties.map((x) => [
    recordLink(x.record),
    x.epoch,
    x.obligation,
    amountEl(x.amount_wad, "USDS", 6),
    timeEl(x.from),
    timeEl(x.to),
    amountEl(x.forgiven_wad, "USDS", 6),
    x.forgiveness.length ? h("span", {}, x.forgiveness.map((id) => recordLink(id))) : "—",
  ]);
  const receipts = p.receipts.map((x) => [recordLink(x.record), x.epoch, amountEl(x.amount_wad, "USDS"), timeEl(x.paid_at), x.payer, x.obligation]);
  const history = p.epochs.map((e) => [e.epoch, e.statement ? recordLink(e.statement) : "—", amountEl(e.total_wad, "USDS"), e.direction ?? "—", amountEl(e.paid_wad, "USDS"), badge(e.payment)]);
  return h(
    "div",
    {},
    h("h1", {}, `Prime ${p.prime}`),
    figures,
    section("Obligations and payments",
      barChart("prime-obligations", "Obligation per epoch (signed: negative when the Generator pays) and receipts", labels, [
        { label: "obligation", values: p.epochs.map((e) => e.signed_total_wad) },
        { label: "paid", values: p.epochs.map((e) => e.paid_wad) },
      ], "USDS"),
      table("prime-epochs", ["epoch", "statement", "obligation", "direction", "paid", "payment"], history)),
    section("Where the debt sits",
      barChart("prime-debt-location", "Debt: legacy ilk vs Prime vault, per epoch (Prime reports)", labels, [
        { label: "legacy ilk", values: p.epochs.map((e) => e.debt_legacy_wad) },
        { label: "vault", values: p.epochs.map((e) => e.debt_vault_wad) },
      ], "USDS", { stacked: true })),
    section("Penalties",
      barChart("prime-penalties", "Penalties and forgiveness per epoch", labels, [
        { label: "penalties", values: p.epochs.map((e) => e.penalties_wad) },
        { label: "forgiven", values: p.epochs.map((e) => e.forgiven_wad) },
      ], "USDS"),
      penalties.length ? table("penalties", ["record", "epoch", "obligation", "penalty", "from", "to", "forgiven", "forgiveness"], penalties) : h("p", {}, "No penalties.")),
    section("Receipts", receipts.length ? table("receipts", ["record", "epoch", "amount", "paid at", "payer", "obligation"], receipts) : h("p", {}, "No receipts.")),
  );
}
