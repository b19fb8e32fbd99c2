// The job page. While the photo is analysed, poll the status view and swap in
// the fragment the server renders, so the page and the poller never disagree
// (without JavaScript a <noscript> meta refresh does the same job). Once there
// is a result, changing the look posts the form in the background, shows the
// new preview as soon as it exists, then the finished fragment.
(function () {
  "use strict";
  var box = document.getElementById("job-status");
  if (!box) return;
  document.documentElement.classList.add("js");
  var statusUrl = box.getAttribute("data-status-url");
  var wanted = null; // the revision the look form asked for, until it lands
  var waitedSince = 0;
  var delay = 700;
  var timer = null;

  function finished(state) {
    return state === "done" || state === "failed";
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, ms);
  }

  function show(data) {
    box.innerHTML = data.html;
    box.setAttribute("data-state", data.status);
    box.setAttribute("data-stage", data.stage);
  }

  function poll() {
    fetch(statusUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 404) return null; // the job has expired: nothing more to wait for
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (!data) return;
        delay = 700;
        if (wanted) return followLook(data);
        if (data.status !== box.getAttribute("data-state") || data.stage !== box.getAttribute("data-stage")) {
          show(data);
        }
        if (!finished(data.status)) schedule(delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 8000); // back off while the server is unreachable
        schedule(delay);
      });
  }

  function followLook(data) {
    var image = box.querySelector("img[data-role=result]");
    if (image && data.preview_revision === wanted && data.preview_url && image.getAttribute("src") !== data.preview_url) {
      image.setAttribute("src", data.preview_url);
    }
    var landed = data.status === "done" && data.revision === wanted;
    // Another tab or an answer out of order may have settled on another look:
    // after a while, show whatever is there now.
    var overtaken = data.status === "done" && Date.now() - waitedSince > 20000;
    if (data.status === "failed" || landed || overtaken) {
      wanted = null;
      show(data);
      return;
    }
    schedule(150); // a new look takes well under a second: look often
  }

  function changeLook(form) {
    var updating = box.querySelector("[data-role=updating]");
    if (updating) updating.hidden = false;
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.revision) throw new Error(data.error || "refused");
        wanted = data.revision;
        waitedSince = Date.now();
        schedule(100);
      })
      .catch(function () { form.submit(); }); // fall back to the plain form post
  }

  box.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-role=look]");
    if (!form) return;
    if (event.target.name === "colour") {
      var colour = form.querySelector("input[name=background][value=colour]");
      if (colour) colour.checked = true;
    }
    changeLook(form);
  });

  box.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-role=look]");
    if (!form) return;
    event.preventDefault();
    changeLook(form);
  });

  if (!finished(box.getAttribute("data-state"))) schedule(delay);
})();
