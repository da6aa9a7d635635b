// sidelines explore: the page. Plain JavaScript and SVG, served by the binary; nothing is
// fetched from anywhere but this server.
"use strict";

const NS = "http://www.w3.org/2000/svg";
const state = {
  model: null,
  values: { a: {}, b: {} }, // the values each setting changed, by path
  compare: false,
  record: false,
  editing: "a",
  controls: [], // parameter paths with a control
  job: null,
  version: null,
  picture: null,
  day: 0,
  timer: null,
  polling: null,
  runs: 0, // requests sent to /api/run
  polls: 0, // poll loops started
};

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};
const svg = (tag, attrs = {}) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};
const pct = (x) => (100 * x).toFixed(1) + "%";
const num = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3));
const signed = (x, f) => (x > 0 ? "+" : x < 0 ? "−" : "±") + f(Math.abs(x));

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
  const r = await fetch(path, init);
  const data = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw Object.assign(new Error(data.error || r.statusText), { status: r.status });
  return data;
}

function status(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

// ---- the model ---------------------------------------------------------------------------

async function start() {
  let m;
  try {
    m = await api("/api/model");
  } catch (e) {
    status("cannot load the model: " + e.message, true);
    return;
  }
  state.model = m;
  $("scenario").textContent = m.scenario;
  $("description").textContent = m.description;
  state.controls = m.parameters.filter((p) => p.control).map((p) => p.path);
  const add = $("add-param");
  for (const p of m.parameters) {
    if (!p.control) add.append(el("option", { value: p.path, text: `${p.label} (${p.path})` }));
  }
  add.addEventListener("change", () => {
    if (add.value && !state.controls.includes(add.value)) {
      state.controls.push(add.value);
      add.querySelector(`option[value="${CSS.escape(add.value)}"]`)?.remove();
      drawControls();
    }
    add.value = "";
  });
  if (m.record) {
    $("record-label").textContent = `replay the record (${m.record.name}, to ${m.record.last_date})`;
  } else {
    $("record").disabled = true;
    $("record-label").textContent = "no record for this scenario (start with --timeline FILE)";
  }
  // A browser may restore the boxes on reload: start from what they show.
  $("compare").checked = false;
  $("record").checked = false;
  $("record").addEventListener("change", (e) => { state.record = e.target.checked; runSoon(0); });
  $("compare").addEventListener("change", (e) => {
    state.compare = e.target.checked;
    const b = document.querySelector('#editing input[value="b"]');
    b.disabled = !state.compare;
    if (state.compare) {
      state.values.b = { ...state.values.a };
    } else {
      state.editing = "a";
      document.querySelector('#editing input[value="a"]').checked = true;
    }
    drawControls();
    runSoon(0);
  });
  for (const r of document.querySelectorAll('#editing input')) {
    r.addEventListener("change", () => { state.editing = r.value; drawControls(); });
  }
  const scrub = $("scrubber");
  scrub.max = String(m.horizon - 1);
  scrub.addEventListener("input", () => { state.day = Number(scrub.value); drawDay(); });
  $("save").addEventListener("click", () => save(false));
  drawControls();
  drawFanFrames();
  drawDay();
  runSoon(0);
}

function param(path) {
  return state.model.parameters.find((p) => p.path === path);
}

function valueOf(setting, path) {
  const v = state.values[setting][path];
  return v === undefined ? param(path).value : v;
}

// ---- controls ----------------------------------------------------------------------------

function drawControls() {
  const box = $("sliders");
  box.replaceChildren();
  const s = state.editing;
  for (const path of state.controls) {
    const p = param(path);
    const v = valueOf(s, path);
    const changed = v !== p.value;
    const step = p.integer ? 1 : (p.max - p.min) / 200;
    const range = el("input", { type: "range", min: p.min, max: p.max, step, value: v, "data-path": path, "aria-label": p.label });
    const exact = el("input", { type: "number", min: p.min, max: p.max, step: p.integer ? 1 : "any", value: v, "aria-label": p.label + " (exact)" });
    const reset = el("button", { type: "button", title: "back to the scenario's value", text: "reset" });
    const name = el("div", { class: "name" }, el("span", { text: p.label }), el("span", { class: "hint", text: `[${p.min}, ${p.max}]${p.key ? " · key" : ""}` }));
    const other = valueOf(s === "a" ? "b" : "a", path);
    const otherLine = state.compare ? el("div", { class: "other", text: `${s === "a" ? "B" : "A"}: ${num(other)} · scenario: ${num(p.value)}` }) : el("div", { class: "other", text: `scenario: ${num(p.value)}` });
    const div = el("div", { class: "control" + (changed ? " changed" : "") + (s === "b" ? " in-b" : ""), "data-path": path },
      name, el("div", { class: "row" }, range, exact, reset), otherLine,
      el("div", { class: "doc", text: p.doc }), el("div", { class: "path", text: path }));
    const set = (x, now) => {
      if (!Number.isFinite(x)) return;
      x = Math.min(p.max, Math.max(p.min, p.integer ? Math.round(x) : x));
      if (x === p.value) delete state.values[s][path];
      else state.values[s][path] = x;
      range.value = x;
      exact.value = x;
      div.classList.toggle("changed", x !== p.value);
      runSoon(now ? 0 : 250);
    };
    range.addEventListener("input", () => { exact.value = range.value; set(Number(range.value), false); });
    range.addEventListener("change", () => set(Number(range.value), true));
    exact.addEventListener("change", () => set(Number(exact.value), true));
    reset.addEventListener("click", () => set(p.value, true));
    box.append(div);
  }
}

// ---- runs --------------------------------------------------------------------------------

function runSoon(delay) {
  clearTimeout(state.timer);
  state.timer = setTimeout(run, delay);
}

async function run() {
  const body = { a: state.values.a, record: state.record };
  if (state.compare) body.b = state.values.b;
  // Requests may answer out of order: only the latest one's job is followed.
  const seq = ++state.runs;
  let job;
  try {
    job = await api("/api/run", body);
  } catch (e) {
    if (seq !== state.runs) return;
    // The charts show the last setting that ran, not this one: say so, and stop following it.
    clearTimeout(state.polling);
    state.job = null;
    status(e.message + " (the charts show the last setting that ran)", true);
    return;
  }
  if (seq !== state.runs) return;
  state.job = job.job;
  state.version = null;
  status("running…");
  poll(job.job, ++state.polls);
}

function openSeries() {
  const keys = [];
  for (const d of document.querySelectorAll("#fans details[open]")) {
    for (const c of d.querySelectorAll(".chart")) keys.push(c.dataset.series);
  }
  return keys;
}

// One loop follows the current job (`loop` numbers them: a loop started later, when a chart
// group opens or a new job starts, ends the earlier one).
async function poll(job, loop) {
  clearTimeout(state.polling);
  if (job !== state.job || loop !== state.polls) return;
  const since = state.version === null ? "" : `&since=${state.version}`;
  let p;
  try {
    p = await api(`/api/picture?job=${job}${since}&series=${openSeries().join(",")}`);
  } catch (e) {
    if (job !== state.job) return;
    status(e.status === 410
      ? "these runs were replaced by a newer request (another tab or script on this explorer?): move a control to run again"
      : e.message, true);
    return;
  }
  if (job !== state.job || loop !== state.polls) return;
  try {
    if (!p.unchanged) {
      state.version = p.version;
      state.picture = p;
      drawPicture();
    }
  } finally {
    const last = state.picture;
    const finished = last && last.job === job && (last.done || last.cancelled);
    if (!finished) state.polling = setTimeout(() => poll(job, loop), 200);
  }
}

function drawPicture() {
  const p = state.picture;
  const secs = (p.elapsed_ms / 1000).toFixed(1);
  const settings = p.settings.length === 2 ? "A and B, " : "";
  if (p.error) status("the runs stopped: " + p.error, true);
  else status(`${p.runs.toLocaleString("en")} of ${p.target.toLocaleString("en")} runs per setting (${settings}${secs} s)${p.done ? " · done" : ""}`);
  $("status").dataset.runs = String(p.runs);
  $("status").dataset.job = String(p.job);
  $("progress-bar").style.width = pct(p.runs / p.target);
  if (p.settings.length === 0) return;
  drawFans();
  drawShares();
  drawDiffs();
  drawChecks();
  drawDay();
}

// ---- fan charts --------------------------------------------------------------------------

const W = 320, H = 170, M = { l: 30, r: 6, t: 6, b: 20 };

function drawFanFrames() {
  const box = $("fans");
  box.replaceChildren();
  for (const g of state.model.groups) {
    const grid = el("div", { class: "grid" });
    for (const s of g.series) {
      grid.append(el("div", { class: "chart", "data-series": s.key }, el("h3", { text: s.label })));
    }
    const d = el("details", {}, el("summary", { text: g.title }), grid);
    if (g.open) d.open = true;
    d.addEventListener("toggle", () => {
      if (d.open && state.job !== null) { state.version = null; poll(state.job, ++state.polls); }
    });
    box.append(d);
  }
}

function xScale(day) {
  return M.l + (day / Math.max(1, state.model.horizon - 1)) * (W - M.l - M.r);
}

function drawFans() {
  const p = state.picture;
  for (const chart of document.querySelectorAll("#fans .chart")) {
    const key = chart.dataset.series;
    const bands = p.settings.map((s) => s.bands[key]);
    if (bands.length === 0 || bands.some((b) => !b)) continue; // no runs yet, or a closed group: kept as it was
    chart.querySelector("svg")?.remove();
    chart.append(fan(key, bands));
  }
}

function fan(key, bands) {
  let lo = 0, hi = 1;
  for (const b of bands) for (const q of b) { lo = Math.min(lo, q[0]); hi = Math.max(hi, q[4]); }
  const y = (v) => H - M.b - ((v - lo) / (hi - lo || 1)) * (H - M.t - M.b);
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "data-series": key });
  // Axes: y at quarters, x at the first of every third month.
  for (let i = 0; i <= 4; i++) {
    const v = lo + (i / 4) * (hi - lo);
    s.append(svg("line", { class: "axis", x1: M.l, x2: W - M.r, y1: y(v), y2: y(v), "stroke-opacity": i === 0 ? 1 : 0.4 }));
    const t = svg("text", { x: M.l - 3, y: y(v) + 3, "text-anchor": "end" });
    t.textContent = (Math.round(v * 100) / 100).toString();
    s.append(t);
  }
  const dates = state.model.dates;
  let months = 0;
  for (let d = 0; d < dates.length; d++) {
    if (!dates[d].endsWith("-01")) continue;
    if (months++ % 3 !== 0) continue;
    const t = svg("text", { x: xScale(d), y: H - 6, "text-anchor": "middle" });
    t.textContent = dates[d].slice(0, 7);
    s.append(t);
  }
  const record = state.record && state.model.record;
  if (record) {
    for (const ev of record.events) {
      const x = xScale(ev.day);
      const tick = svg("line", { class: "event", x1: x, x2: x, y1: H - M.b, y2: H - M.b - 5 });
      const tt = svg("title");
      tt.textContent = `${ev.date} ${ev.kind} ${ev.source}${ev.target ? "→" + ev.target : ""}: ${ev.note}`;
      tick.append(tt);
      s.append(tick);
    }
    const endDay = dates.indexOf(record.last_date);
    if (endDay >= 0) {
      s.append(svg("line", { class: "record-end", x1: xScale(endDay), x2: xScale(endDay), y1: M.t, y2: H - M.b }));
    }
  }
  bands.forEach((b, i) => {
    const tag = i === 0 ? "a" : "b";
    const area = (qlo, qhi) => {
      let d = "";
      b.forEach((q, day) => { d += (day ? "L" : "M") + xScale(day).toFixed(1) + "," + y(q[qhi]).toFixed(1); });
      for (let day = b.length - 1; day >= 0; day--) d += "L" + xScale(day).toFixed(1) + "," + y(b[day][qlo]).toFixed(1);
      return d + "Z";
    };
    s.append(svg("path", { class: `band-${tag}`, d: area(0, 4) }));
    s.append(svg("path", { class: `core-${tag}`, d: area(1, 3) }));
    let m = "";
    b.forEach((q, day) => { m += (day ? "L" : "M") + xScale(day).toFixed(1) + "," + y(q[2]).toFixed(1); });
    s.append(svg("path", { class: `median median-${tag}`, d: m }));
  });
  if (record) {
    for (const o of record.observations.filter((o) => o.series === key)) {
      const b = bands[0];
      if (!b || !b[o.day]) continue;
      const share = shareOf(0, o.column, "true");
      const x = xScale(o.day), yy = y(b[o.day][2]);
      const dir = o.observed === "down" ? 1 : o.observed === "up" ? -1 : 0;
      const mark = dir === 0
        ? svg("circle", { cx: x, cy: yy, r: 4 })
        : svg("path", { d: `M${x - 5},${yy - 5 * dir} L${x + 5},${yy - 5 * dir} L${x},${yy + 5 * dir}Z` });
      mark.setAttribute("class", "obs" + (share !== null && share < 0.05 ? " miss" : ""));
      const tt = svg("title");
      tt.textContent = `observed ${o.date}: ${o.observed}. ${share === null ? "" : pct(share) + " of runs agree. "}${o.note}`;
      mark.append(tt);
      s.append(mark);
    }
  }
  s.append(svg("line", { class: "cursor", x1: xScale(state.day), x2: xScale(state.day), y1: M.t, y2: H - M.b }));
  return s;
}

function shareOf(setting, outcome, value) {
  const s = state.picture && state.picture.settings[setting];
  const x = s && s.shares.find((r) => r.outcome === outcome && r.value === value);
  return x ? x.share : null;
}

// ---- outcomes ----------------------------------------------------------------------------

function observationColumns() {
  const cols = new Set();
  if (state.model.record) {
    for (const o of state.model.record.observations) {
      cols.add(o.column);
      cols.add(o.column.replace(/_as_observed$/, ""));
    }
  }
  return cols;
}

function drawShares() {
  const p = state.picture, box = $("shares");
  box.replaceChildren();
  const skip = observationColumns();
  const legend = el("div", { class: "legend" }, el("span", { class: "swatch-a" }), "A");
  if (p.settings.length === 2) legend.append(el("span", { class: "swatch-b" }), "B");
  box.append(legend);
  const grid = el("div", { class: "sharebox" });
  for (const o of state.model.outcomes.filter((o) => o.kind === "category" && !skip.has(o.name))) {
    const rows = o.values.map(([v, words]) => ({ words, shares: p.settings.map((s) => s.shares.find((r) => r.outcome === o.name && r.value === v)) }));
    grid.append(bars(o, rows));
  }
  box.append(grid);
}

function bars(o, rows) {
  const n = rows[0].shares.length, rowH = 12 * n + 8, w = 360, left = 150;
  const h = rows.length * rowH + 14;
  const s = svg("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "data-outcome": o.name });
  const x = (v) => left + v * (w - left - 50);
  rows.forEach((r, i) => {
    const y0 = i * rowH + 4;
    const t = svg("text", { x: left - 4, y: y0 + 6 * n + 3, "text-anchor": "end" });
    t.textContent = r.words.length > 26 ? r.words.slice(0, 25) + "…" : r.words;
    const tt = svg("title"); tt.textContent = r.words; t.append(tt);
    s.append(t);
    r.shares.forEach((sh, k) => {
      if (!sh) return;
      const y = y0 + k * 12;
      s.append(svg("rect", { x: x(0), y, width: Math.max(0.5, x(sh.share) - x(0)), height: 10, fill: k === 0 ? "var(--a)" : "var(--b)", "fill-opacity": 0.75 }));
      s.append(svg("line", { x1: x(sh.low), x2: x(sh.high), y1: y + 5, y2: y + 5, stroke: "#111827", "stroke-width": 1 }));
      const v = svg("text", { x: x(Math.max(sh.high, sh.share)) + 4, y: y + 9 });
      v.textContent = pct(sh.share);
      s.append(v);
    });
  });
  s.append(svg("line", { class: "axis", x1: x(0), x2: x(0), y1: 0, y2: h - 12 }));
  const box = el("div", { class: "bars" }, el("h3", { text: o.label }));
  box.append(s);
  return box;
}

function drawDiffs() {
  const p = state.picture, sec = $("diff-section");
  sec.hidden = p.settings.length !== 2;
  if (sec.hidden) return;
  const skip = observationColumns();
  const label = (name) => (state.model.outcomes.find((o) => o.name === name) || { label: name }).label;
  const words = (name, value) => {
    const o = state.model.outcomes.find((o) => o.name === name);
    const w = o && o.values.find(([v]) => v === value);
    return w ? w[1] : value;
  };
  const t = el("table", {}, el("tr", {}, el("th", { text: "outcome" }), el("th", { text: "A" }), el("th", { text: "B" }), el("th", { text: "B − A" }), el("th", { text: "95% interval" })));
  for (const d of p.differences.filter((d) => !skip.has(d.outcome))) {
    if (d.value === "false") continue; // a flag's "true" row says it
    const share = d.value !== null;
    const f = share ? pct : num;
    const clear = d.low > 0 || d.high < 0;
    const name = share ? `${label(d.outcome)}: ${words(d.outcome, d.value)}` : `${label(d.outcome)} (mean at the horizon)`;
    t.append(el("tr", {}, el("td", { text: name }), el("td", { class: "num", text: f(d.a) }), el("td", { class: "num", text: f(d.b) }),
      el("td", { class: "num" + (clear ? " strong" : ""), text: signed(d.difference, f) }),
      el("td", { class: "num", text: `[${signed(d.low, f)}, ${signed(d.high, f)}]` })));
  }
  $("diffs").replaceChildren(t);
}

function drawChecks() {
  const p = state.picture, sec = $("record-section");
  const r = state.model.record;
  sec.hidden = !(state.record && r);
  if (sec.hidden) return;
  const head = el("tr", {}, el("th", { text: "date" }), el("th", { text: "outcome" }), el("th", { text: "observed" }));
  p.settings.forEach((_, i) => head.append(el("th", { text: `runs as observed (${i ? "B" : "A"})` })));
  head.append(el("th", { text: "source note" }));
  const t = el("table", {}, head);
  for (const o of r.observations) {
    const row = el("tr", {}, el("td", { text: o.date }), el("td", { text: o.label }), el("td", { text: o.observed }));
    p.settings.forEach((s) => {
      const x = s.shares.find((x) => x.outcome === o.column && x.value === "true");
      row.append(el("td", { class: "num" + (x && x.share < 0.05 ? " strong" : ""), text: x ? `${pct(x.share)} [${pct(x.low)}, ${pct(x.high)}]` : "–" }));
    });
    row.append(el("td", { class: "hint", text: o.note }));
    t.append(row);
  }
  $("checks").replaceChildren(t);
}

// ---- the day -----------------------------------------------------------------------------

function drawDay() {
  const m = state.model, d = state.day;
  $("day-label").textContent = `${d} · ${m.dates[d]}`;
  for (const c of document.querySelectorAll("#fans svg .cursor")) {
    c.setAttribute("x1", xScale(d));
    c.setAttribute("x2", xScale(d));
  }
  const evs = state.record && m.record ? m.record.events.filter((e) => e.day <= d).slice(-3) : [];
  $("day-events").textContent = evs.length ? "record: " + evs.map((e) => `${e.date} ${e.kind} (${e.source}${e.target ? "→" + e.target : ""})`).join(" · ") : "";
  const p = state.picture;
  if (!p) return;
  const head = el("tr", {}, el("th", { text: "series" }));
  p.settings.forEach((_, i) => head.append(el("th", { text: i ? "B" : "A" })));
  const t = el("table", {}, head);
  for (const g of m.groups) {
    for (const s of g.series) {
      const bands = p.settings.map((x) => x.bands[s.key]);
      if (bands.some((b) => !b || !b[d])) continue;
      const row = el("tr", {}, el("td", { text: s.label }));
      bands.forEach((b) => row.append(el("td", { class: "num", text: `${num(b[d][2])} [${num(b[d][0])}, ${num(b[d][4])}]` })));
      t.append(row);
    }
  }
  $("readout").replaceChildren(t);
}

// ---- save --------------------------------------------------------------------------------

async function save(overwrite) {
  const name = $("save-name").value.trim();
  const out = $("saved");
  try {
    const r = await api("/api/save", { name, values: state.values[state.editing], overwrite });
    out.replaceChildren(
      el("p", { class: "ok", text: `wrote ${r.path} (${r.changed} changed). Check it with:` }),
      el("pre", { text: `sidelines validate ${r.path}` }),
      el("pre", { text: r.text }));
    out.dataset.path = r.path;
  } catch (e) {
    if (e.status === 409 && confirm(e.message + ". Replace it?")) return save(true);
    out.replaceChildren(el("p", { class: "bad", text: e.message }));
  }
}

start();
