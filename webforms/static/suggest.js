// What the intake page's panels share (duplicates.js, knowledge.js): suggestions asked for as the
// operator types. `hotlineSuggest(url, params, render)` returns `ask` (ask now) and `later` (ask once
// typing pauses); a question the same as the last one asked is not asked again, only the answer to the
// latest question is rendered, and a failed answer leaves the panel as it was (the form works without
// it). `hotlineSuggest.item` is one suggestion of a panel's list: a link, then its text if it has any.
(function () {
  "use strict";
  var PAUSE_MS = 350;

  function hotlineSuggest(url, params, render) {
    var timer = null;
    var lastAsked = null;

    function ask() {
      var key = new URLSearchParams(params()).toString();
      if (key === lastAsked) return;
      lastAsked = key;
      fetch(url + "?" + key, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data && key === lastAsked) render(data); })
        .catch(function () { /* the panel is a help; the form works without it */ });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(ask, PAUSE_MS);
    }

    return { ask: ask, later: later };
  }

  hotlineSuggest.item = function (kind, title, text, href) {
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
  };

  window.hotlineSuggest = hotlineSuggest;
})();
