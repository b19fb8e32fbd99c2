// Poll the job's status view and swap in the fragment the server renders, so
// the page and the poller never disagree. Without JavaScript a <noscript>
// meta refresh does the same job.
(function () {
  "use strict";
  var box = document.getElementById("job-status");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var delay = 700;

  function finished(state) {
    return state === "done" || state === "failed";
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (data.html && (data.status !== box.getAttribute("data-state") || data.stage !== box.getAttribute("data-stage"))) {
          box.innerHTML = data.html;
          box.setAttribute("data-state", data.status);
          box.setAttribute("data-stage", data.stage);
        }
        delay = 700;
        if (!finished(data.status)) window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 8000); // back off while the server is unreachable
        window.setTimeout(poll, delay);
      });
  }

  if (!finished(box.getAttribute("data-state"))) window.setTimeout(poll, delay);
})();
