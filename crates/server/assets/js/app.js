//! The dashboard's router: maps a path to a page module, renders it into `#view`, and keeps
//! in-dashboard links from reloading the page.
//!
//! Contract: `#view[data-state]` is `loading` while a page fetches, then `ready` (rendered) or
//! `error` (the message names the failed request) — the browser test waits on it. Paths:
//! `/` overview, `/ui/primes`, `/ui/primes/<prime>`, `/ui/generator`, `/ui/srusds`,
//! `/ui/migration`, `/ui/findings`, `/ui/records/<id>`.

import { h } from "./dom.js";
import * as overview from "./pages/overview.js";
import * as primes from "./pages/primes.js";
import * as prime from "./pages/prime.js";
import * as generator from "./pages/generator.js";
import * as srusds from "./pages/srusds.js";
import * as migration from "./pages/migration.js";
import * as findings from "./pages/findings.js";
import * as record from "./pages/record.js";

const ROUTES = [
  [/^\/$/, overview, "overview"],
  [/^\/ui\/?$/, overview, "overview"],
  [/^\/ui\/primes\/?$/, primes, "primes"],
  [/^\/ui\/primes\/([^/]+)$/, prime, "primes"],
  [/^\/ui\/generator\/?$/, generator, "generator"],
  [/^\/ui\/srusds\/?$/, srusds, "srusds"],
  [/^\/ui\/migration\/?$/, migration, "migration"],
  [/^\/ui\/findings\/?$/, findings, "findings"],
  [/^\/ui\/records\/([^/]+)$/, record, "findings"],
];

let generation = 0;

async function render() {
  const view = document.getElementById("view");
  const mine = ++generation;
  const path = location.pathname;
  const match = ROUTES.map(([re, page, nav]) => [re.exec(path), page, nav]).find(([m]) => m);
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", match && a.dataset.nav === match[2]);
  view.dataset.state = "loading";
  view.replaceChildren(h("p", { class: "loading" }, "Loading…"));
  try {
    if (!match) throw new Error(`no dashboard page at ${path}`);
    const [m, page] = match;
    const params = m.slice(1).map(decodeURIComponent);
    const content = await page.render(...params);
    if (mine !== generation) return;
    view.replaceChildren(content);
    document.title = `${page.TITLE} · laniakea`;
    view.dataset.page = page.NAME;
    view.dataset.state = "ready";
  } catch (e) {
    if (mine !== generation) return;
    view.replaceChildren(h("div", { class: "error", "data-error": true }, h("h1", {}, "Could not load this page"), h("p", {}, e.message)));
    view.dataset.state = "error";
  }
}

document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a[data-link]");
  if (!a || ev.metaKey || ev.ctrlKey || ev.shiftKey || a.origin !== location.origin) return;
  ev.preventDefault();
  history.pushState(null, "", a.pathname);
  render();
});
window.addEventListener("popstate", render);
render();
