// The intake page's duplicates panel: asks /cases/duplicates for open cases with the caller's phone, the
// same building or category, and for current outages covering the address, as the operator types. Each
// case's button records the call merged into that case; an outage's button counts the call on it.
(function () {
  "use strict";
  var panel = document.getElementById("duplicates-panel");
  var form = document.getElementById("intake-form");
  if (!panel || !form) return;
  var list = document.getElementById("duplicate-suggestions");
  var url = panel.getAttribute("data-url");
  var timer = null;
  var lastAsked = null;

  function value(name) {
    var field = form.querySelector("[name=" + name + "]");
    return field ? field.value.trim() : "";
  }

  function button(id, label, name, value, action) {
    var b = document.createElement("button");
    b.type = "submit";
    b.id = id;
    b.setAttribute("form", "intake-form");
    if (name) { b.name = name; b.value = value; }
    if (action) b.setAttribute("formaction", action);
    b.textContent = label;
    return b;
  }

  function entry(kind, title, text, href) {
    var li = document.createElement("li");
    li.className = "suggestion " + kind;
    var link = document.createElement("a");
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = title;
    li.appendChild(link);
    if (text) {
      var body = document.createElement("p");
      body.textContent = text;
      li.appendChild(body);
    }
    return li;
  }

  function render(data) {
    list.textContent = "";
    data.outages.forEach(function (outage) {
      var li = entry("outage", data.labels.outage + " · " + outage.case_number, outage.title, outage.url);
      li.id = "covering-outage-" + outage.case_number;
      li.appendChild(button("count-on-" + outage.case_number, data.labels.count_call, "", "",
        outage.url + "/outage-calls"));
      list.appendChild(li);
    });
    data.duplicates.forEach(function (d) {
      var li = entry("duplicate", d.case_number + " · " + d.process, d.opened_at + " · " + d.reasons.join(", "), d.url);
      li.id = "duplicate-" + d.case_number;
      li.appendChild(button("merge-into-" + d.case_number, data.labels.merge, "merge_into", d.case_number, ""));
      list.appendChild(li);
    });
    panel.hidden = !list.children.length;
  }

  function ask() {
    var params = new URLSearchParams({
      phone: value("customer_phone"), address: value("address"), category: value("category")
    });
    var key = params.toString();
    if (key === lastAsked) return;
    lastAsked = key;
    fetch(url + "?" + key, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && key === lastAsked) render(data); })
      .catch(function () { /* the panel is a help; the form works without it */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, 350);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  panel.hidden = true;
  ask();
})();
