// The API docs page: reads /api/v1/openapi.json and lists every operation by tag with
// its method, path, summary, parameters, request body and answers, then the schemas.
// Plain DOM (textContent only: nothing from the document is parsed as HTML), no
// network past this server, no build step.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options", "trace"];

/** An element with a class and children (strings become text). */
function el(tag, cls, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** Text with `code` spans, as the document's descriptions write them. */
function prose(text, tag = "p") {
  const out = el(tag);
  String(text || "").split("`").forEach((part, i) => {
    out.append(i % 2 ? el("code", null, part) : document.createTextNode(part));
  });
  return out;
}

/** The last segment of a `$ref`. */
const refName = (ref) => ref.split("/").pop();

/** A schema as a short type, with links to named schemas. */
function typeNode(s) {
  const out = el("span", "type");
  const add = (x) => out.append(x instanceof Node ? x : document.createTextNode(x));
  const join = (list, sep) => list.forEach((x, i) => { if (i) add(sep); add(typeNode(x)); });
  if (s === false) { add("nothing"); return out; }
  if (!s || Object.keys(s).filter((k) => k !== "description").length === 0) { add("any"); return out; }
  if (s.$ref) {
    const a = el("a", null, refName(s.$ref));
    a.href = "#schema-" + refName(s.$ref);
    add(a);
    return out;
  }
  if (s.oneOf) { join(s.oneOf, " | "); return out; }
  if (s.anyOf) { join(s.anyOf, " | "); return out; }
  if (s.allOf) { join(s.allOf, " & "); return out; }
  const types = Array.isArray(s.type) ? s.type : [s.type || "object"];
  types.forEach((t, i) => {
    if (i) add(" | ");
    if (t === "array" && s.prefixItems) {
      add("["); join(s.prefixItems, ", "); add("]");
    } else if (t === "array") {
      add(typeNode(s.items)); add("[]");
    } else if (t === "object" && s.additionalProperties && typeof s.additionalProperties === "object") {
      add("map of "); add(typeNode(s.additionalProperties));
    } else if (s.format) {
      add(t + " (" + s.format + ")");
    } else {
      add(t);
    }
  });
  if (s.enum) add(" (" + s.enum.join(", ") + ")");
  return out;
}

/** A table with a header row and rows of cells. */
function table(head, rows) {
  const t = el("table");
  t.append(el("tr", null, ...head.map((h) => el("th", null, h))));
  for (const r of rows) t.append(el("tr", null, ...r.map((c) => el("td", null, c))));
  return t;
}

/** The properties of an object schema (`allOf` parts merged) as table rows. */
function propertyRows(doc, s) {
  const parts = s.allOf ? s.allOf : [s];
  const rows = [];
  for (let p of parts) {
    if (p.$ref) {
      rows.push(["(all of)", typeNode(p), ""]);
      continue;
    }
    const required = new Set(p.required || []);
    for (const [name, prop] of Object.entries(p.properties || {})) {
      const cell = el("span", null, el("code", null, name));
      if (required.has(name)) cell.append(" ", el("span", "req", "required"));
      rows.push([cell, typeNode(prop), prose(prop.description || "", "span")]);
    }
  }
  return rows;
}

/** The contents of a request body or an answer: type by media type. */
function contentList(content) {
  const rows = Object.entries(content || {}).map(([media, m]) => [el("code", null, media), typeNode(m.schema)]);
  return rows.length ? table(["Content type", "Schema"], rows) : null;
}

/** An answer object, following a `$ref` to the document's reusable answers. */
function resolveResponse(doc, r) {
  return r.$ref ? (doc.components.responses || {})[refName(r.$ref)] || {} : r;
}

/** Who may call an operation, in words. */
function securityText(doc, op) {
  const reqs = op.security !== undefined ? op.security : doc.security || [];
  if (reqs.length === 0 || reqs.every((r) => Object.keys(r).length === 0)) return "public";
  return "sign in: " + reqs.map((r) => Object.keys(r).join(" + ")).join(" or ");
}

/** One operation, folded (its summary line) until opened. */
function operation(doc, method, path, op) {
  const box = el("details", "op");
  box.id = op.operationId || method + path;
  box.append(el("summary", null,
    el("span", "method " + method, method.toUpperCase()),
    el("span", "path", path),
    el("span", "summary", op.summary || ""),
    el("span", "lock", securityText(doc, op))));
  const body = el("div", "body");
  if (op.description) body.append(prose(op.description));
  const params = op.parameters || [];
  if (params.length) {
    body.append(el("h4", null, "Parameters"));
    body.append(table(["Name", "In", "Type", "Description"], params.map((p) => [
      el("span", null, el("code", null, p.name), p.required ? el("span", "req", " required") : null),
      p.in, typeNode(p.schema), prose(p.description || "", "span")])));
  }
  if (op.requestBody) {
    body.append(el("h4", null, "Request body" + (op.requestBody.required ? " (required)" : "")));
    if (op.requestBody.description) body.append(prose(op.requestBody.description));
    const c = contentList(op.requestBody.content);
    if (c) body.append(c);
  }
  body.append(el("h4", null, "Answers"));
  body.append(table(["Status", "Description", "Content"], Object.entries(op.responses || {}).map(([status, r]) => {
    const res = resolveResponse(doc, r);
    return [el("strong", null, status), prose(res.description || "", "span"), contentList(res.content) || el("span", "muted", "no body")];
  })));
  box.append(body);
  return box;
}

/** The page from the document. */
function render(doc) {
  document.title = doc.info.title;
  document.getElementById("title").textContent = doc.info.title + " " + (doc.info.version || "");
  document.getElementById("intro").append(prose(doc.info.description || ""));
  const byTag = new Map((doc.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const name = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(name)) byTag.set(name, { tag: { name }, ops: [] });
      byTag.get(name).ops.push([method, path, op]);
    }
  }
  const toc = document.getElementById("toc");
  const main = document.getElementById("ops");
  for (const { tag, ops } of byTag.values()) {
    if (!ops.length) continue;
    const id = "tag-" + tag.name.replace(/\W+/g, "-");
    const link = el("a", null, tag.name);
    link.href = "#" + id;
    toc.append(link);
    const h = el("h2", null, tag.name);
    h.id = id;
    main.append(h);
    if (tag.description) main.append(prose(tag.description));
    for (const [method, path, op] of ops) main.append(operation(doc, method, path, op));
  }
  const schemas = document.getElementById("schemas");
  schemas.append(el("h2", null, "Schemas"));
  for (const [name, s] of Object.entries((doc.components || {}).schemas || {})) {
    const h = el("h3", null, name);
    h.id = "schema-" + name;
    schemas.append(h);
    if (s.description) schemas.append(prose(s.description));
    const rows = propertyRows(doc, s);
    schemas.append(rows.length ? table(["Field", "Type", "Description"], rows) : el("p", null, typeNode(s)));
  }
  document.getElementById("status").remove();
  if (location.hash) {
    const target = document.getElementById(location.hash.slice(1));
    if (target) {
      if (target.tagName === "DETAILS") target.open = true;
      target.scrollIntoView();
    }
  }
}

fetch("/api/v1/openapi.json", { credentials: "same-origin" })
  .then((r) => {
    if (!r.ok) throw new Error("the document answered " + r.status);
    return r.json();
  })
  .then(render)
  .catch((e) => {
    document.getElementById("status").textContent = "Could not load the document: " + e.message;
  });
