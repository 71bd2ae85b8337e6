/* 呼叫助手: parse each caller turn, keep the profile form in sync, re-match on every change. */
(function () {
  "use strict";
  var form = document.getElementById("call-form");
  if (!form) { return; }
  var textBox = document.getElementById("caller-text");
  var turnsList = document.getElementById("turns");
  var turnsField = document.getElementById("turns-json");
  var errorBox = document.getElementById("call-error");
  var NONE = "__none__";
  var turns = [];
  try { turns = JSON.parse(turnsField.value || "[]"); } catch (e) { turns = []; }
  var seq = 0;  // only the newest answer is drawn
  // The call lives on the server (its draft, saved with every answer): F5 or a new login reopens it.
  var callId = form.getAttribute("data-call") || "";
  var picked = [];
  try { picked = JSON.parse(document.getElementById("picked-json").value || "[]"); } catch (e) { picked = []; }
  var dept = document.getElementById("department");
  dept.addEventListener("input", function () { dept.setAttribute("data-edited", "1"); });

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function readProfile() {
    var profile = {};
    form.querySelectorAll("[data-field]").forEach(function (box) {
      var name = box.getAttribute("data-field"), kind = box.getAttribute("data-kind");
      if (kind === "multi") {
        var values = [];
        box.querySelectorAll("input:checked").forEach(function (i) { values.push(i.value); });
        if (values.indexOf(NONE) >= 0) { profile[name] = []; } else if (values.length) { profile[name] = values; }
      } else if (kind === "region") {
        var region = {}, any = false;
        box.querySelectorAll("input").forEach(function (i) {
          var v = i.value.trim();
          if (v) { region[i.name.split(".")[1]] = v; any = true; }
        });
        if (any) { profile.region = region; }
      } else {
        var v = box.querySelector("select, input").value.trim();
        if (v === "") { return; }
        if (kind === "integer") { v = parseInt(v, 10); }
        else if (kind === "number") { v = parseFloat(v); }
        else if (kind === "boolean") { v = (v === "true"); }
        if (typeof v === "number" && isNaN(v)) { return; }
        profile[name] = v;
      }
    });
    return profile;
  }

  function setProfile(profile, changed) {
    form.querySelectorAll("[data-field]").forEach(function (box) {
      var name = box.getAttribute("data-field"), kind = box.getAttribute("data-kind");
      var value = profile[name];
      if (kind === "multi") {
        box.querySelectorAll("input").forEach(function (i) {
          i.checked = Array.isArray(value) && (value.length ? value.indexOf(i.value) >= 0 : i.value === NONE);
        });
      } else if (kind === "region") {
        box.querySelectorAll("input").forEach(function (i) {
          i.value = (value && value[i.name.split(".")[1]]) || "";
        });
      } else {
        var control = box.querySelector("select, input");
        control.value = (value === undefined || value === null) ? "" : String(value);
      }
      box.classList.toggle("changed", (changed || []).indexOf(name) >= 0);
    });
  }

  function readTicket() {
    var ticket = {};
    form.querySelectorAll("[data-ticket]").forEach(function (i) { ticket[i.getAttribute("data-ticket")] = i.value.trim(); });
    return ticket;
  }

  function request(extra) {
    var body = {
      call_id: callId,
      profile: readProfile(),
      topic: document.getElementById("topic").value,
      turns: turns,
      ticket: readTicket(),
      picked: picked,
      // Until the operator types a department, the server proposes one from the cited policies.
      department: dept.getAttribute("data-edited") ? dept.value : ""
    };
    Object.keys(extra || {}).forEach(function (k) { body[k] = extra[k]; });
    return body;
  }

  function draw(data) {
    document.getElementById("results").innerHTML = data.results_html;
    document.getElementById("script").textContent = data.script;
    document.getElementById("ticket").value = data.ticket;
    document.getElementById("department").value = data.department;
    var nq = document.getElementById("next-question");
    nq.hidden = !data.next_question;
    document.getElementById("next-question-text").textContent = data.next_question ? data.next_question.question : "";
    if (data.topic !== undefined) { document.getElementById("topic").value = data.topic; }
    if (data.kept) { ZCT.flash(document.getElementById("kept"), "已自动保存"); }
  }

  function addTurn(turn) {
    turns.push(turn);
    turnsField.value = JSON.stringify(turns);
    var li = document.createElement("li");
    var tag = document.createElement("span");
    tag.className = "intent";
    tag.textContent = turn.intent_label;
    li.appendChild(tag);
    li.appendChild(document.createTextNode(" " + turn.text));
    if (turn.entities && turn.entities.length) {
      var ents = document.createElement("div");
      ents.className = "ents";
      ents.textContent = "识别到：" + turn.entities.map(function (e) { return (e.title || e.entity) + "：" + e.value; }).join("，");
      li.appendChild(ents);
    }
    turnsList.appendChild(li);
    turnsList.scrollTop = turnsList.scrollHeight;
    document.getElementById("intent").textContent = turn.intent_label;
    document.getElementById("confidence").textContent = "（置信度 " + turn.confidence + "）";
  }

  function rematch() {
    var mine = ++seq;
    form.classList.add("busy");
    ZCT.postJSON("/console/api/call/match", request()).then(function (data) {
      if (mine !== seq) { return; }
      form.classList.remove("busy");
      form.querySelectorAll(".invalid").forEach(function (b) { b.classList.remove("invalid"); });
      if (data._status !== 200) {
        var bad = data.field && form.querySelector('[data-field="' + data.field.split(".")[0] + '"]');
        if (bad) { bad.classList.add("invalid"); }
        showError((data.title ? data.title + "：" : "") + (data.message || "匹配失败") + "（结果未更新）");
        return;
      }
      showError("");
      draw(data);
    }).catch(function () { showError("网络错误，匹配没有更新，请重试。"); });
  }

  function parseTurn() {
    var text = textBox.value.trim();
    if (!text) { return; }
    var button = document.getElementById("add-turn");
    button.disabled = true;
    var mine = ++seq;
    ZCT.postJSON("/console/api/call/parse", request({ text: text })).then(function (data) {
      button.disabled = false;
      if (data._status !== 200) { showError(data.message || "识别失败"); return; }
      showError("");
      textBox.value = "";
      addTurn(data.turn);
      setProfile(data.profile, data.changed);
      if (mine === seq) { draw(data); }
    }).catch(function () { button.disabled = false; showError("网络错误，请重试。"); });
  }

  var timer = null;
  form.addEventListener("change", function (ev) {
    if (ev.target === textBox || ev.target.id === "ticket" || ev.target.id === "policy-q") { return; }
    if (ev.target.id === "t-caller_phone") { history_(); }
    if (ev.target.type === "checkbox" && ev.target.checked) {
      // "都不是" and real identities exclude each other.
      var box = ev.target.closest("[data-kind=multi]");
      box.querySelectorAll("input").forEach(function (i) {
        if (i !== ev.target && ((ev.target.value === NONE) !== (i.value === NONE))) { i.checked = false; }
      });
    }
    clearTimeout(timer);
    timer = setTimeout(rematch, 120);
  });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); parseTurn(); });
  textBox.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); parseTurn(); }
  });

  document.getElementById("copy-script").addEventListener("click", function () {
    ZCT.copyText(document.getElementById("script").textContent).then(
      function () { ZCT.flash(document.getElementById("script-ok"), "已复制"); },
      function () { ZCT.flash(document.getElementById("script-ok"), "复制失败，请手动选中复制"); });
  });
  document.getElementById("copy-ticket").addEventListener("click", function () {
    ZCT.copyText(document.getElementById("ticket").value).then(
      function () { ZCT.flash(document.getElementById("ticket-ok"), "已复制"); },
      function () { ZCT.flash(document.getElementById("ticket-ok"), "复制失败，请手动选中复制"); });
  });
  document.getElementById("download-ticket").addEventListener("click", function () {
    var blob = new Blob(["\ufeff" + document.getElementById("ticket").value.replace(/\n/g, "\r\n")],
                        { type: "text/plain;charset=utf-8" });
    var a = document.createElement("a");
    var now = new Date(), pad = function (n) { return (n < 10 ? "0" : "") + n; };
    a.download = "工单-" + now.getFullYear() + pad(now.getMonth() + 1) + pad(now.getDate()) + "-" +
                 pad(now.getHours()) + pad(now.getMinutes()) + ".txt";
    a.href = URL.createObjectURL(blob);
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  });

  // ---- the caller's history, policy search, saving the 工单 ----------------------------------
  function history_() {
    var phone = document.getElementById("t-caller_phone").value.replace(/\D/g, "");
    var box = document.getElementById("history");
    if (phone.length < 7) { box.innerHTML = ""; return; }
    fetch("/console/api/tickets/history?phone=" + encodeURIComponent(phone), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { box.innerHTML = data.html; } });
  }
  if (document.getElementById("t-caller_phone").value) { history_(); }

  function search() {
    var q = document.getElementById("policy-q").value.trim();
    if (!q) { return; }
    ZCT.postJSON("/console/api/call/search", { q: q, profile: readProfile() }).then(function (data) {
      document.getElementById("search-results").innerHTML = data._status === 200 ? data.html
        : "<p class=\"error\">查找失败，请重试。</p>";
    });
  }
  document.getElementById("policy-search").addEventListener("click", search);
  document.getElementById("policy-q").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.isComposing) { ev.preventDefault(); search(); }
  });
  document.getElementById("search-results").addEventListener("click", function (ev) {
    var button = ev.target.closest(".pick");
    if (!button) { return; }
    var id = button.getAttribute("data-policy");
    picked = [id].concat(picked.filter(function (p) { return p !== id; })).slice(0, 6);
    button.disabled = true;
    button.textContent = "已写进话术";
    rematch();
  });

  document.getElementById("save-ticket").addEventListener("click", function () {
    var button = this, err = document.getElementById("ticket-error");
    button.disabled = true;
    ZCT.postJSON("/console/api/tickets", request()).then(function (data) {
      button.disabled = false;
      form.querySelectorAll(".invalid").forEach(function (b) { b.classList.remove("invalid"); });
      if (data._status !== 200) {
        var bad = data.field && document.getElementById(data.field === "department" ? "department" : "t-" + data.field);
        if (bad) { bad.classList.add("invalid"); bad.focus(); }
        err.textContent = data.message || "保存失败";
        err.hidden = false;
        return;
      }
      err.hidden = true;
      var saved = document.getElementById("ticket-saved");
      saved.textContent = "已保存，工单编号 " + data.ticket.number + "。";
      var next = document.createElement("a");
      next.href = "/console/call?new=1";
      next.id = "next-call";
      next.textContent = "接下一个来电";
      saved.appendChild(next);
      button.hidden = true;
      callId = "";  // this call is closed: later edits start no draft
    }).catch(function () { button.disabled = false; err.textContent = "网络错误，工单没有保存，请重试。"; err.hidden = false; });
  });
})();
