// Desk helpers (served from 'self' under the CSP): presence heartbeat, template switching, reply preview.
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
})();
