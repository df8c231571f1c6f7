// Desk helpers (served from 'self' under the CSP): presence heartbeat, template switching, reply preview,
// the queue's bulk bar, keyboard shortcuts and the nav's live counter. Plain JS, no build step.
(function () {
  "use strict";
  var page = document.getElementById("ticket-page");
  if (page) {
    var url = page.getAttribute("data-heartbeat");
    var csrf = page.getAttribute("data-csrf");
    var list = document.getElementById("viewers");
    var beat = function () {
      var body = new URLSearchParams();
      body.set("visible", document.visibilityState === "visible" ? "1" : "0");
      fetch(url, {method: "POST", body: body, credentials: "same-origin", headers: {"X-CSRFToken": csrf}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && list) {  // textContent only: usernames are never parsed as HTML
            list.textContent = data.viewers.length ? "Сейчас смотрят: " + data.viewers.join(", ") : "";
          }
        })
        .catch(function () {});
    };
    setInterval(beat, 20000);
  }
  // Templates: switching fills the reply box in place; text the moderator typed is replaced only after asking.
  var picker = document.getElementById("template-picker");
  var area = document.getElementById("reply-text");
  var textsNode = document.getElementById("template-texts");
  if (picker && area && textsNode) {
    var texts = JSON.parse(textsNode.textContent);
    var preview = document.getElementById("reply-preview");
    var hidden = area.form.querySelector("input[name=template]");
    var filled = area.value;  // the template text last put in the box
    var current = picker.value;
    var show = function () { if (preview) { preview.textContent = area.value.trim(); } };  // never parsed as HTML
    var apply = function () {
      var text = texts[picker.value];
      if (text === undefined || (picker.value === current && area.value === filled)) { return; }
      var typed = area.value.trim();
      if (typed && typed !== filled.trim() &&
          !window.confirm("Заменить набранный текст шаблоном? Набранное пропадёт.")) {
        picker.value = current;
        return;
      }
      area.value = text;
      filled = text;
      current = picker.value;
      if (hidden) { hidden.value = picker.value; }
      show();
    };
    area.addEventListener("input", show);
    picker.addEventListener("change", apply);
    picker.form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  } else if (picker) {
    picker.addEventListener("change", function () { picker.form.submit(); });
  }

  // Bulk bar: "select all on page", the count of selected rows, only the fields the chosen action needs.
  var bulk = document.getElementById("bulk");
  var picks = function () { return Array.prototype.slice.call(document.querySelectorAll("input.pick")); };
  if (bulk) {
    var all = document.getElementById("select-page");
    var count = document.getElementById("bulk-count");
    var action = bulk.querySelector("select[name=action]");
    var extra = {assign: ["assignee"], close: ["reason", "note"], topic: ["topic"]};
    var sync = function () {
      var n = picks().filter(function (b) { return b.checked; }).length;
      count.textContent = "Отмечено: " + n;
      if (all) { all.checked = n > 0 && n === picks().length; }
    };
    var fields = function () {
      ["assignee", "reason", "note", "topic"].forEach(function (name) {
        var el = bulk.querySelector("[name=" + name + "]");
        if (el) { el.hidden = (extra[action.value] || []).indexOf(name) < 0; }
      });
    };
    if (all) {
      all.addEventListener("change", function () {
        picks().forEach(function (b) { b.checked = all.checked; });
        sync();
      });
    }
    picks().forEach(function (b) { b.addEventListener("change", sync); });
    action.addEventListener("change", fields);
    bulk.addEventListener("submit", function (e) {
      if (!picks().some(function (b) { return b.checked; })) {
        e.preventDefault();
        window.alert("Отметьте обращения в очереди.");
      }
    });
    fields();
    sync();
  }

  // Keyboard shortcuts (queue and ticket); `?` shows the list. Never while typing in a field.
  var help = document.getElementById("shortcuts-help");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.ticket-row"));
  var cursor = -1;
  var csrfToken = function () {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };
  var post = function (url) {  // a plain form POST with the page's CSRF token (the server redirects back)
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = csrfToken();
    form.appendChild(token);
    document.body.appendChild(form);
    form.submit();
  };
  var move = function (step) {
    if (!rows.length) { return; }
    if (cursor >= 0) { rows[cursor].classList.remove("current"); }
    cursor = Math.max(0, Math.min(rows.length - 1, cursor + step));
    rows[cursor].classList.add("current");
    rows[cursor].scrollIntoView({block: "nearest"});
  };
  var click = function (id) {
    var el = document.getElementById(id);
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  };
  var typing = function (el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  };
  var pending = "";  // the first key of a two-key shortcut ("g q")
  var showHelp = function (on) { if (help) { help.hidden = !on; } };
  var closeButton = document.getElementById("shortcuts-close");
  if (closeButton) { closeButton.addEventListener("click", function () { showHelp(false); }); }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing || typing(e.target)) { return; }
    var key = e.key;
    // Letters by their physical key, so the shortcuts work with the Russian layout on (j is «о» there).
    if (e.code && /^Key[A-Z]$/.test(e.code)) { key = e.code.slice(3).toLowerCase(); }
    if (e.code === "Slash" && e.shiftKey) { key = "?"; }
    if (key === "Escape") { showHelp(false); pending = ""; return; }
    if (key === "?") { showHelp(help ? help.hidden : false); e.preventDefault(); return; }
    if (!help) { return; }  // not a moderator's page
    if (pending === "g") {
      pending = "";
      if (key === "q") { window.location.href = help.getAttribute("data-queue"); e.preventDefault(); }
      return;
    }
    var row = cursor >= 0 ? rows[cursor] : null;
    var handled = true;
    if (key === "g") {
      pending = "g";
    } else if (key === "j") {
      move(1);
    } else if (key === "k") {
      move(-1);
    } else if (key === "Enter" && row && !/^(A|BUTTON)$/.test(e.target.tagName)) {
      window.location.href = row.querySelector("a.open").href;
    } else if (key === "c") {
      if (row) { post(row.getAttribute("data-claim")); } else { handled = click("claim"); }
    } else if (key === "r") {
      var reply = document.getElementById("reply-text");
      if (reply) { reply.focus(); } else { handled = false; }
    } else if (key === "x") {
      if (row && bulk) {  // the queue: mark the row and pick "close"; the bar's button confirms
        var box = row.querySelector("input.pick");
        box.checked = true;
        box.dispatchEvent(new Event("change"));
        var select = bulk.querySelector("select[name=action]");
        select.value = "close";
        select.dispatchEvent(new Event("change"));
        bulk.querySelector("select[name=reason]").focus();
      } else if (document.getElementById("close") && !document.getElementById("close").disabled) {
        if (window.confirm("Закрыть обращение?")) { click("close"); }
      } else {
        handled = false;
      }
    } else {
      handled = false;
    }
    if (handled) { e.preventDefault(); }
  });

  // Live counter: new and at-risk open tickets, polled; the count of new ones leads the page title.
  var counter = document.getElementById("live-counter");
  if (counter) {
    var baseTitle = document.title;
    var every = Math.max(parseFloat(counter.getAttribute("data-poll")) || 30, 0.5) * 1000;
    var poll = function () {
      fetch(counter.getAttribute("data-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          document.getElementById("count-new").textContent = String(data.new);
          document.getElementById("count-at-risk").textContent = String(data.at_risk);
          document.title = data.new > 0 ? "(" + data.new + ") " + baseTitle : baseTitle;
        })
        .catch(function () {});
    };
    poll();
    setInterval(poll, every);
  }
})();
