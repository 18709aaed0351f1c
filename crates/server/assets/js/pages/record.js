//! One Synome record: its columns, its payload, and links to the records it names (the record
//! it supersedes, the author's previous record, a forgiveness's penalty event).
//! Data: `GET /api/v1/records/{id}` (the record's export form).

import { get } from "../api.js";
import { h, figure, recordLink, section, table, timeEl } from "../dom.js";

export const NAME = "record";
export const TITLE = "Record";

const ZERO = /^0x0+$/;

export async function render(id) {
  const r = await get(`/records/${encodeURIComponent(id)}`);
  const links = [];
  if (r.supersedes) links.push(["supersedes", r.supersedes]);
  if (r.prev && !ZERO.test(r.prev)) links.push(["author's previous record", r.prev]);
  if (r.store_prev && !ZERO.test(r.store_prev)) links.push(["store's previous record", r.store_prev]);
  if (r.kind === "forgiveness" && r.payload?.penalty) links.push(["forgives penalty event", r.payload.penalty]);
  return h(
    "div",
    {},
    h("h1", {}, `Record: ${r.kind}`),
    h("div", { class: "figures" },
      figure("record-id", "id", h("code", {}, r.id)),
      figure("record-kind", "kind", r.kind),
      figure("record-epoch", "epoch", r.epoch ?? "—"),
      figure("record-subject", "subject", r.subject)),
    table("record", ["field", "value"], [
      ["author", h("code", {}, r.author)],
      ["role", r.role],
      ["created at", timeEl(r.created_at)],
      ["provenance", r.provenance],
      ["schema version", String(r.schema_version)],
      ["signature", h("code", { class: "wrap" }, r.signature)],
    ]),
    links.length ? section("Linked records", table("record-links", ["relation", "record"], links.map(([rel, x]) => [rel, recordLink(x)]))) : null,
    section("Payload", h("pre", { class: "payload", "data-figure": "payload" }, JSON.stringify(r.payload, null, 2))),
  );
}
