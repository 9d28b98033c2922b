// The overdue board refreshes its content in place: the filters (in the address) and the scroll
// position stay as they are. A failed refresh leaves the last content and tries again next time.
(function () {
  var live = document.getElementById("board-live");
  if (!live) { return; }
  var seconds = Math.max(parseInt(live.dataset.refreshSeconds, 10) || 45, 1);
  function refresh() {
    if (document.activeElement && live.contains(document.activeElement) && document.activeElement.tagName === "BUTTON") {
      return; // someone is about to press Retry: do not pull the button from under them
    }
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board-live");
        if (fresh) { live.innerHTML = fresh.innerHTML; live.dataset.refreshed = String(Date.now()); }
      })
      .catch(function () {});
  }
  window.setInterval(refresh, seconds * 1000);
})();
