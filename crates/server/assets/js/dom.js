//! Small DOM helpers shared by every page: element creation, figures, tables, links.
//!
//! Contract: each key figure a page shows is made by `figure(name, …)` (attribute
//! `data-figure="<name>"`), each amount by `amountEl` (truncated text, exact value and unit in
//! `title`, exact value in `data-exact`), so the browser test finds and checks them.

import { amount, utc } from "./fmt.js";

/** `h("div", {class: "x"}, child, "text")` */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "onclick") el.addEventListener("click", v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** An amount: truncated for people, exact in the tooltip. A missing value shows "—". */
export function amountEl(text, unit, decimals = 2) {
  if (text === null || text === undefined) return h("span", { class: "amount missing" }, "—");
  return h(
    "span",
    { class: "amount", title: `${text}${unit ? " " + unit : ""}`, "data-exact": text },
    amount(text, unit, decimals),
  );
}

/** A key figure: a labelled value the test can find by `data-figure`. */
export function figure(name, label, value) {
  return h(
    "div",
    { class: "figure" },
    h("div", { class: "figure-label" }, label),
    h("div", { class: "figure-value", "data-figure": name }, value),
  );
}

/** An instant shown as UTC, with the Unix seconds in the tooltip. */
export function timeEl(seconds) {
  return h("time", { title: `unix ${seconds} s`, "data-unix": seconds }, utc(seconds));
}

/** A status word as a coloured badge (`ok`, `late`, `missing`, …). */
export function badge(status) {
  const s = String(status ?? "—");
  return h("span", { class: `badge badge-${s.replace(/[^a-z0-9-]/gi, "")}` }, s);
}

/** A link inside the dashboard (handled by the router, no reload). */
export function link(href, ...children) {
  return h("a", { href, "data-link": true }, ...children);
}

/** A link to a record's detail view. */
export function recordLink(id, text) {
  if (!id) return "—";
  return link(`/ui/records/${id}`, text ?? `${id.slice(0, 10)}…`);
}

/** A table from column headers and rows of cells. */
export function table(name, headers, rows) {
  return h(
    "table",
    { class: "data", "data-table": name },
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))),
  );
}

/** A titled section of a page. */
export function section(title, ...children) {
  return h("section", {}, h("h2", {}, title), ...children);
}
