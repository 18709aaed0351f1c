//! One Synome record: its columns, its payload, and links to the records it names.
//! Data: `GET /api/v1/ui/records/{id}`.

import { get } from "../api.js";
import { h, figure, recordLink, section, table, timeEl } from "../dom.js";

export const NAME = "record";
export const TITLE = "Record";

export async function render(id) {
  const { record: r, links } = await get(`/ui/records/${encodeURIComponent(id)}`);
  return h(
    "div",
    {},
    h("h1", {}, `Record ${r.kind}`),
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
      ["supersedes", r.supersedes ? recordLink(r.supersedes) : "—"],
      ["author's previous", r.prev ? recordLink(r.prev) : "—"],
    ]),
    links.length ? section("Linked records", table("record-links", ["relation", "record"], links.map((l) => [l.relation, recordLink(l.record)]))) : null,
    section("Payload", h("pre", { class: "payload", "data-figure": "payload" }, JSON.stringify(r.payload, null, 2))),
  );
}
