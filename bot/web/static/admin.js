/* 管理后台 scripts: editor tabs, the condition tree editor, "试一试" case loader, analytics charts.
   Pages work without it except the condition tree (the YAML tab is the fallback there). */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key === "className") { node.className = attrs[key]; }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function readJSON(node, attr, fallback) {
    try { return JSON.parse(node.getAttribute(attr) || ""); } catch (e) { return fallback; }
  }

  // ---- form / YAML tabs ------------------------------------------------------------------
  function initTabs() {
    var tabs = document.querySelectorAll(".mode-tabs button[data-mode]");
    var sideTry = document.getElementById("btn-try-side");
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () {
        var mode = tab.getAttribute("data-mode");
        tabs.forEach(function (t) { t.classList.toggle("active", t === tab); });
        document.querySelectorAll(".mode-panel").forEach(function (panel) {
          panel.hidden = panel.getAttribute("data-panel") !== mode;
        });
        document.querySelector(".actions-bar .toolbar").hidden = mode === "yaml";  // the why stays
        if (sideTry) { sideTry.value = mode === "yaml" ? "yaml_try" : "try"; }
      });
    });
    var active = document.querySelector(".mode-tabs button.active");
    if (active && active.getAttribute("data-mode") === "yaml") {
      document.querySelector(".actions-bar .toolbar").hidden = true;
    }
  }

  // ---- region scope: only the levels the scope needs ---------------------------------------
  function initRegion() {
    var scope = document.getElementById("f-region_scope");
    if (!scope) { return; }
    var levels = { national: [], province: ["province"], city: ["province", "city"],
                   district: ["province", "city", "district"] };
    function sync() {
      var wanted = levels[scope.value] || [];
      document.querySelectorAll(".region-row input[data-level]").forEach(function (input) {
        input.hidden = wanted.indexOf(input.getAttribute("data-level")) < 0;
      });
    }
    scope.addEventListener("change", sync);
    sync();
  }

  // ---- condition tree editor -------------------------------------------------------------
  // The DOM is the model: groups (.cond-group, kind all/any/not) hold rows (.cond-leaf).
  // serialize() turns it back into {all|any|not ...} / {field, op, value, label} for the
  // hidden conditions_json input on every submit.
  var KIND_NAMES = { all: "全部满足", any: "满足任一", not: "都不满足（取反）" };

  function CondEditor(root, hidden, schema, errors) {
    this.root = root;
    this.hidden = hidden;
    this.schema = schema;
    this.errors = errors || {};
    this.used = {};
  }

  CondEditor.prototype.fieldSpec = function (name) {
    return this.schema.fields[name] || { title: name, type: "string", vocab: [] };
  };

  CondEditor.prototype.opsFor = function (fieldName, current) {
    var ops = (this.schema.ops_by_type[this.fieldSpec(fieldName).type] || Object.keys(this.schema.ops)).slice();
    if (current && ops.indexOf(current) < 0) { ops.push(current); }
    return ops;
  };

  CondEditor.prototype.showErrors = function (node, path) {
    var messages = this.errors[path];
    if (!messages) { return; }
    this.used[path] = true;
    node.classList.add("has-error");
    messages.forEach(function (message) {
      node.appendChild(el("p", { className: "field-error", role: "alert", text: message }));
    });
  };

  CondEditor.prototype.group = function (kind, children, isRoot) {
    var self = this;
    var box = el("div", { className: "cond-group kind-" + kind });
    var kindSelect = el("select", { className: "cond-kind", "aria-label": "条件组类型" });
    Object.keys(KIND_NAMES).forEach(function (k) {
      var option = el("option", { value: k, text: KIND_NAMES[k] });
      if (k === kind) { option.selected = true; }
      kindSelect.appendChild(option);
    });
    kindSelect.addEventListener("change", function () {
      box.className = "cond-group kind-" + kindSelect.value;
      self.sync();
    });
    var list = el("div", { className: "cond-children" });
    var addLeaf = el("button", { type: "button", className: "small cond-add-leaf", text: "＋ 条件" });
    var addGroup = el("button", { type: "button", className: "small cond-add-group", text: "＋ 条件组" });
    addLeaf.addEventListener("click", function () {
      list.appendChild(self.leaf({ field: "entity_type", op: "eq", value: "", label: "" }));
      self.sync();
    });
    addGroup.addEventListener("click", function () {
      list.appendChild(self.group("any", [{ field: "entity_type", op: "eq", value: "", label: "" }], false));
      self.sync();
    });
    var head = el("div", { className: "cond-head" }, [el("span", { text: isRoot ? "以下条件：" : "条件组：" }),
      kindSelect, addLeaf, addGroup]);
    if (!isRoot) {
      var remove = el("button", { type: "button", className: "small danger", text: "删除此组" });
      remove.addEventListener("click", function () { box.remove(); self.sync(); });
      head.appendChild(remove);
    }
    box.appendChild(head);
    box.appendChild(list);
    children.forEach(function (child) { list.appendChild(self.node(child, false)); });
    return box;
  };

  CondEditor.prototype.node = function (data, isRoot) {
    if (data && data.all) { return this.group("all", data.all, isRoot); }
    if (data && data.any) { return this.group("any", data.any, isRoot); }
    if (data && data.not) {
      var inner = data.not;
      return this.group("not", inner.all ? inner.all : [inner], isRoot);
    }
    if (isRoot) { return this.group("all", data && data.field ? [data] : [], true); }
    return this.leaf(data || {});
  };

  CondEditor.prototype.leaf = function (data) {
    var self = this;
    var row = el("div", { className: "cond-leaf" });
    var field = el("select", { className: "cond-field", "aria-label": "画像字段" });
    (this.schema.order || Object.keys(this.schema.fields)).forEach(function (name) {
      var option = el("option", { value: name, text: self.schema.fields[name].title });
      if (name === data.field) { option.selected = true; }
      field.appendChild(option);
    });
    if (data.field && !this.schema.fields[data.field]) {
      field.appendChild(el("option", { value: data.field, text: data.field + "（未知字段）", selected: "selected" }));
    }
    var op = el("select", { className: "cond-op", "aria-label": "比较方式" });
    var valueBox = el("div", { className: "cond-value" });
    var label = el("input", { type: "text", className: "cond-label", placeholder: "给经营者看的说明，如：是个体工商户",
                              "aria-label": "条件说明" });
    label.value = data.label || "";
    var remove = el("button", { type: "button", className: "small danger", text: "删除", "aria-label": "删除此条件" });
    remove.addEventListener("click", function () { row.remove(); self.sync(); });

    function fillOps(current) {
      op.innerHTML = "";
      self.opsFor(field.value, current).forEach(function (name) {
        var option = el("option", { value: name, text: self.schema.ops[name] || name });
        if (name === current) { option.selected = true; }
        op.appendChild(option);
      });
    }
    function rebuildValue(value) {
      valueBox.innerHTML = "";
      valueBox.appendChild(self.valueWidget(field.value, op.value, value));
    }
    field.addEventListener("change", function () {
      var keep = self.readValue(valueBox);
      fillOps(op.value);
      rebuildValue(keep);
      self.sync();
    });
    op.addEventListener("change", function () { rebuildValue(self.readValue(valueBox)); self.sync(); });
    row.addEventListener("input", function () { self.sync(); });
    row.addEventListener("change", function () { self.sync(); });

    fillOps(data.op || self.opsFor(field.value)[0]);
    rebuildValue(data.value);
    [field, op, valueBox, label, remove].forEach(function (child) { row.appendChild(child); });
    return row;
  };

  CondEditor.prototype.valueWidget = function (fieldName, op, value) {
    var spec = this.fieldSpec(fieldName);
    var box = el("div", { "data-op": op, "data-type": spec.type });
    var listOp = this.schema.list_ops.indexOf(op) >= 0;
    var values = Array.isArray(value) ? value : (value === undefined || value === null || value === "" ? [] : [value]);
    if (this.schema.bool_ops.indexOf(op) >= 0) {
      box.setAttribute("data-kind", "none");
      box.appendChild(el("span", { className: "muted", text: "（无需取值）" }));
    } else if (op === "between") {
      box.setAttribute("data-kind", "between");
      var pair = el("div", { className: "between" });
      [0, 1].forEach(function (i) {
        var input = el("input", { type: "number", step: "any", "aria-label": i ? "上限" : "下限" });
        input.value = values[i] === undefined ? "" : values[i];
        pair.appendChild(input);
        if (!i) { pair.appendChild(el("span", { text: "至" })); }
      });
      box.appendChild(pair);
    } else if (listOp && spec.vocab.length) {
      box.setAttribute("data-kind", "checks");
      var checks = el("div", { className: "checks" });
      spec.vocab.forEach(function (option) {
        var input = el("input", { type: "checkbox", value: option });
        input.checked = values.indexOf(option) >= 0;
        checks.appendChild(el("label", {}, [input, document.createTextNode(option)]));
      });
      box.appendChild(checks);
    } else if (listOp) {
      box.setAttribute("data-kind", "words");
      var words = el("input", { type: "text", placeholder: "多个取值用顿号隔开", "aria-label": "取值" });
      words.value = values.join("、");
      box.appendChild(words);
    } else if (spec.vocab.length) {
      box.setAttribute("data-kind", "select");
      var select = el("select", { "aria-label": "取值" }, [el("option", { value: "", text: "请选择" })]);
      spec.vocab.forEach(function (option) {
        var o = el("option", { value: option, text: option });
        if (values[0] === option) { o.selected = true; }
        select.appendChild(o);
      });
      box.appendChild(select);
    } else if (spec.type === "integer" || spec.type === "number") {
      box.setAttribute("data-kind", "number");
      var number = el("input", { type: "number", step: spec.type === "integer" ? "1" : "any", "aria-label": "取值" });
      number.value = values.length ? values[0] : "";
      box.appendChild(number);
    } else if (spec.type === "boolean") {
      box.setAttribute("data-kind", "bool");
      var yesNo = el("select", { "aria-label": "取值" }, [el("option", { value: "true", text: "是" }),
                                                          el("option", { value: "false", text: "否" })]);
      yesNo.value = values[0] === false ? "false" : "true";
      box.appendChild(yesNo);
    } else {
      box.setAttribute("data-kind", "text");
      var text = el("input", { type: "text", placeholder: spec.hint || "", "aria-label": "取值" });
      text.value = values.length ? values[0] : "";
      box.appendChild(text);
    }
    return box;
  };

  function toNumber(raw, type) {
    if (raw === "" || raw === null || raw === undefined) { return null; }
    var n = Number(raw);
    if (isNaN(n)) { return raw; }
    return type === "integer" && Math.floor(n) === n ? Math.trunc(n) : n;
  }

  CondEditor.prototype.readValue = function (valueBox) {
    var box = valueBox.firstChild;
    if (!box) { return undefined; }
    var kind = box.getAttribute("data-kind");
    var type = box.getAttribute("data-type");
    if (kind === "none") { return undefined; }
    if (kind === "between") {
      return Array.prototype.map.call(box.querySelectorAll("input"), function (i) { return toNumber(i.value, type); });
    }
    if (kind === "checks") {
      return Array.prototype.filter.call(box.querySelectorAll("input:checked"), function () { return true; })
        .map(function (i) { return i.value; });
    }
    if (kind === "words") {
      return box.querySelector("input").value.split(/[,，、;；\s]+/).filter(function (w) { return w; });
    }
    if (kind === "number") { return toNumber(box.querySelector("input").value, type); }
    if (kind === "bool") { return box.querySelector("select").value === "true"; }
    var input = box.querySelector("select, input");
    return input ? input.value : "";
  };

  CondEditor.prototype.serialize = function (node) {
    var self = this;
    if (node.classList.contains("cond-group")) {
      var kind = node.querySelector(":scope > .cond-head > .cond-kind").value;
      var children = Array.prototype.map.call(node.querySelector(":scope > .cond-children").children,
                                              function (child) { return self.serialize(child); });
      if (kind === "not") { return { not: children.length === 1 ? children[0] : { all: children } }; }
      var out = {};
      out[kind] = children;
      return out;
    }
    var leaf = { field: node.querySelector(".cond-field").value, op: node.querySelector(".cond-op").value };
    var value = this.readValue(node.querySelector(".cond-value"));
    if (value !== undefined) { leaf.value = value; }
    leaf.label = node.querySelector(".cond-label").value.trim();
    return leaf;
  };

  // Paths as policies_kb/conditions.validate names them, to put server errors on their rows.
  CondEditor.prototype.place = function (node, path) {
    var self = this;
    this.showErrors(node, path);
    if (!node.classList.contains("cond-group")) { return; }
    var kind = node.querySelector(":scope > .cond-head > .cond-kind").value;
    var children = node.querySelector(":scope > .cond-children").children;
    Array.prototype.forEach.call(children, function (child, i) {
      var sub = kind === "not" ? (children.length === 1 ? path + ".not" : path + ".not.all[" + i + "]")
                               : path + "." + kind + "[" + i + "]";
      self.place(child, sub);
    });
  };

  CondEditor.prototype.sync = function () {
    var top = this.root.firstChild;
    this.hidden.value = JSON.stringify(top ? this.serialize(top) : { all: [] });
  };

  CondEditor.prototype.mount = function (tree) {
    var self = this;
    var top = this.node(tree, true);
    this.root.appendChild(top);
    this.place(top, "conditions");
    Object.keys(this.errors).forEach(function (path) {  // errors whose row is gone: show on top
      if (!self.used[path]) {
        self.errors[path].forEach(function (message) {
          self.root.insertBefore(el("p", { className: "field-error", role: "alert", text: path + "：" + message }),
                                 self.root.firstChild);
        });
      }
    });
    this.sync();
  };

  function initConditions() {
    var root = document.getElementById("cond-editor");
    var hidden = document.getElementById("f-conditions_json");
    if (!root || !hidden) { return; }
    var editor = new CondEditor(root, hidden, readJSON(root, "data-schema", {}), readJSON(root, "data-errors", {}));
    var tree;
    try { tree = JSON.parse(hidden.value || "{}"); } catch (e) { tree = { all: [] }; }
    editor.mount(tree);
    var form = document.getElementById("policy-form");
    if (form) { form.addEventListener("submit", function () { editor.sync(); }); }
  }

  // ---- "试一试": fill the sample profile from a regression case ----------------------------
  function initCaseLoader() {
    var loader = document.getElementById("case-loader");
    if (!loader) { return; }
    var cases = readJSON(loader, "data-cases", []);
    var panel = document.getElementById("try-panel");
    loader.addEventListener("change", function () {
      var chosen = cases[Number(loader.value)];
      if (!chosen) { return; }
      panel.querySelectorAll("[name^='p_']").forEach(function (input) {
        if (input.type === "checkbox") { input.checked = false; } else { input.value = ""; }
      });
      var profile = chosen.profile || {};
      Object.keys(profile).forEach(function (key) {
        var value = profile[key];
        if (key === "region") {
          Object.keys(value || {}).forEach(function (sub) {
            var input = panel.querySelector("[name='p_region_" + sub + "']");
            if (input) { input.value = value[sub]; }
          });
        } else if (Array.isArray(value)) {
          panel.querySelectorAll("[name='p_" + key + "']").forEach(function (box) {
            box.checked = value.indexOf(box.value) >= 0;
          });
          var none = panel.querySelector("[name='p_" + key + "_none']");
          if (none) { none.checked = value.length === 0; }
        } else {
          var input = panel.querySelector("[name='p_" + key + "']");
          if (input) { input.value = typeof value === "boolean" ? String(value) : value; }
        }
      });
      var asOf = panel.querySelector("[name='p_as_of']");
      if (asOf && chosen.as_of) { asOf.value = String(chosen.as_of); }
    });
  }

  // ---- analytics charts (Chart.js served from /console/static/vendor) -----------------------
  var COLORS = ["#0b5cad", "#cf222e", "#d4a72c", "#2da44e", "#8250df", "#1b7c83", "#bf3989", "#6e7781",
                "#fb8500", "#3a86ff", "#8ac926", "#ff595e"];

  function initCharts() {
    var root = document.getElementById("analytics");
    if (!root || typeof window.Chart === "undefined") { return; }
    var report = readJSON(root, "data-report", null);
    if (!report) { return; }
    var Chart = window.Chart;
    Chart.defaults.font.family = '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.animation = false;  // instant, and screenshots are stable
    var charts = {};
    charts.daily = new Chart(document.getElementById("chart-daily"), {
      type: "line",
      data: {
        labels: report.daily.map(function (d) { return d.date.slice(5); }),
        datasets: [
          { label: "消息数", data: report.daily.map(function (d) { return d.messages; }), borderColor: COLORS[0],
            backgroundColor: COLORS[0], tension: 0.2 },
          { label: "没听懂", data: report.daily.map(function (d) { return d.fallbacks; }), borderColor: COLORS[1],
            backgroundColor: COLORS[1], tension: 0.2 },
          { label: "转人工", data: report.daily.map(function (d) { return d.handoffs; }), borderColor: COLORS[2],
            backgroundColor: COLORS[2], tension: 0.2 }
        ]
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    var intents = report.intents.slice(0, 12);
    charts.intents = new Chart(document.getElementById("chart-intents"), {
      type: "bar",
      data: {
        labels: intents.map(function (i) { return i.label; }),
        datasets: [{ label: "次数", data: intents.map(function (i) { return i.count; }),
                     backgroundColor: intents.map(function (_, i) { return COLORS[i % COLORS.length]; }) }]
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } },
                 scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    charts.families = new Chart(document.getElementById("chart-families"), {
      type: "bar",
      data: {
        labels: report.families.map(function (f) { return f.family_name; }),
        datasets: [{ label: "匹配人数", data: report.families.map(function (f) { return f.owners; }),
                     backgroundColor: COLORS[3] }]
      },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    root.setAttribute("data-rendered", Object.keys(charts).length);
    window.ZCT = window.ZCT || {};
    window.ZCT.charts = charts;
  }

  document.addEventListener("DOMContentLoaded", function () {
    initTabs();
    initRegion();
    initConditions();
    initCaseLoader();
    initCharts();
    var result = document.getElementById("try-result");  // after "试一试", show the outcome
    var side = result && result.closest(".edit-side");
    if (side) { side.scrollTop += result.getBoundingClientRect().top - side.getBoundingClientRect().top - 8; }
  });
})();
