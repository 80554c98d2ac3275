// popcache's dashboard: polls the emulator's figures and shows them, with no library.
// Names in the figures (PoPs, zones, classes) come from requests, so every value reaches the
// page as text: textContent and setAttribute only, never as markup.
"use strict";

const STATS = "stats?window=600";
const POLL_MS = 1000;
const SVG = "http://www.w3.org/2000/svg";
const CHART = { width: 600, height: 180, left: 64, right: 8, top: 10, bottom: 22 };
// Columns of the PoP and class tables: the figure's field, its heading and how it is shown.
const TRAFFIC = [
  ["requests", "requests", count], ["hit_ratio", "hit ratio", percent], ["hit", "fresh", count],
  ["stale", "stale", count], ["collapsed", "collapsed", count], ["miss", "miss", count],
  ["origin_requests", "origin req.", count], ["offload", "offload", percent],
  ["p50_ms", "p50", millis], ["p99_ms", "p99", millis], ["errors", "5xx", count],
];

function count(value) {
  return Number(value).toLocaleString("en-US");
}

function percent(ratio) {
  return `${(Number(ratio) * 100).toFixed(1)}%`;
}

function millis(ms) {
  const value = Number(ms);
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

function clockTime(seconds) {
  return new Date(Number(seconds) * 1000).toLocaleTimeString("en-GB");
}

function element(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;
  return node;
}

function showFigure(name, text) {
  for (const node of document.querySelectorAll(`[data-figure="${name}"]`)) {
    node.textContent = text;
  }
}

// A heading row, then one row a name: its name cell, then each column's figure in a cell
// named by data-field.
function fillTable(id, rowAttribute, heading, rows, columns) {
  const head = element("tr");
  head.append(element("th", {}, heading), ...columns.map(([, label]) => element("th", {}, label)));
  const body = element("tbody");
  const names = Object.keys(rows).sort();
  body.append(...names.map((name) => {
    const row = element("tr", { [rowAttribute]: name });
    row.append(element("th", { scope: "row" }, name));
    for (const [field, , show] of columns) {
      const value = rows[name][field];
      row.append(element("td", { "data-field": field }, value === undefined ? "–" : show(value)));
    }
    return row;
  }));
  if (names.length === 0) body.append(emptyRow(columns.length + 1));
  const table = document.getElementById(id);
  table.replaceChildren(element("thead"), body);
  table.tHead.append(head);
}

function emptyRow(width) {
  const row = element("tr", { class: "empty" });
  row.append(element("td", { colspan: String(width) }, "nothing yet"));
  return row;
}

function showTotals(stats) {
  for (const [field, , show] of TRAFFIC) showFigure(`total.${field}`, show(stats.total[field]));
  showFigure("invalidation.count", count(stats.invalidation.count));
  showFigure("invalidation.p50_ms", millis(stats.invalidation.p50_ms));
  showFigure("invalidation.p99_ms", millis(stats.invalidation.p99_ms));
}

function showPurges(purges) {
  const body = document.getElementById("purges");
  body.replaceChildren(...purges.map((purge, index) => {
    const row = element("tr", { "data-purge": String(index) });
    row.append(
      element("td", { "data-field": "time" }, clockTime(purge.time)),
      element("td", { "data-field": "mode" }, purge.mode),
      element("td", { "data-field": "selector" }, purge.selector),
      element("td", { "data-field": "values" }, (purge.values || []).join(", ")),
    );
    return row;
  }));
  if (purges.length === 0) body.append(emptyRow(4));
}

function showQueues(queues) {
  const rows = {};
  for (const [name, depth] of Object.entries(queues)) rows[name] = { messages: depth };
  fillTable("queues", "data-queue", "queue", rows, [["messages", "messages waiting", count]]);
  // Messages in a dead-letter queue are ones the consumer gave up on: worth seeing at once.
  for (const row of document.querySelectorAll("#queues tr[data-queue]")) {
    const name = row.getAttribute("data-queue");
    if (name.endsWith("dlq") && queues[name] > 0) row.classList.add("dlq");
  }
}

// A line chart of some fields of the series, y from 0 to the largest value shown.
function drawChart(name, series, lines, show) {
  const svg = document.getElementById(`chart-${name}`);
  const { width, height, left, right, top, bottom } = CHART;
  const values = series.flatMap((point) => lines.map(([field]) => lineValue(point, field)));
  const most = Math.max(0, ...values);
  const span = series.length > 1 ? series[series.length - 1].t - series[0].t : 0;
  const x = (t) => left + (span ? ((t - series[0].t) / span) * (width - left - right) : 0);
  const y = (v) => height - bottom - (most ? (v / most) * (height - top - bottom) : 0);
  const parts = [
    svgNode("line", { x1: left, x2: width - right, y1: y(0), y2: y(0), class: "axis" }),
    svgNode("text", { x: left - 4, y: y(0), class: "tick end" }, show(0)),
  ];
  if (most > 0) {
    parts.push(
      svgNode("line", { x1: left, x2: width - right, y1: top, y2: top, class: "grid" }),
      svgNode("text", { x: left - 4, y: top + 4, class: "tick end" }, show(most)),
    );
  }
  if (series.length > 0) {
    const minutes = Math.round(span / 60);
    parts.push(
      svgNode("text", { x: left, y: height - 6, class: "tick" }, `−${minutes} min`),
      svgNode("text", { x: width - right, y: height - 6, class: "tick end" }, "now"),
    );
  }
  for (const [field, , style] of lines) {
    const points = series.map((point) => `${x(point.t)},${y(lineValue(point, field))}`);
    parts.push(svgNode("polyline", { points: points.join(" "), class: `line ${style}` }));
  }
  svg.replaceChildren(...parts);
  const keys = document.getElementById(`keys-${name}`);
  keys.replaceChildren(
    ...lines.map(([, label, style]) => element("span", { class: `key ${style}` }, label)),
  );
}

// "hits" is every answer from the cache: fresh, stale and collapsed.
function lineValue(point, field) {
  if (field === "hits") return Number(point.hit) + Number(point.stale) + Number(point.collapsed);
  return Number(point[field]);
}

function svgNode(tag, attributes, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function render(stats) {
  showTotals(stats);
  fillTable("pops", "data-pop", "PoP", stats.pops,
    [...TRAFFIC, ["backpressure", "back-pressure", count]]);
  fillTable("classes", "data-class", "class", stats.classes, TRAFFIC);
  fillTable("zones", "data-zone", "zone", stats.zones, [
    ["requests", "requests", count], ["errors", "5xx", count],
    ["error_rate", "error rate", percent],
  ]);
  showQueues(stats.queues);
  showPurges(stats.purges);
  drawChart("requests", stats.series, [
    ["requests", "requests", "c1"], ["hits", "hits (fresh + stale + collapsed)", "c2"],
    ["origin_requests", "origin requests", "c3"],
  ], count);
  drawChart("latency", stats.series, [["p99_ms", "p99 latency", "c4"]], millis);
  drawChart("invalidation", stats.series,
    [["invalidation_p99_ms", "invalidation p99", "c5"]], millis);
  const status = document.getElementById("status");
  status.classList.remove("down");
  const minutes = Math.round(stats.window / 60);
  status.textContent = `Updated ${clockTime(stats.at)} · last ${minutes} min`;
}

async function poll() {
  try {
    const reply = await fetch(STATS, { cache: "no-store" });
    if (!reply.ok) throw new Error(`the stats endpoint answered ${reply.status}`);
    render(await reply.json());
  } catch (error) {
    const status = document.getElementById("status");
    status.classList.add("down");
    status.textContent = `No figures: ${error.message}`;
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

// The demo buttons: the emulator forwards each to the demo origin; its answer is shown as text.
async function demo(path, body, describe) {
  const result = document.getElementById("demo-result");
  result.textContent = "…";
  try {
    const reply = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await reply.json();
    result.textContent = reply.ok
      ? describe(answer)
      : `Refused (${reply.status}): ${answer.detail}`;
  } catch (error) {
    result.textContent = `Failed: ${error.message}`;
  }
}

function describeMode(answer) {
  const knobs = answer.knobs;
  return `The demo origin is ${answer.mode}: ${knobs.latency_ms} ms latency (+${knobs.jitter_ms}), `
    + `${percent(knobs.fail_rate)} answered ${knobs.fail_status}.`;
}

function describeRestock(answer) {
  return `${answer.sku} at ${answer.store_id}: ${answer.qty} in stock; the origin sends its `
    + `inventory event to the edge (purge tags ${answer.purge_tags.join(", ")}).`;
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-mode]")) {
    button.addEventListener("click", () => {
      demo("demo/origin-mode", { mode: button.getAttribute("data-mode") }, describeMode);
    });
  }
  const form = document.getElementById("restock");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const fields = form.elements;
    const body = {
      sku: fields.sku.value.trim(),
      store_id: fields.store_id.value.trim(),
      qty: Number(fields.qty.value),
    };
    demo("demo/restock", body, describeRestock);
  });
  poll();
});
