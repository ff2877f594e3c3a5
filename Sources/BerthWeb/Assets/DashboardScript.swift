/// The page's script: follows `/events` (Server-Sent Events) and keeps the table, charts and events list up to
/// date without reloading; the actions are POSTs carrying the token in the Authorization header.
/// Data from the daemon only ever reaches the page as text (textContent), never as markup.
let scriptJS = #"""
"use strict";
(() => {
  const token = new URLSearchParams(location.search).get("token") || "";
  const samplesKept = 60;
  const rows = new Map();      // forward name -> its row's cells
  const samples = new Map();   // forward name -> [{t, bytesIn, bytesOut}]
  const $ = (id) => document.getElementById(id);

  function node(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) element.setAttribute(key, value);
    for (const child of children) element.append(child);
    return element;
  }

  function svgNode(tag, attributes) {
    const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    return element;
  }

  function bytes(count) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = count, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return (unit === 0 ? value : value.toFixed(1)) + " " + units[unit];
  }

  function post(name, action) {
    return fetch("api/forwards/" + encodeURIComponent(name) + "/" + action, {
      method: "POST", headers: { "Authorization": "Bearer " + token }, cache: "no-store",
    });
  }

  function row(name) {
    let cells = rows.get(name);
    if (cells) return cells;
    const tr = node("tr", { "data-forward": name });
    cells = { tr };
    for (const key of ["name", "phase", "local", "target", "pod", "transport", "connections", "traffic", "rebinds", "actions"]) {
      cells[key] = node("td", { class: "col-" + key });
      tr.append(cells[key]);
    }
    const probe = node("button", { type: "button", "data-action": "probe" }, "probe now");
    const rebind = node("button", { type: "button", "data-action": "rebind" }, "rebind now");
    cells.result = node("span", { class: "result" });
    probe.addEventListener("click", async () => {
      probe.disabled = true;
      cells.result.className = "result";
      cells.result.textContent = "probing…";
      try {
        const response = await post(name, "probe");
        if (response.ok) {
          const result = await response.json();
          cells.result.className = "result " + (result.ok ? "ok" : "bad");
          cells.result.textContent = result.ok ? "ok in " + result.milliseconds.toFixed(1) + " ms" : "failed: " + result.error;
        } else {
          cells.result.className = "result bad";
          cells.result.textContent = (await response.text()).trim();
        }
      } catch (error) {
        cells.result.className = "result bad";
        cells.result.textContent = String(error);
      } finally {
        probe.disabled = false;
      }
    });
    rebind.addEventListener("click", async () => {
      rebind.disabled = true;
      try {
        const response = await post(name, "rebind");
        cells.result.className = "result " + (response.ok ? "" : "bad");
        cells.result.textContent = response.ok ? "rebind requested" : (await response.text()).trim();
      } finally {
        rebind.disabled = false;
      }
    });
    cells.actions.append(probe, rebind, node("br"), cells.result);
    rows.set(name, cells);
    return cells;
  }

  function chart(name, connections, at) {
    const list = samples.get(name) || [];
    // One sample a second: snapshots that come in a burst (many changes at once) would make rates of
    // a few bytes over a millisecond that dwarf the rest of the chart.
    if (!list.length || at - list[list.length - 1].t >= 900) {
      list.push({ t: at, bytesIn: connections.bytesIn, bytesOut: connections.bytesOut });
    }
    while (list.length > samplesKept) list.shift();
    samples.set(name, list);
    const width = 120, height = 28;
    const svg = svgNode("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}` });
    svg.append(svgNode("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5 }));
    const rates = { in: [], out: [] };
    for (let index = 1; index < list.length; index += 1) {
      const seconds = (list[index].t - list[index - 1].t) / 1000;
      rates.in.push(Math.max(0, list[index].bytesIn - list[index - 1].bytesIn) / seconds);
      rates.out.push(Math.max(0, list[index].bytesOut - list[index - 1].bytesOut) / seconds);
    }
    const top = Math.max(1, ...rates.in, ...rates.out);
    for (const direction of ["in", "out"]) {
      const values = rates[direction];
      const step = width / Math.max(1, samplesKept - 1);
      const start = width - step * (values.length - 1);
      const points = values.map((value, index) =>
        `${(start + index * step).toFixed(1)},${(height - 1 - (value / top) * (height - 3)).toFixed(1)}`).join(" ");
      if (points) svg.append(svgNode("polyline", { class: direction, points }));
    }
    const last = (rates.in.length ? rates.in[rates.in.length - 1] : 0);
    const lastOut = (rates.out.length ? rates.out[rates.out.length - 1] : 0);
    const title = svgNode("title", {});
    title.textContent = `in ${bytes(connections.bytesIn)} (${bytes(last)}/s), out ${bytes(connections.bytesOut)} (${bytes(lastOut)}/s)`;
    svg.append(title);
    return svg;
  }

  function text(cell, main, sub) {
    cell.replaceChildren(main);
    if (sub) cell.append(node("span", { class: "sub" }, sub));
  }

  function render(snapshot) {
    const status = snapshot.status;
    const at = Date.parse(snapshot.at);
    $("health-watches").textContent = snapshot.health.watches;
    $("health-requests").textContent = snapshot.health.apiRequestsPerMinute.toFixed(1);
    $("health-resyncs").textContent = snapshot.health.resyncs;
    $("health-daemon").textContent = "pid " + status.pid;
    $("health-daemon").title = status.manifests.join("\n");
    const errors = $("manifest-errors");
    errors.hidden = status.manifestErrors.length === 0;
    errors.textContent = "The manifest has errors; the last valid one keeps running.\n" + status.manifestErrors.join("\n");

    const body = document.querySelector("#forwards tbody");
    const seen = new Set();
    for (const forward of status.forwards) {
      seen.add(forward.name);
      const extras = snapshot.forwards[forward.name] || { rebinds: 0, links: [] };
      const cells = row(forward.name);
      cells.tr.dataset.phase = forward.phase;
      cells.tr.dataset.search = [forward.name, forward.target, forward.namespace, forward.context || "", forward.pod || "", forward.phase].join(" ").toLowerCase();
      text(cells.name, forward.name, forward.hostnames.length ? forward.hostnames.join(", ") : "");
      text(cells.phase, node("span", { class: "phase " + forward.phase }, forward.phase),
        [forward.reason, forward.message].filter(Boolean).join(": "));
      cells.local.replaceChildren();
      forward.ports.forEach((port, index) => {
        const address = (forward.address || port.address).includes(":") ? `[${forward.address || port.address}]` : (forward.address || port.address);
        const label = `${address}:${port.localPort ?? port.configuredPort ?? "–"} → ${port.remote}${port.targetPort && String(port.targetPort) !== port.remote ? " (" + port.targetPort + ")" : ""}`;
        const link = extras.links[index];
        cells.local.append(link ? node("a", { href: link, target: "_blank", rel: "noreferrer noopener" }, label) : label, node("br"));
      });
      text(cells.target, forward.target, forward.namespace + (forward.context ? " @ " + forward.context : ""));
      text(cells.pod, forward.pod || "–", "");
      const sessions = forward.sessions ? `${forward.sessions.sessions} sessions, ${forward.sessions.streams} streams` : "";
      text(cells.transport, forward.transport || "–", sessions);
      const c = forward.connections;
      text(cells.connections, node("span", { class: "num" }, `${c.open} open`),
        `${c.total} total${c.held ? ", " + c.held + " held" : ""}${c.draining ? ", " + c.draining + " draining" : ""}${c.errors ? ", " + c.errors + " errors" : ""}`);
      cells.traffic.replaceChildren(chart(forward.name, c, at),
        node("span", { class: "sub num" }, `${bytes(c.bytesIn)} / ${bytes(c.bytesOut)}`));
      text(cells.rebinds, node("span", { class: "num" }, String(extras.rebinds)), "");
      if (cells.tr.parentNode !== body || body.lastElementChild !== cells.tr) body.append(cells.tr);
    }
    for (const [name, cells] of rows) {
      if (!seen.has(name)) { cells.tr.remove(); rows.delete(name); samples.delete(name); }
    }
    applyFilter();

    const events = $("events");
    events.replaceChildren(...snapshot.events.map((event) => node("li", { "data-kind": event.kind },
      node("time", { datetime: event.at }, new Date(event.at).toLocaleTimeString()),
      node("span", { class: "kind " + event.kind }, event.kind),
      event.forward ? node("strong", {}, event.forward + " ") : "",
      event.detail || "")));
  }

  function applyFilter() {
    const words = $("filter").value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const cells of rows.values()) {
      const match = words.every((word) => cells.tr.dataset.search.includes(word));
      cells.tr.hidden = !match;
      if (match) shown += 1;
    }
    $("counts").textContent = `${shown} of ${rows.size} forwards`;
  }

  function setLive(live) {
    const badge = $("connection");
    badge.className = "connection " + (live ? "up" : "down");
    badge.textContent = live ? "live" : "reconnecting…";
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("filter").addEventListener("input", applyFilter);
    const source = new EventSource("events?token=" + encodeURIComponent(token));
    source.addEventListener("status", (event) => { setLive(true); render(JSON.parse(event.data)); });
    source.addEventListener("error", () => setLive(false));
  });
})();
"""#
