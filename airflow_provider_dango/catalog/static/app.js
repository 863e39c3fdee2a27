/* dango catalog: one page for the static export (data embedded, works from file://) and the Airflow plugin
   (data from the plugin's JSON API). Every text goes through textContent or createTextNode, never innerHTML,
   so names and descriptions from dbt are always shown as text. Charts are SVG drawn here. */
(function () {
  "use strict";
  var CFG = window.DANGO_CONFIG || { mode: "static" };
  var MODEL = null, BY_ID = {}, EDGES_UP = {}, EDGES_DOWN = {};
  var SVGNS = "http://www.w3.org/2000/svg";
  var LAYERS = ["all", "sources", "staging", "intermediate", "marts", "seeds", "snapshots", "exposures", "other"];
  var LIST_LIMIT = 200;
  var state = { layer: "all", sort: "name", dir: 1 };

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null) continue;
        if (k === "on") { for (var ev in attrs.on) el.addEventListener(ev, attrs.on[ev]); }
        else if (k === "cls") el.className = attrs[k];
        else el.setAttribute(k, attrs[k]);
      }
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, child) {
    if (child == null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(el, c); }); return; }
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  function s(tag, attrs) {
    var el = document.createElementNS(SVGNS, tag);
    for (var k in attrs || {}) if (attrs[k] != null) el.setAttribute(k, attrs[k]);
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null) continue;
      el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  function link(route, text, cls) { return h("a", { href: "#" + route, cls: cls }, text); }
  function fmt(v, digits) {
    if (v == null || v === "") return "";
    var n = Number(v);
    if (!isFinite(n) || String(v).indexOf("-") > 0) return String(v);
    if (Math.abs(n) >= 1000) return n.toLocaleString("en", { maximumFractionDigits: 0 });
    return String(Math.round(n * Math.pow(10, digits || 2)) / Math.pow(10, digits || 2));
  }
  function pct(v) { return v == null ? "" : (Math.round(v * 1000) / 10) + "%"; }
  function badge(text, kind, title) { return h("span", { cls: "badge " + (kind || ""), title: title }, text); }

  /* the page's compact form (catalog/pack.py) back to the dicts of catalog.json */
  function unpack(model) {
    if (!model.packed) return model;
    var fields = model.profile_fields;
    model.nodes.forEach(function (n) {
      ["failing", "tests", "tags", "monitors", "dags"].forEach(function (k) { n[k] = n[k] || []; });
      n.meta = n.meta || {}; n.description = n.description || ""; n.documented = n.documented || 0;
      n.columns = n.columns.map(function (a) {
        var p = null;
        if (a[3]) { p = {}; fields.forEach(function (f, i) { p[f] = a[3][i] == null ? null : a[3][i]; }); p.top_values = p.top_values || []; }
        var c = { name: a[0], data_type: a[1] || null, description: a[2] || "", profile: p, pii: a[4] || [],
                  tags: [], meta: {}, drift: [], tests: [], pii_overrides: [], profile_history: [] };
        var extra = a[5] || {};
        for (var k in extra) c[k] = extra[k];
        return c;
      });
    });
    return model;
  }
  function index() {
    BY_ID = {}; EDGES_UP = {}; EDGES_DOWN = {};
    MODEL.nodes.forEach(function (n) { BY_ID[n.unique_id] = n; });
    MODEL.lineage.edges.forEach(function (e) {
      (EDGES_DOWN[e[0]] = EDGES_DOWN[e[0]] || []).push(e[1]);
      (EDGES_UP[e[1]] = EDGES_UP[e[1]] || []).push(e[0]);
    });
  }
  function reach(id, graph, depth) {
    var seen = {}, queue = [[id, 0]], out = {};
    seen[id] = true;
    while (queue.length) {
      var cur = queue.shift();
      if (depth != null && cur[1] >= depth) continue;
      (graph[cur[0]] || []).forEach(function (n) {
        if (!seen[n]) { seen[n] = true; out[n] = cur[1] + 1; queue.push([n, cur[1] + 1]); }
      });
    }
    return out;
  }

  /* ranking rules shared with catalog/search.py */
  function searchLocal(query) {
    var q = query.trim().toLowerCase(), res = [];
    if (!q) return res;
    MODEL.nodes.forEach(function (n) {
      var best = 0, field = null, column = null;
      function consider(score, f, c) { if (score > best) { best = score; field = f; column = c; } }
      var name = (n.name || "").toLowerCase();
      consider(name === q ? 100 : name.indexOf(q) === 0 ? 80 : name.indexOf(q) >= 0 ? 60 : 0, "name", null);
      if (n.description && n.description.toLowerCase().indexOf(q) >= 0) consider(30, "description", null);
      var extra = (n.tags || []).join(" ") + " " + (n.meta ? JSON.stringify(n.meta) : "");
      if (extra.toLowerCase().indexOf(q) >= 0) consider(10, "tags", null);
      n.columns.forEach(function (c) {
        var cn = c.name.toLowerCase();
        consider(cn === q ? 50 : cn.indexOf(q) >= 0 ? 40 : 0, "column", c.name);
        if (c.description && c.description.toLowerCase().indexOf(q) >= 0) consider(20, "column_description", c.name);
        var ct = (c.tags || []).join(" ") + " " + JSON.stringify(c.meta || {});
        if (((c.tags && c.tags.length) || (c.meta && Object.keys(c.meta).length)) && ct.toLowerCase().indexOf(q) >= 0) consider(10, "tags", c.name);
      });
      if (best) res.push({ unique_id: n.unique_id, name: n.name, resource_type: n.resource_type, layer: n.layer,
                           score: best, field: field, column: column, failing: n.failing.length > 0 });
    });
    res.sort(function (a, b) { return b.score - a.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0); });
    return res.slice(0, 50);
  }
  function search(query, done) {
    if (CFG.mode === "plugin") {
      fetch(CFG.api + "/search?q=" + encodeURIComponent(query), { credentials: "same-origin" })
        .then(function (r) { return r.json(); }).then(function (d) { done(d.results); });
    } else done(searchLocal(query));
  }

  function hints() {
    var st = MODEL.status || {};
    if (!st.hints || !st.hints.length) return null;
    return h("div", { cls: "hints", id: "hints" }, st.hints.map(function (t) { return h("p", null, t); }));
  }

  /* ---- Catalog list ---- */
  function pageCatalog(root, params) {
    var nodes = MODEL.nodes;
    var count = function (f) { return nodes.filter(f).length; };
    root.appendChild(h("div", { cls: "cards" },
      card("Sources", count(function (n) { return n.resource_type === "source"; })),
      card("Models", count(function (n) { return n.resource_type === "model"; })),
      card("Seeds & snapshots", count(function (n) { return n.resource_type === "seed" || n.resource_type === "snapshot"; })),
      card("Failing checks", count(function (n) { return n.failing.length > 0; }), "bad"),
      card("Monitors", MODEL.monitors.length)));
    var input = h("input", { id: "search", type: "search", placeholder: "Search names, columns, descriptions, tags…",
                             value: params.q || "" });
    var results = h("div", { id: "results" });
    var tabs = h("div", { cls: "tabs" }, LAYERS.map(function (l) {
      return h("button", { cls: l === state.layer ? "tab active" : "tab", "data-layer": l,
                           on: { click: function () { state.layer = l; render(); } } }, l);
    }));
    root.appendChild(h("div", { cls: "searchbar" }, input));
    root.appendChild(results);
    root.appendChild(tabs);
    var timer = null;
    function run() {
      results.textContent = "";
      if (!input.value.trim()) return;
      search(input.value, function (found) {
        results.textContent = "";
        results.appendChild(h("h3", null, found.length + " result(s)"));
        results.appendChild(h("ul", { cls: "results" }, found.map(function (r) {
          return h("li", { cls: "result" + (r.failing ? " failing" : "") },
            link("/node/" + encodeURIComponent(r.unique_id), r.name), " ", badge(r.layer, "layer"),
            r.column ? h("span", { cls: "match" }, " column ", h("code", null, r.column)) : null,
            h("span", { cls: "why" }, " matched " + r.field.replace("_", " ")),
            r.failing ? badge("failing checks", "bad") : null);
        })));
      });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 120); });
    if (params.q) run();
    var shown = nodes.filter(function (n) { return state.layer === "all" || n.layer === state.layer; });
    var key = state.sort;
    shown.sort(function (a, b) {
      var x = sortValue(a, key), y = sortValue(b, key);
      return (x < y ? -1 : x > y ? 1 : 0) * state.dir;
    });
    var cols = [["name", "Name"], ["layer", "Layer"], ["rows", "Rows"], ["tests", "Tests"],
                ["last_built", "Last built"], ["documented", "Documented"], ["tags", "Tags"]];
    var table = h("table", { cls: "list", id: "node-list" },
      h("thead", null, h("tr", null, cols.map(function (c) {
        return h("th", { on: { click: function () { state.dir = state.sort === c[0] ? -state.dir : 1; state.sort = c[0]; render(); } } },
          c[1] + (state.sort === c[0] ? (state.dir > 0 ? " ▲" : " ▼") : ""));
      }))),
      h("tbody", null, shown.slice(0, LIST_LIMIT).map(function (n) {
        return h("tr", { cls: n.failing.length ? "failing" : "" },
          h("td", null, link("/node/" + encodeURIComponent(n.unique_id), n.name), n.failing.length ? badge("failing", "bad") : null),
          h("td", null, n.layer), h("td", { cls: "num" }, fmt(n.rows)), h("td", { cls: "num" }, n.tests.length),
          h("td", null, n.last_built ? (n.last_built.recorded_at || "").slice(0, 16).replace("T", " ") : ""),
          h("td", null, n.documented + "/" + n.columns.length), h("td", null, (n.tags || []).join(", ")));
      })));
    root.appendChild(table);
    if (shown.length > LIST_LIMIT) root.appendChild(h("p", { cls: "more" }, (shown.length - LIST_LIMIT) + " more: search or pick a layer."));
  }
  function sortValue(n, key) {
    if (key === "tests") return n.tests.length;
    if (key === "last_built") return n.last_built ? n.last_built.recorded_at || "" : "";
    if (key === "tags") return (n.tags || []).join(",");
    if (key === "rows") return n.rows == null ? -1 : n.rows;
    return n[key] == null ? "" : n[key];
  }
  function card(label, value, kind) {
    return h("div", { cls: "card " + (kind && value ? kind : "") }, h("div", { cls: "value" }, value), h("div", { cls: "label" }, label));
  }

  /* ---- Node page ---- */
  function pageNode(root, params) {
    var n = BY_ID[params.id];
    if (!n) { root.appendChild(h("p", { cls: "empty" }, "No node " + params.id + " in the catalog.")); return; }
    root.appendChild(h("h2", { id: "node-title" }, n.name, " ", badge(n.resource_type, "type"), " ", badge(n.layer, "layer"),
      n.failing.length ? badge(n.failing.length + " failing", "bad", n.failing.join("\n")) : null));
    if (n.description) root.appendChild(h("p", { cls: "description", id: "node-description" }, n.description));
    root.appendChild(h("dl", { cls: "facts" },
      fact("Relation", n.relation), fact("Owner", n.owner), fact("Materialized", n.materialized), fact("Rows", fmt(n.rows)),
      fact("Tags", (n.tags || []).join(", ")), fact("Path", n.path),
      fact("Last built", n.last_built ? [(n.last_built.recorded_at || "").replace("T", " ").slice(0, 19), " · ",
        h("span", { cls: "run" }, (n.last_built.dag_id || "") + " / " + (n.last_built.run_id || ""))] : null)));
    var tab = params.tab || "columns";
    var tabs = ["columns", "code", "lineage", "tests", "monitors"];
    root.appendChild(h("div", { cls: "tabs" }, tabs.map(function (t) {
      return link("/node/" + encodeURIComponent(n.unique_id) + "/" + t, t, "tab" + (t === tab ? " active" : ""));
    })));
    if (tab === "columns") nodeColumns(root, n);
    if (tab === "code") root.appendChild(h("pre", { cls: "code" }, n.code || "(no code)"));
    if (tab === "lineage") nodeLineage(root, n, Number(params.depth || 2));
    if (tab === "tests") nodeTests(root, n);
    if (tab === "monitors") {
      var ms = MODEL.monitors.filter(function (m) { return m.node === n.unique_id; });
      if (!ms.length) root.appendChild(h("p", { cls: "empty" }, "No monitor reads this table (.dango/monitors.yml)."));
      ms.forEach(function (m) { root.appendChild(monitorCard(m)); });
    }
  }
  function fact(k, v) { return v == null || v === "" ? null : [h("dt", null, k), h("dd", null, v)]; }
  function piiBadges(c) {
    return c.pii.map(function (p) {
      var over = (c.pii_overrides || [])[0];
      var text = p.source === "lineage" ? "PII (upstream)" : p.source === "meta" ? "PII (declared)" : "PII " + p.entity;
      var kind = p.status === "suppressed" || (over && over.status === "not_pii") ? "muted" : "pii";
      return badge(text, kind + " pii-badge", p.example ? "e.g. " + p.example + " · prevalence " + pct(p.prevalence) : p.status);
    });
  }
  function nodeColumns(root, n) {
    if (!n.columns.length) { root.appendChild(h("p", { cls: "empty" }, "No columns documented or profiled yet: run `dango profile`.")); return; }
    root.appendChild(h("table", { cls: "list columns", id: "columns" },
      h("thead", null, h("tr", null, ["Column", "Type", "Description", "Nulls", "Distinct", "Range / lengths", "Mean", "Top values", "Checks"].map(function (t) { return h("th", null, t); }))),
      h("tbody", null, n.columns.map(function (c) {
        var p = c.profile || {};
        var range = p.kind === "string" ? (p.min_length != null ? "len " + p.min_length + "–" + p.max_length : "")
          : (p.min_value != null ? fmt(p.min_value) + " … " + fmt(p.max_value) : "");
        var tops = p.masked ? h("span", { cls: "masked" }, "masked (PII)") : (p.top_values || []).map(function (v) { return h("code", null, v); });
        return h("tr", { "data-column": c.name },
          h("td", null, h("strong", null, c.name), " ", piiBadges(c),
            c.drift.map(function (d) { return badge("drift " + d.change + " (" + d.state + ")", d.state === "pending" ? "bad" : "muted"); })),
          h("td", null, c.data_type || ""), h("td", null, c.description),
          h("td", { cls: "num" }, p.null_share != null ? pct(p.null_share) : ""),
          h("td", { cls: "num" }, p.distinct_count != null ? (p.distinct_approx ? "≈" : "") + fmt(p.distinct_count) : ""),
          h("td", null, range), h("td", { cls: "num" }, p.kind === "string" ? fmt(p.mean_length) : fmt(p.mean_value)),
          h("td", { cls: "tops" }, tops),
          h("td", null, c.tests.map(function (t) { return badge(t.name + (t.status ? ": " + t.status : ""), t.status === "fail" || t.status === "error" ? "bad" : t.status ? "ok" : "muted"); }),
            c.profile_history.length > 1 ? sparkline(c.profile_history.map(function (x) { return x.null_share || 0; }), "null share over runs") : null));
      }))));
  }
  function nodeTests(root, n) {
    if (!n.tests.length) { root.appendChild(h("p", { cls: "empty" }, "No dbt tests on this node.")); return; }
    root.appendChild(h("table", { cls: "list" }, h("thead", null, h("tr", null, h("th", null, "Test"), h("th", null, "Column"), h("th", null, "Latest"), h("th", null, "History (newest first)"))),
      h("tbody", null, n.tests.map(function (t) {
        return h("tr", null, h("td", null, t.name), h("td", null, t.column || ""), h("td", null, t.status || "never run"),
          h("td", null, t.history.map(function (r) { return badge(r.status, r.status === "pass" || r.status === "success" ? "ok" : "bad", (r.run_id || "") + " " + (r.recorded_at || "")); })));
      }))));
  }
  function nodeLineage(root, n, depth) {
    var up = reach(n.unique_id, EDGES_UP, depth), down = reach(n.unique_id, EDGES_DOWN, depth);
    var allDown = Object.keys(reach(n.unique_id, EDGES_DOWN, null)), allUp = Object.keys(reach(n.unique_id, EDGES_UP, null));
    root.appendChild(h("p", null, "Depth ", [1, 2, 3, 5].map(function (d) {
      return link("/node/" + encodeURIComponent(n.unique_id) + "/lineage/" + d, String(d), d === depth ? "tab active" : "tab");
    }), " · upstream " + allUp.length + " · downstream impact " + allDown.length + " node(s)"));
    var levels = {}; levels[n.unique_id] = 0;
    Object.keys(up).forEach(function (k) { levels[k] = -up[k]; });
    Object.keys(down).forEach(function (k) { levels[k] = down[k]; });
    var cols = {};
    Object.keys(levels).forEach(function (k) { (cols[levels[k]] = cols[levels[k]] || []).push(k); });
    var W = 190, H = 34, pos = {}, maxRows = 1;
    Object.keys(cols).forEach(function (l) {
      cols[l].sort(); maxRows = Math.max(maxRows, cols[l].length);
      cols[l].forEach(function (k, i) { pos[k] = [(Number(l) + depth) * (W + 40) + 10, i * (H + 14) + 10]; });
    });
    var svg = s("svg", { id: "lineage", width: (2 * depth + 1) * (W + 40), height: maxRows * (H + 14) + 20, cls: "lineage" });
    MODEL.lineage.edges.forEach(function (e) {
      if (pos[e[0]] && pos[e[1]]) svg.appendChild(s("line", { x1: pos[e[0]][0] + W, y1: pos[e[0]][1] + H / 2, x2: pos[e[1]][0], y2: pos[e[1]][1] + H / 2, "class": "edge" }));
    });
    Object.keys(pos).forEach(function (k) {
      var node = BY_ID[k], a = s("a", { href: "#/node/" + encodeURIComponent(k) + "/lineage/" + depth });
      a.appendChild(s("rect", { x: pos[k][0], y: pos[k][1], width: W, height: H, rx: 5,
        "class": "gnode" + (k === n.unique_id ? " focus" : "") + (node.failing.length ? " failing" : "") }));
      a.appendChild(s("text", { x: pos[k][0] + 8, y: pos[k][1] + 21 }, node.name.length > 26 ? node.name.slice(0, 25) + "…" : node.name));
      svg.appendChild(a);
    });
    root.appendChild(h("div", { cls: "graph" }, svg));
    root.appendChild(h("h3", null, "Downstream impact"));
    root.appendChild(h("ul", { id: "impact" }, allDown.length ? allDown.map(function (k) { return h("li", null, link("/node/" + encodeURIComponent(k), BY_ID[k].name), " ", badge(BY_ID[k].layer, "layer")); }) : h("li", null, "nothing downstream")));
  }
  function sparkline(values, title) {
    var w = 80, hgt = 18, max = Math.max.apply(null, values.concat([1e-9])), min = Math.min.apply(null, values);
    var pts = values.map(function (v, i) { return (i * w / Math.max(1, values.length - 1)) + "," + (hgt - (v - min) / Math.max(1e-9, max - min) * hgt); });
    return s("svg", { width: w, height: hgt, "class": "spark" }, s("title", null, title), s("polyline", { points: pts.join(" ") }));
  }

  /* ---- Monitors ---- */
  function monitorCard(m) {
    var box = h("div", { cls: "monitor", "data-monitor": m.name },
      h("h3", null, m.name, " ", badge(m.status, m.status === "flagged" ? "bad" : m.status === "normal" ? "ok" : "muted")),
      h("p", { cls: "meta" }, (m.source_table || ""), m.latest ? " · latest " + fmt(m.latest.value) + " vs baseline " + fmt(m.latest.baseline) +
        (m.latest.change_pct != null ? " (" + fmt(m.latest.change_pct, 1) + "%)" : "") : ""));
    box.appendChild(chart(m));
    if (m.drivers.length) box.appendChild(h("p", { cls: "drivers" }, "Driven by: ", m.drivers.map(function (d, i) {
      return [i ? ", " : "", h("strong", null, d.dimension + " = " + d.value), " (" + (d.change_abs > 0 ? "+" : "") + fmt(d.change_abs) + ")"];
    })));
    return box;
  }
  function chart(m) {
    var W = 720, H = 200, P = 36;
    var pts = m.points.map(function (p) { return [Date.parse(p[0]), p[1]]; }).filter(function (p) { return p[1] != null && !isNaN(p[0]); });
    if (!pts.length) return h("p", { cls: "empty" }, "No metric history yet: run `dango monitors run`.");
    var band = m.band.map(function (b) { return [Date.parse(b[0]), b[1], b[2]]; });
    var xs = pts.map(function (p) { return p[0]; }), ys = pts.map(function (p) { return p[1]; });
    band.forEach(function (b) { ys.push(b[1], b[2]); });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs.concat([x0 + 1]));
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    if (y1 === y0) { y1 += 1; y0 -= 1; }
    var X = function (t) { return P + (t - x0) / (x1 - x0) * (W - 2 * P); };
    var Y = function (v) { return H - P / 2 - (v - y0) / (y1 - y0) * (H - P); };
    var svg = s("svg", { width: W, height: H, "class": "chart", role: "img" });
    svg.appendChild(s("title", null, m.name + ": metric history with baseline band"));
    if (band.length === 1) {
      svg.appendChild(s("rect", { x: X(band[0][0]) - 8, y: Y(band[0][2]), width: 16, height: Math.max(2, Y(band[0][1]) - Y(band[0][2])), "class": "band" },
        s("title", null, "baseline band " + fmt(band[0][1]) + " … " + fmt(band[0][2]))));
    } else if (band.length) {
      var top = band.map(function (b) { return X(b[0]) + "," + Y(b[2]); });
      var bottom = band.slice().reverse().map(function (b) { return X(b[0]) + "," + Y(b[1]); });
      svg.appendChild(s("polygon", { points: top.concat(bottom).join(" "), "class": "band" }));
    }
    svg.appendChild(s("polyline", { points: pts.map(function (p) { return X(p[0]) + "," + Y(p[1]); }).join(" "), "class": "series" }));
    svg.appendChild(s("text", { x: 2, y: 12, "class": "axis" }, fmt(y1)));
    svg.appendChild(s("text", { x: 2, y: H - 4, "class": "axis" }, fmt(y0)));
    svg.appendChild(s("text", { x: P, y: H - 2, "class": "axis" }, new Date(x0).toISOString().slice(0, 10)));
    svg.appendChild(s("text", { x: W - P - 70, y: H - 2, "class": "axis" }, new Date(x1).toISOString().slice(0, 10)));
    m.flagged.forEach(function (f) {
      var t = Date.parse(f[0]);
      if (isNaN(t) || f[1] == null) return;
      svg.appendChild(s("circle", { cx: X(t), cy: Y(f[1]), r: 5, "class": "flagged-point" },
        s("title", null, "flagged " + f[0].slice(0, 10) + ": " + fmt(f[1]))));
    });
    return svg;
  }
  function pageMonitors(root) {
    if (!MODEL.monitors.length) { root.appendChild(h("p", { cls: "empty" }, "No monitors: add .dango/monitors.yml, then run `dango monitors run`.")); return; }
    MODEL.monitors.forEach(function (m) { root.appendChild(monitorCard(m)); });
  }

  /* ---- Governance ---- */
  function action(path, body, label) {
    if (CFG.mode !== "plugin") return null;
    return h("button", { cls: "action", on: { click: function (ev) {
      ev.target.disabled = true;
      fetch(CFG.api + path, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (r) { return r.json().then(function (d) { return [r.ok, d]; }); })
        .then(function (res) {
          if (!res[0]) { ev.target.disabled = false; alert(res[1].detail || "failed"); return; }
          reload();
        });
    } } }, label);
  }
  function pageGovernance(root) {
    root.appendChild(h("h2", null, "Schema drift"));
    var drift = MODEL.drift;
    if (!drift.length) root.appendChild(h("p", { cls: "empty" }, "No schema changes recorded: `dango drift check` runs before dbt in every sync DAG."));
    else root.appendChild(h("table", { cls: "list", id: "drift" },
      h("thead", null, h("tr", null, ["Table", "Column", "Change", "Severity", "State", "Checked", ""].map(function (t) { return h("th", null, t); }))),
      h("tbody", null, drift.map(function (d) {
        var table = d.table_schema + "." + d.table_name;
        return h("tr", { "data-table": table, "data-state": d.state },
          h("td", null, table), h("td", null, d.column_name || ""), h("td", null, d.change + (d.old_type ? " " + d.old_type + " → " + (d.new_type || "") : "")),
          h("td", null, d.severity), h("td", { cls: "state" }, badge(d.state, d.state === "pending" ? "bad" : "muted")),
          h("td", null, (d.checked_at || "").slice(0, 16).replace("T", " ")),
          h("td", null, d.state === "pending" ? action("/drift/accept", { table: table }, "accept") : null));
      }))));
    root.appendChild(h("h2", null, "PII findings"));
    if (!MODEL.pii.length) { root.appendChild(h("p", { cls: "empty" }, "No PII findings: `dango pii scan` runs after dbt in every sync DAG.")); }
    else root.appendChild(h("table", { cls: "list", id: "pii" },
      h("thead", null, h("tr", null, ["Column", "Entity", "Share", "Example (masked)", "Status", "Override", ""].map(function (t) { return h("th", null, t); }))),
      h("tbody", null, MODEL.pii.map(function (f) {
        var over = f.overrides[0];
        return h("tr", { "data-column": f.table_name + "." + f.column_name },
          h("td", null, f.table_name + "." + f.column_name), h("td", null, f.entity), h("td", { cls: "num" }, pct(f.prevalence)),
          h("td", null, h("code", null, f.example || "")), h("td", null, f.status),
          h("td", { cls: "override" }, over ? over.status + (over.set_by ? " by " + over.set_by : "") : ""),
          h("td", null, action("/pii/override", { table: f.table_name, column: f.column_name, status: "pii" }, "mark pii"),
            " ", action("/pii/override", { table: f.table_name, column: f.column_name, status: "not_pii" }, "not pii")));
      }))));
    if (CFG.mode !== "plugin") root.appendChild(h("p", { cls: "note" }, "Static export: accept drift and mark PII in the Airflow UI (dango → Governance) or with `dango drift accept` and .dango/pii-overrides.yml."));
  }

  /* ---- Runs ---- */
  function pageRuns(root) {
    var runs = MODEL.runs || {};
    root.appendChild(h("h2", null, "DAG runs"));
    rowsTable(root, runs.dag_runs || [], ["dag_id", "run_id", "state", "started_at", "duration_s", "message"], "No DAG runs recorded yet: the audit listener records every dango DAG run.");
    root.appendChild(h("h2", null, "Check results"));
    rowsTable(root, runs.check_results || [], ["recorded_at", "check_name", "target", "status", "severity", "run_id"], "No check results recorded yet.");
  }
  function rowsTable(root, rows, cols, empty) {
    if (!rows.length) { root.appendChild(h("p", { cls: "empty" }, empty)); return; }
    root.appendChild(h("table", { cls: "list" }, h("thead", null, h("tr", null, cols.map(function (c) { return h("th", null, c); }))),
      h("tbody", null, rows.map(function (r) { return h("tr", { cls: r.state === "failed" || r.status === "fail" || r.status === "flag" ? "failing" : "" }, cols.map(function (c) { return h("td", null, r[c] == null ? "" : String(r[c])); })); }))));
  }

  /* ---- routing ---- */
  function parseRoute() {
    var raw = (location.hash || "").replace(/^#/, "") || CFG.route || "/" + (CFG.page || "catalog");
    var parts = raw.split("?"), path = parts[0].split("/").filter(Boolean).map(decodeURIComponent), params = {};
    (parts[1] || "").split("&").forEach(function (kv) { if (kv) { var p = kv.split("="); params[decodeURIComponent(p[0])] = decodeURIComponent(p[1] || ""); } });
    if (path[0] === "node") { params.id = path[1]; params.tab = path[2]; params.depth = path[3]; }
    return { page: path[0] || "catalog", params: params };
  }
  function render() {
    var route = parseRoute(), root = document.getElementById("app");
    root.textContent = "";
    document.querySelectorAll("nav a").forEach(function (a) { a.className = a.getAttribute("data-page") === route.page ? "active" : ""; });
    var hint = hints();
    if (hint) root.appendChild(hint);
    var page = { catalog: pageCatalog, node: pageNode, monitors: pageMonitors, governance: pageGovernance, runs: pageRuns }[route.page] || pageCatalog;
    page(root, route.params);
    document.getElementById("generated").textContent = "generated " + (MODEL.generated_at || "") + (MODEL.project ? " · project " + MODEL.project : "");
    if (window.dangoReadyMs == null) window.dangoReadyMs = performance.now();
    document.body.setAttribute("data-ready", "1");
  }
  function reload() {
    fetch(CFG.api + "/catalog?packed=1", { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("catalog API answered " + r.status);
      return r.json();
    }).then(function (d) { MODEL = unpack(d); index(); render(); }).catch(function (e) {
      document.getElementById("app").textContent = String(e);
    });
  }
  function start() {
    window.addEventListener("hashchange", render);
    if (CFG.mode === "plugin") { reload(); return; }
    var bytes = Uint8Array.from(atob(document.getElementById("dango-data").textContent.trim()), function (c) { return c.charCodeAt(0); });
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    new Response(stream).text().then(function (text) {
      MODEL = unpack(JSON.parse(text));
      index(); render();
    }).catch(function (e) { document.getElementById("app").textContent = "could not read the catalog data: " + e; });
  }
  window.dangoSearchLocal = function (q) { return searchLocal(q); };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
