// Watching a job from the browser, in one place for every page that does it.
//
// softfocusPoll: ask a status view for JSON, again and again, backing off while
// the server is unreachable; the page's handler says when to ask next.
//
// softfocusFollow: the job page's one owner of "follow a request until it is on
// screen", for look changes and mask edits alike. Every such request is answered
// with its number (it grows per job); the status view says which request the
// preview on show answers (preview_request) and which the full-size result does
// (request). A request is on screen once preview_request reaches it, and its
// file is ready once request does. A later request, from this tab or another,
// settles the earlier ones: nothing waits for a look that was overtaken.
(function () {
  "use strict";
  var MAX_BACKOFF = 8000; // ms: the longest wait between tries while the server is away

  // handle(data) returns the ms until the next look, or null to stop. A status view
  // that names its state with a token is asked to wait for a change (a long poll):
  // the answer comes the moment the worker stores something, not at the next tick.
  // Behind a proxy that holds answers back, the wait simply runs out and we ask again.
  var LONG_WAIT = 20; // s: the status view's own cap

  window.softfocusPoll = function (url, handle) {
    var timer = null;
    var backoff = 1000;
    var token = null;
    var inflight = null;

    function address() {
      if (!token) return url;
      var glue = url.indexOf("?") < 0 ? "?" : "&";
      return url + glue + "since=" + encodeURIComponent(token) + "&wait=" + LONG_WAIT;
    }

    function ask() {
      var controller = window.AbortController ? new AbortController() : null;
      inflight = controller;
      var options = { headers: { Accept: "application/json" }, cache: "no-store" };
      if (controller) options.signal = controller.signal;
      fetch(address(), options)
        .then(function (response) {
          if (response.status === 404) return null; // the job has expired: nothing more to wait for
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(
          function (data) {
            if (inflight !== controller) return; // a newer look was asked for meanwhile
            inflight = null;
            backoff = 1000;
            token = (data && data.token) || null;
            var next = data && handle(data);
            if (typeof next === "number") soon(token ? 0 : next);
          },
          function (error) {
            if (inflight !== controller) return; // aborted for a newer look
            inflight = null;
            token = null; // ask plainly until the server answers again
            soon(backoff);
            backoff = Math.min(backoff * 2, MAX_BACKOFF);
          }
        );
    }

    // Ask again in `ms`; a look still waiting on the server is dropped for it.
    function soon(ms) {
      window.clearTimeout(timer);
      if (inflight) {
        var dropped = inflight;
        inflight = null;
        dropped.abort();
      }
      timer = window.setTimeout(ask, ms);
    }

    return { soon: soon };
  };

  // show(data) puts a status answer on screen (the job page patches its fragment).
  window.softfocusFollow = function (url, show) {
    var STEADY = 700; // ms between looks while the first analysis runs
    var EAGER = 150; // ms between looks while a request is on its way: it takes well under a second
    var waiting = []; // requests asked for whose full-size file is not ready yet
    var poll = window.softfocusPoll(url, seen);

    function finished(state) {
      return state === "done" || state === "failed";
    }

    function seen(data) {
      if (!waiting.length) {
        show(data);
        return finished(data.status) ? null : STEADY;
      }
      var failed = data.status === "failed";
      var first = Math.min.apply(null, waiting.map(function (w) { return w.request; }));
      if (failed || data.preview_request >= first) show(data);
      waiting = waiting.filter(function (w) {
        if (failed) {
          w.reject(data);
          return false;
        }
        if (data.preview_request >= w.request && !w.shown) {
          w.shown = true;
          if (w.on.shown) w.on.shown(data);
        }
        if (data.request < w.request) return true;
        w.resolve(data);
        return false;
      });
      if (waiting.length) return EAGER;
      return finished(data.status) ? null : STEADY;
    }

    return {
      // Follow the job's own progress (the first analysis), from `ms` on.
      watch: function (ms) { poll.soon(ms); },
      // Follow request `n`: `on.shown` once its preview is on screen; the promise
      // resolves once its full-size file is ready, and rejects if the job failed.
      request: function (n, on) {
        return new Promise(function (resolve, reject) {
          waiting.push({ request: n, on: on || {}, shown: false, resolve: resolve, reject: reject });
          poll.soon(100);
        });
      },
    };
  };
})();
