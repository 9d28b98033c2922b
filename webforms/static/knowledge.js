// The intake page's knowledge panel: asks /knowledge/suggest for entries and current outages matching
// what the operator has typed (every text area but the answer) and the chosen category, and offers to
// copy an entry's answer into the form's answer field, noting which entry it came from.
// Needs suggest.js (loaded before it by the intake page).
(function () {
  "use strict";
  var panel = document.getElementById("knowledge-panel");
  var form = document.getElementById("intake-form");
  if (!panel || !form) return;
  var list = document.getElementById("knowledge-suggestions");
  var url = panel.getAttribute("data-suggest-url");

  function question() {
    var parts = [];
    form.querySelectorAll("textarea").forEach(function (area) {
      if (area.name !== "answer") parts.push(area.value);
    });
    return parts.join(" ").trim();
  }

  function category() {
    var chosen = form.querySelector("select[name=category]");
    return chosen ? chosen.value : "";
  }

  function useButton(entry, label) {
    var answer = form.querySelector("textarea[name=answer]");
    if (!answer) return null;
    var button = document.createElement("button");
    button.type = "button";
    button.id = "use-entry-" + entry.id;
    button.textContent = label;
    button.addEventListener("click", function () {
      answer.value = entry.answer;
      answer.dispatchEvent(new Event("input", { bubbles: true }));
      var source = form.querySelector("[name=answered_from]");
      if (source) source.value = String(entry.id);
      answer.focus();
    });
    return button;
  }

  function render(data) {
    list.textContent = "";
    data.outages.forEach(function (outage) {
      var li = hotlineSuggest.item("outage", data.labels.outage + " · " + outage.title, outage.answer, outage.url);
      li.id = "suggested-outage-" + outage.case_number;
      list.appendChild(li);
    });
    data.entries.forEach(function (entry) {
      var li = hotlineSuggest.item("entry", entry.title, entry.preview, entry.url);
      li.id = "suggested-entry-" + entry.id;
      var button = useButton(entry, data.labels.use);
      if (button) li.appendChild(button);
      list.appendChild(li);
    });
    if (!list.children.length) {
      var none = document.createElement("li");
      none.className = "empty";
      none.id = "knowledge-nothing";
      none.textContent = data.labels.none;
      list.appendChild(none);
    }
  }

  var suggestions = hotlineSuggest(url, function () {
    return { q: question(), category: category() };
  }, render);
  form.addEventListener("input", function (event) {
    if (event.target.matches("textarea") && event.target.name !== "answer") suggestions.later();
  });
  form.addEventListener("change", function (event) {
    if (event.target.matches("select[name=category]")) suggestions.ask();
  });
  suggestions.ask();
})();
