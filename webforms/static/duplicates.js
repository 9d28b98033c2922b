// The intake page's duplicates panel: asks /cases/duplicates for open cases with the caller's phone, the
// same building or category, and for current outages covering the address, as the operator types. Each
// case's button records the call merged into that case; an outage's button counts the call on it.
// Needs suggest.js (loaded before it by the intake page).
(function () {
  "use strict";
  var panel = document.getElementById("duplicates-panel");
  var form = document.getElementById("intake-form");
  if (!panel || !form) return;
  var list = document.getElementById("duplicate-suggestions");
  var url = panel.getAttribute("data-url");

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

  function render(data) {
    list.textContent = "";
    data.outages.forEach(function (outage) {
      var li = hotlineSuggest.item("outage", data.labels.outage + " · " + outage.case_number, outage.title, outage.url);
      li.id = "covering-outage-" + outage.case_number;
      li.appendChild(button("count-on-" + outage.case_number, data.labels.count_call, "", "",
        outage.url + "/outage-calls"));
      list.appendChild(li);
    });
    data.duplicates.forEach(function (d) {
      var li = hotlineSuggest.item("duplicate", d.case_number + " · " + d.process, d.opened_at + " · " + d.reasons.join(", "), d.url);
      li.id = "duplicate-" + d.case_number;
      li.appendChild(button("merge-into-" + d.case_number, data.labels.merge, "merge_into", d.case_number, ""));
      list.appendChild(li);
    });
    panel.hidden = !list.children.length;
  }

  var suggestions = hotlineSuggest(url, function () {
    return { phone: value("customer_phone"), address: value("address"), category: value("category") };
  }, render);
  form.addEventListener("input", suggestions.later);
  form.addEventListener("change", suggestions.later);
  panel.hidden = true;
  suggestions.ask();
})();
